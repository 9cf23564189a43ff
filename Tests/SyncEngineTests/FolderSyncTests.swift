import Foundation
import Synchronization
import Testing

@testable import SyncEngine

/// The engine on a real folder against the in-memory remote.
@Suite struct FolderSyncTests {
    final class Setup {
        let folder: TestFolder
        let state: TestFolder
        var root: String { folder.root }
        var journalPath: String { state.root + "/journal.sqlite" }
        let remote = MemoryRemote()

        init() throws {
            folder = try TestFolder()
            state = try TestFolder()
        }

        func engine(
            faults: FolderSync.FaultInjector? = nil,
            brake: SyncPolicy.DeleteBrake = .init(),
            retryBase: TimeInterval = 0
        ) throws -> FolderSync {
            FolderSync(
                configuration: .init(
                    root: root,
                    brake: brake,
                    hostName: "laptop",
                    timeZone: TimeZone(identifier: "UTC")!,
                    retryBase: retryBase,
                    retryCap: 3600
                ),
                journal: try Journal(path: journalPath),
                remote: remote,
                faults: faults
            )
        }

        func write(_ path: String, _ text: String) throws { try folder.write(path, text) }
        func read(_ path: String) -> String? { folder.read(path) }

        /// Passes until one finds nothing to do (at most `limit`).
        @discardableResult
        func converge(_ engine: FolderSync, limit: Int = 6) async throws -> Int {
            for pass in 1...limit where try await engine.pass().isIdle { return pass }
            Issue.record("did not converge in \(limit) passes")
            return limit
        }

        /// The folder and the remote hold the same paths, kinds and contents.
        func divergence() throws -> String? {
            let local = try FolderScanner(root: root, ignore: IgnoreRules()).scan(previous: LocalTree()).tree
            let remoteTree = remote.state.withLock { $0.tree }
            for path in Set(local.paths).union(remoteTree.paths) {
                guard let l = local[path], let r = remoteTree[path] else { return "\(path) on one side only" }
                if l.kind != r.kind || l.contentHash != r.contentHash { return "\(path) differs" }
            }
            return nil
        }
    }

    /// A restart reads what changed on the server since the journal's cursor, not the whole
    /// tree; the periodic full pass reads the whole tree again.
    @Test func aRestartReadsTheFeedAndThePeriodicFullPassTheWholeTree() async throws {
        let setup = try Setup()
        try setup.write("a.txt", "a")
        try await setup.converge(try setup.engine())
        #expect(setup.remote.state.withLock { $0.snapshots } == 1, "the first pass of a new journal lists the tree")
        // Meanwhile, another device adds a file.
        setup.remote.put("b.txt", "from elsewhere")
        let restarted = try setup.engine()
        try await setup.converge(restarted)
        #expect(setup.read("b.txt") == "from elsewhere")
        #expect(setup.remote.state.withLock { $0.snapshots } == 1, "the restart read the feed")
        var configuration = restarted.configuration
        configuration.remoteListingInterval = 60
        let checking = FolderSync(configuration: configuration, journal: try Journal(path: setup.journalPath), remote: setup.remote)
        _ = try await checking.pass(now: Date().addingTimeInterval(30))
        #expect(setup.remote.state.withLock { $0.snapshots } == 1, "within the interval since the journal's last listing, the feed")
        _ = try await checking.pass(now: Date().addingTimeInterval(61))
        #expect(setup.remote.state.withLock { $0.snapshots } == 2, "a full pass once the interval is over lists the tree again, across restarts")
        _ = try await checking.pass(now: Date().addingTimeInterval(-86_400))
        #expect(setup.remote.state.withLock { $0.snapshots } == 3, "a clock gone back past the last listing does not put the check off")
        #expect(try setup.divergence() == nil)
    }

