import Foundation
import Synchronization
import Testing

@testable import SyncEngine

/// A 409 is information, not a failure (issue 12, item 1): the server's answer carries the item
/// it has now, the engine writes it into its remote tree and plans the path again at once. The
/// same for a file that changed since the scan: it is rescanned now. No path error, no back-off
/// (the engines here back off for an hour, so a recorded error would stall them).
@Suite struct ReplanTests {
    static let a = RelativePath("docs/a.txt")!

    /// Runs passes the way the service does: each pass that asks for another runs it at once,
    /// with the scope it asked for. Returns every report.
    static func run(_ engine: FolderSync, limit: Int = 6) async throws -> [SyncReport] {
        var reports = [try await engine.pass()]
        while let again = reports.last?.replan, reports.count < limit {
            reports.append(try await engine.pass(scope: again))
        }
        return reports
    }

    static func conflictedCopies(_ setup: FolderSyncTests.Setup) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: setup.root).filter { $0.contains("conflicted copy") }
    }

    /// Synced `docs/a.txt` at "first", then the file rewritten locally.
    static func rewritten(_ setup: FolderSyncTests.Setup, to text: String) async throws -> FolderSync {
        try setup.write("docs/a.txt", "first")
        let engine = try setup.engine(retryBase: 3600)
        try await setup.converge(engine)
        try setup.write("docs/a.txt", text)
        return engine
    }

    /// `docs/a.txt` rewritten to `text` and uploaded; the engine dies before journalling the answer.
    static func crashAfterUploading(_ setup: FolderSyncTests.Setup, _ text: String) async throws -> FolderSync {
        _ = try await rewritten(setup, to: text)
        let crashing = try setup.engine(
            faults: { action, point in
                if case .upload = action, point == .beforeJournal { throw SimulatedCrash() }
            },
            retryBase: 3600
        )
        await #expect(throws: SimulatedCrash.self) { try await crashing.pass() }
        return crashing
    }

    /// The engine dies after installing a download and before journalling it; the file then
    /// changes again on the server. The folder holds the server's own second version, not an
    /// edit: the third simply replaces it, no conflicted copy.
    @Test func aDownloadTheJournalMissedIsNotALocalEdit() async throws {
        let setup = try FolderSyncTests.Setup()
        setup.remote.put("docs/a.txt", "first")
        try await setup.converge(try setup.engine(retryBase: 3600))
        setup.remote.put("docs/a.txt", "second")
        let crashing = try setup.engine(
            faults: { action, point in
                if case .download = action, point == .beforeJournal { throw SimulatedCrash() }
            },
            retryBase: 3600
        )
        await #expect(throws: SimulatedCrash.self) { try await crashing.pass() }
        #expect(setup.read("docs/a.txt") == "second", "installed, the journal still at the first")
        setup.remote.put("docs/a.txt", "third")
        let engine = try setup.engine(retryBase: 3600)
        try await setup.converge(engine)
        #expect(try Self.conflictedCopies(setup).isEmpty)
        #expect(setup.read("docs/a.txt") == "third")
        #expect(try engine.journal.downloadIntents().isEmpty, "the intent is settled")
        #expect(try setup.divergence() == nil)
    }

    @Test func aConflictWhoseCurrentItemHoldsTheLocalContentIsInSync() async throws {
        let setup = try FolderSyncTests.Setup()
        let engine = try await Self.rewritten(setup, to: "second")
        let uploadsBefore = setup.remote.state.withLock { $0.uploads }
        // Another device uploads the very same bytes just before ours reaches the server.
        setup.remote.racingUpload.withLock { $0 = (Self.a, { $0.put("docs/a.txt", "second") }) }

        let reports = try await Self.run(engine)
        #expect(reports.flatMap(\.failed).isEmpty, "the 409 is not a failure")
        #expect(reports.count == 2, "exactly one extra pass")
        #expect(reports.first?.replanned.map(\.action) == [.upload(Self.a, baseRevision: 1)])
        #expect(try engine.journal.errors().isEmpty, "no path error, no back-off")
        #expect(try setup.divergence() == nil)
        #expect(try Self.conflictedCopies(setup).isEmpty)
        #expect(setup.remote.state.withLock { $0.uploads } == uploadsBefore, "recorded as in sync, not sent again")
        #expect(try await engine.pass().isIdle)
        let synced = try engine.journal.trees().synced[Self.a]
        #expect(synced?.revision == setup.remote.state.withLock { $0.tree[Self.a]?.revision })
    }

    @Test func aConflictWithOtherContentKeepsBothVersionsAtOnce() async throws {
        let setup = try FolderSyncTests.Setup()
        let engine = try await Self.rewritten(setup, to: "mine")
        setup.remote.racingUpload.withLock { $0 = (Self.a, { $0.put("docs/a.txt", "theirs") }) }

        let reports = try await Self.run(engine)
        #expect(reports.flatMap(\.failed).isEmpty)
        #expect(reports.last?.replan == nil)
        #expect(try engine.journal.errors().isEmpty, "no path error, no back-off")
        #expect(setup.read("docs/a.txt") == "theirs")
        let copies = try Self.conflictedCopies(setup)
        #expect(copies.count == 1)
        #expect(copies.first.map { setup.read($0) } == "mine", "both versions kept")
        #expect(try setup.divergence() == nil, "the copy reached the server too")
        #expect(try await engine.pass().isIdle)
    }

    @Test func aFileChangedSinceTheScanIsRescannedNow() async throws {
        let setup = try FolderSyncTests.Setup()
        _ = try await Self.rewritten(setup, to: "second")
        // The upload finds the file rewritten after the scan (an editor saving again).
        let once = Mutex(true)
        let root = setup.root
        let engine = try setup.engine(
            faults: { action, point in
                guard action == .upload(Self.a, baseRevision: 1), point == .beforeStep,
                    once.withLock({ first in
                        defer { first = false }
                        return first
                    })
                else { return }
                try Data("third, longer".utf8).write(to: URL(fileURLWithPath: root + "/docs/a.txt"))
            },
            retryBase: 3600
        )

        let reports = try await Self.run(engine)
        #expect(reports.flatMap(\.failed).isEmpty, "changed since the scan is not a failure")
        #expect(reports.first?.replan == .subtrees([RelativePath("docs")!]), "that folder is rescanned at once")
        #expect(reports.first?.replanned.count == 1)
        #expect(try engine.journal.errors().isEmpty)
        #expect(setup.remote.text("docs/a.txt") == "third, longer", "converged in the same run, no back-off waited for")
        #expect(try setup.divergence() == nil)
        #expect(try await engine.pass().isIdle)
    }

    /// A crash after the server committed an upload, before the journal heard of it: the
    /// restarted engine (a fresh one over the old journal) converges with no conflicted copy,
    /// no 409 loop and no path error.
    @Test func aCrashBetweenCompleteAndTheJournalConverges() async throws {
        let setup = try FolderSyncTests.Setup()
        let crashing = try await Self.crashAfterUploading(setup, "second")
        #expect(setup.remote.text("docs/a.txt") == "second", "the server has the upload")
        #expect(try crashing.journal.trees().synced[Self.a]?.revision == 1, "the journal does not")
        let uploads = setup.remote.state.withLock { $0.uploads }

        let restarted = try setup.engine(retryBase: 3600)
        let reports = try await Self.run(restarted)
        #expect(reports.flatMap(\.failed).isEmpty)
        #expect(try restarted.journal.errors().isEmpty)
        #expect(try Self.conflictedCopies(setup).isEmpty)
        #expect(try setup.divergence() == nil)
        #expect(setup.remote.state.withLock { $0.uploads } == uploads, "its own upload recognised, not sent again")
        #expect(try restarted.journal.trees().synced[Self.a]?.revision == setup.remote.state.withLock { $0.tree[Self.a]?.revision })
        #expect(try await restarted.pass().isIdle)
    }

    /// The same crash, and the file edited again before the restart: the edit descends from the
    /// upload the server holds, so it goes up over it — no conflicted copy of a file only this
    /// device wrote (the journalled upload intent names the content the server now has).
    @Test func anEditAfterACrashBetweenCompleteAndTheJournalIsNoConflict() async throws {
        let setup = try FolderSyncTests.Setup()
        _ = try await Self.crashAfterUploading(setup, "second")
        #expect(setup.remote.text("docs/a.txt") == "second")
        try setup.write("docs/a.txt", "third, after the crash")

        let restarted = try setup.engine(retryBase: 3600)
        let reports = try await Self.run(restarted)
        #expect(reports.flatMap(\.failed).isEmpty)
        #expect(try Self.conflictedCopies(setup).isEmpty, "only this device ever wrote the file")
        #expect(setup.remote.text("docs/a.txt") == "third, after the crash")
        #expect(try restarted.journal.uploadIntents().isEmpty, "the intents are settled")
        #expect(try setup.divergence() == nil)
        #expect(try await restarted.pass().isIdle)
    }

    /// The upload sent before a crash reaches the server only after the restart (held up on the
    /// way): the restarted engine, not seeing it yet, sends the edited file as new, and gets a
    /// 409 carrying the first upload. Both intents are journalled, so that one is recognised as
    /// this device's own and the edit goes up over it — no conflicted copy.
    @Test func anUploadLandingAfterTheRestartIsStillRecognised() async throws {
        let setup = try FolderSyncTests.Setup()
        let b = RelativePath("docs/b.txt")!
        try setup.write("docs/b.txt", "sent before the crash")
        // The crashed daemon's journal: the intent recorded, the request on its way.
        let sent = try ContentHash.hash(path: setup.root + "/docs/b.txt")
        try Journal(path: setup.journalPath).recordUploadIntent(UploadIntent(path: b, contentHash: sent, size: 21, baseRevision: nil))
        try setup.write("docs/b.txt", "edited after the restart")
        setup.remote.racingUpload.withLock { $0 = (b, { $0.put("docs/b.txt", "sent before the crash") }) }

        let restarted = try setup.engine(retryBase: 3600)
        let reports = try await Self.run(restarted)
        #expect(reports.flatMap(\.failed).isEmpty)
        #expect(try Self.conflictedCopies(setup).isEmpty, "only this device ever wrote the file")
        #expect(setup.remote.text("docs/b.txt") == "edited after the restart")
        #expect(try setup.divergence() == nil)
        #expect(try await restarted.pass().isIdle)
    }

    /// A keep-both whose move fails makes the steps on its copy wait with it: the copy's upload
    /// is deferred, not failed as "no local file" with a back-off of its own.
    @Test func aFailedConflictCopyDefersTheCopysUpload() async throws {
        struct Refused: Error {}
        let setup = try FolderSyncTests.Setup()
        _ = try await Self.rewritten(setup, to: "mine")
        setup.remote.put("docs/a.txt", "theirs")
        let failing = try setup.engine(
            faults: { action, point in
                if case .keepBothConflict = action, point == .beforeStep { throw Refused() }
            },
            retryBase: 3600
        )
        let report = try await failing.pass()
        #expect(report.failed.count == 1, "only the keep-both: \(report.failed.map(\.0))")
        #expect(report.failed.allSatisfy { if case .keepBothConflict = $0.0 { true } else { false } })
        #expect(report.deferred.contains { if case .upload(let p, _) = $0 { p.string.contains("conflicted copy") } else { false } })
        #expect(setup.read("docs/a.txt") == "mine", "nothing replaced the local version")
    }

    /// A rename whose move the server made but whose answer never came (a reset), then an edit
    /// of the renamed file: the journalled move intent lets the next pass see the server's item
    /// at the new name as this device's own move, and the edit goes up over it — no conflicted
    /// copy of a file one device wrote (found by the 30-minute soak).
    @Test func anUnansweredMoveThenAnEditIsNoConflict() async throws {
        struct Unanswered: Error {}
        let setup = try FolderSyncTests.Setup()
        try setup.write("docs/a.txt", "first")
        let engine = try setup.engine(retryBase: 3600)
        try await setup.converge(engine)
        #expect(rename(setup.root + "/docs/a.txt", setup.root + "/docs/b.txt") == 0)
        let once = Mutex(true)
        let losing = try setup.engine(
            faults: { action, point in
                if case .moveRemote = action, point == .beforeJournal,
                    once.withLock({ first in
                        defer { first = false }
                        return first
                    })
                {
                    throw Unanswered()
                }
            },
            retryBase: 0
        )
        let lost = try await losing.pass()
        #expect(lost.failed.count == 1, "the move's answer was lost")
        #expect(setup.remote.text("docs/b.txt") == "first", "the server moved it")
        try setup.write("docs/b.txt", "first, then edited")

        let reports = try await Self.run(losing)
        #expect(reports.flatMap(\.failed).isEmpty)
        #expect(try Self.conflictedCopies(setup).isEmpty, "only this device ever wrote the file")
        #expect(setup.remote.text("docs/b.txt") == "first, then edited")
        #expect(setup.remote.text("docs/a.txt") == nil)
        #expect(try losing.journal.moveIntents().isEmpty)
        #expect(try setup.divergence() == nil)
    }
}