    /// `mkdir archive && mv docs/report.txt archive/`: the watcher hints the new folder at
    /// once, the lone IN_MOVED_FROM only after a quiet spell; a pass scanning just `archive`
    /// must still see one move (the item keeps its id), not a new upload and a deletion.
    @Test func aMoveIntoANewFolderHintedOnlyAtItsDestinationIsStillOneMove() async throws {
        let setup = try Setup()
        try setup.write("docs/report.txt", "quarterly")
        let engine = try setup.engine()
        try await setup.converge(engine)
        let from = RelativePath("docs/report.txt")!
        let to = RelativePath("archive/report.txt")!
        let id = setup.remote.state.withLock { $0.tree[from]?.fileId }
        try setup.folder.mkdir("archive")
        setup.folder.mv("docs/report.txt", "archive/report.txt")
        let report = try await engine.pass(scope: .subtrees([RelativePath("archive")!]))
        #expect(report.done == [.createRemoteFolder(RelativePath("archive")!), .moveRemote(from: from, to: to)])
        #expect(setup.remote.state.withLock { $0.tree[to]?.fileId } == id, "a move keeps the item's identity")
        // The late hint for the source finds nothing left to do.
        #expect(try await engine.pass(scope: .subtrees([from])).isIdle)
        #expect(try setup.divergence() == nil)
    }

    @Test func twoWayBasics() async throws {
        let setup = try Setup()
        try setup.write("docs/a.txt", "local a")
        setup.remote.put("music/b.txt", "remote b")
        let engine = try setup.engine()
        try await setup.converge(engine)
        #expect(setup.remote.text("docs/a.txt") == "local a")
        #expect(setup.read("music/b.txt") == "remote b")
        #expect(try setup.divergence() == nil)

        // Edits on both sides of different files, then a conflict on the same file.
        try setup.write("docs/a.txt", "local a v2")
        setup.remote.put("music/b.txt", "remote b v2")
        try await setup.converge(engine)
        #expect(setup.remote.text("docs/a.txt") == "local a v2")
        #expect(setup.read("music/b.txt") == "remote b v2")

        try setup.write("docs/a.txt", "mine")
        setup.remote.put("docs/a.txt", "theirs")
        try await setup.converge(engine)
        #expect(setup.read("docs/a.txt") == "theirs")
        let copies = try FileManager.default.contentsOfDirectory(atPath: setup.root + "/docs").filter { $0.contains("conflicted copy from laptop") }
        #expect(copies.count == 1)
        #expect(setup.read("docs/" + copies[0]) == "mine")
        #expect(setup.remote.text("docs/" + copies[0]) == "mine")
        #expect(try setup.divergence() == nil)
    }

    @Test func aMovedFolderIsOneMoveNotReuploads() async throws {
        let setup = try Setup()
        for i in 0..<50 { try setup.write("photos/img\(i).jpg", "image \(i)") }
        let engine = try setup.engine()
        try await setup.converge(engine)
        let uploadsBefore = setup.remote.state.withLock { $0.uploads }
        #expect(uploadsBefore == 50)
        #expect(rename(setup.root + "/photos", setup.root + "/archive-2026") == 0)
        let report = try await engine.pass()
        #expect(report.done == [.moveRemote(from: RelativePath("photos")!, to: RelativePath("archive-2026")!)])
        #expect(setup.remote.state.withLock { $0.uploads } == uploadsBefore, "no file was uploaded again")
        #expect(try await engine.pass().isIdle)
        #expect(try setup.divergence() == nil)
    }

    @Test func emptiedFolderTripsTheBrakeAndDeletesNothing() async throws {
        let setup = try Setup()
        for i in 0..<80 { try setup.write("data/f\(i)", "\(i)") }
        let engine = try setup.engine(brake: .init(maxFraction: 0.5, minCount: 50))
        try await setup.converge(engine)
        try FileManager.default.removeItem(atPath: setup.root + "/data")
        let report = try await engine.pass()
        #expect(report.brake?.remoteDeletions == 80)
        #expect(setup.remote.state.withLock { $0.tree.entries.count } == 81)
        engine.allowHeldDeletions()
        let confirmed = try await engine.pass()
        #expect(confirmed.brake == nil)
        #expect(setup.remote.state.withLock { $0.tree.entries.isEmpty })
    }

    @Test func aFailingStepBacksOffAndIsRetried() async throws {
        let setup = try Setup()
        try setup.write("a.txt", "a")
        try setup.write("b.txt", "b")
        setup.remote.state.withLock { $0.failUploads = 1 }
        let engine = try setup.engine(retryBase: 60)
        let start = Date(timeIntervalSince1970: 2_000_000_000)
        let first = try await engine.pass(now: start)
        #expect(first.failed.count == 1, "one upload refused")
        #expect(first.done.count == 1, "the other went through")
        let failedPath = try #require(first.failed.first.map { $0.action.description.replacingOccurrences(of: "upload ", with: "") })
        let error = try #require(try Journal(path: setup.journalPath).errors().first)
        #expect(error.path.string == failedPath && error.attempts == 1 && error.message.contains("503"))
        #expect(error.retryAt >= start.addingTimeInterval(30) && error.retryAt <= start.addingTimeInterval(60), "backoff with jitter")

        let tooSoon = try await engine.pass(now: start.addingTimeInterval(5))
        #expect(tooSoon.deferred.count == 1 && tooSoon.done.isEmpty, "not retried before its time")
        let later = try await engine.pass(now: start.addingTimeInterval(61))
        #expect(later.done.count == 1 && later.failed.isEmpty)
        #expect(try Journal(path: setup.journalPath).errors().isEmpty, "the error is cleared once the step succeeds")
        #expect(try setup.divergence() == nil)
    }

    /// A path that failed many times because the server could not be reached is tried again
    /// within a minute (the network is back: its files go now), while a path refused as often
    /// for a reason of its own backs off further.
    @Test func anOutageNeverPushesARetryPastAMinute() async throws {
        for unreachable in [true, false] {
            let setup = try Setup()
            try setup.write("a.txt", "a")
            setup.remote.state.withLock { s in
                if unreachable { s.failUploadsUnreachable = 8 } else { s.failUploads = 8 }
            }
            let engine = try setup.engine(retryBase: 5)
            var now = Date(timeIntervalSince1970: 2_000_000_000)
            var waits: [TimeInterval] = []
            for _ in 0..<8 {
                let report = try await engine.pass(now: now)
                #expect(report.failed.count == 1)
                let error = try #require(try Journal(path: setup.journalPath).errors().first)
                waits.append(error.retryAt.timeIntervalSince(now))
                now = error.retryAt.addingTimeInterval(1)
            }
            if unreachable {
                #expect(waits.allSatisfy { $0 <= 60 }, "waits \(waits)")
            } else {
                #expect(waits.last.map { $0 > 60 } == true, "waits \(waits)")
            }
            let last = try await engine.pass(now: now)
            #expect(last.done.count == 1 && last.failed.isEmpty)
            #expect(try setup.divergence() == nil)
        }
    }

    /// `.syncignore` leaves its paths alone on both sides, as Syncthing's ignores do: an
    /// ignored file on the server is not downloaded (and the engine does not try forever), and a
    /// synced file that becomes ignored stays on the server instead of being deleted there.
    @Test func ignoredPathsAreLeftAloneOnBothSides() async throws {
        let setup = try Setup()
        try setup.write(".syncignore", "*.log\nbuild/\n")
        setup.remote.put("server.log", "from another device")
        setup.remote.put("build/out.o", "object")
        setup.remote.put("keep.txt", "kept")
        try setup.write("notes.txt", "notes")
        let engine = try setup.engine()
        try await setup.converge(engine)
        #expect(setup.read("keep.txt") == "kept")
        #expect(setup.read("server.log") == nil, "ignored: not downloaded")
        #expect(setup.read("build/out.o") == nil, "inside an ignored folder: not downloaded")
        #expect(setup.remote.text("notes.txt") == "notes")

        try setup.write(".syncignore", "*.log\nbuild/\nnotes.txt\n")
        try setup.write("notes.txt", "edited after it was ignored")
        try await setup.converge(engine)
        #expect(setup.remote.text("notes.txt") == "notes", "an ignored file is neither uploaded nor deleted")
        #expect(setup.remote.text("server.log") == "from another device", "nor deleted on the server")
        #expect(setup.read("notes.txt") == "edited after it was ignored", "nor touched locally")
        #expect(setup.remote.text(".syncignore") == "*.log\nbuild/\nnotes.txt\n")
    }

    @Test func theFolderVanishingStopsThePass() async throws {
        let setup = try Setup()
        try setup.write("a.txt", "a")
        let engine = try setup.engine()
        try await setup.converge(engine)
        try FileManager.default.removeItem(atPath: setup.root)
        await #expect(throws: ScanError.self) { try await engine.pass() }
        #expect(setup.remote.text("a.txt") == "a", "nothing was deleted remotely")
    }
}
