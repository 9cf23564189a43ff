import Foundation
import Glibc
import Logging
import S3Client
import SyncAPI
import Synchronization
import Testing

@testable import SyncEngine

/// The daemon never touches anything outside its folder, whatever links the folder holds and
/// whatever paths the server hands out (issue 11, item 3).
@Suite struct ConfinementTests {
    func p(_ s: String) -> RelativePath { RelativePath(s)! }

    /// Every file under a folder, relative, with its content: what "nothing changed" compares.
    static func contents(of root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let item = walker.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: root + "/" + item) { result[item] = String(decoding: data, as: UTF8.self) }
        }
        return result
    }

    /// A link to a folder outside, plainly in the folder or inside an ignored folder; another
    /// device creates a real folder of that name with a file, and a file where a link to a file
    /// stands. Nothing is written outside, the subtree is reported once (log and report), and
    /// passes stay idle instead of retrying. Once the link is gone the files arrive — except
    /// inside the ignored folder, which sync leaves alone on both sides.
    @Test(arguments: ["linked", "build/linked"])
    func aLinkedFolderIsNeverWrittenThrough(link: String) async throws {
        let setup = try FolderSyncTests.Setup()
        let outside = try TestFolder()
        try outside.write("keep.txt", "outside")
        let before = Self.contents(of: outside.root)
        if link.hasPrefix("build/") {
            try setup.write(".syncignore", "build/\n")
            try setup.folder.mkdir("build")
        }
        #expect(symlink(outside.root, setup.root + "/" + link) == 0)
        #expect(symlink(outside.root + "/keep.txt", setup.root + "/notes.txt") == 0)
        setup.remote.put(link + "/pwned.txt", "planted")
        setup.remote.put(link + "/deeper/bash_profile", "planted too")
        setup.remote.put("notes.txt", "overwrite the target")
        let logs = LogCapture()
        let engine = FolderSync(
            configuration: .init(root: setup.root, hostName: "laptop", timeZone: TimeZone(identifier: "UTC")!, retryBase: 0),
            journal: try Journal(path: setup.journalPath),
            remote: setup.remote,
            logger: logs.logger
        )

        var reports: [SyncReport] = []
        for _ in 0..<3 { reports.append(try await engine.pass()) }
        #expect(Self.contents(of: outside.root) == before, "nothing outside the folder changed")
        let ignored = link.hasPrefix("build/")
        let held = try #require(reports.last?.held)
        #expect(Set(held.map(\.path)) == (ignored ? ["notes.txt"] : [link, "notes.txt"]))
        if !ignored {
            #expect(held.first { $0.path == link }?.reason == .symlink)
            #expect(held.first { $0.path == link }?.remoteIsFolder == true)
        }
        #expect(reports.allSatisfy { $0.failed.isEmpty }, "held, not failed: no retry storm")
        let touched = reports.flatMap(\.done).flatMap(\.localTargets).map(\.path)
        #expect(!touched.contains { $0 == p(link) || $0.isInside(p(link)) || $0 == p("notes.txt") }, "\(touched)")
        #expect(reports.last?.isIdle == true)
        #expect(try Journal(path: setup.journalPath).errors().isEmpty)
        #expect(
            logs.warnings.filter { $0.contains(link + ":") && $0.contains("symbolic link") }.count == (ignored ? 0 : 1),
            "reported once (an ignored path not at all): \(logs.warnings)"
        )

        // The user moves the link away: the remote folder arrives as a real folder.
        #expect(unlink(setup.root + "/" + link) == 0)
        #expect(unlink(setup.root + "/notes.txt") == 0)
        try await setup.converge(engine)
        #expect(setup.read(link + "/pwned.txt") == (ignored ? nil : "planted"))
        #expect(setup.read("notes.txt") == "overwrite the target")
        #expect(Self.contents(of: outside.root) == before)
        #expect(try await engine.pass().held.isEmpty)
    }

    /// A link standing exactly where a conflict copy goes holds the copy, and the download
    /// that would follow it: the local edit is neither written through the link nor replaced.
    @Test func aLinkAtTheConflictCopysNameHoldsTheWholeConflict() async throws {
        let setup = try FolderSyncTests.Setup()
        let outside = try TestFolder()
        try setup.write("a.txt", "base")
        let engine = try setup.engine()
        try await setup.converge(engine)
        try setup.write("a.txt", "mine, longer")
        setup.remote.put("a.txt", "theirs")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let copy = ConflictName.copy(of: p("a.txt"), host: "laptop", at: now, timeZone: TimeZone(identifier: "UTC")!)
        #expect(symlink(outside.root + "/copy.txt", setup.root + "/" + copy.string) == 0)
        let report = try await engine.pass(now: now)
        #expect(report.held.map(\.path) == [copy.string])
        #expect(setup.read("a.txt") == "mine, longer", "the local version is not replaced")
        #expect(Self.contents(of: outside.root).isEmpty)
    }

    /// The same when the conflict copy fails for any reason: the download after it waits.
    @Test func aFailedConflictCopyHoldsBackTheDownloadThatFollows() async throws {
        let setup = try FolderSyncTests.Setup()
        try setup.write("a.txt", "base")
        try await setup.converge(try setup.engine())
        try setup.write("a.txt", "mine, longer")
        setup.remote.put("a.txt", "theirs")
        struct CopyFailed: Error {}
        let engine = try setup.engine(faults: { action, point in
            if case .keepBothConflict = action, point == .beforeStep { throw CopyFailed() }
        })
        let report = try await engine.pass()
        #expect(report.failed.contains { if case .keepBothConflict = $0.action { true } else { false } })
        #expect(report.deferred.contains(.download(p("a.txt"))))
        #expect(setup.read("a.txt") == "mine, longer", "the local version is not replaced")
    }

    /// The resolution itself refuses links, with openat2 and with the per-component fallback:
    /// a race past the engine's check (a folder swapped for a link after the scan) still
    /// writes nothing outside.
    @Test(arguments: [LocalFolder.Resolution.openat2, .perComponent])
    func everyEffectRefusesALinkInTheWay(resolution: LocalFolder.Resolution) async throws {
        let folder = try TestFolder()
        let outside = try TestFolder()
        try outside.write("victim.txt", "outside")
        try outside.mkdir("sub")
        try folder.write("mine.txt", "inside")
        #expect(symlink(outside.root, folder.root + "/linked") == 0)
        let before = Self.contents(of: outside.root)
        let local = try LocalFolder(root: folder.root, resolution: resolution)
        let mine = try #require(try local.status(p("mine.txt"))?.entry())
        func obstructed(_ body: () throws -> Void) {
            #expect {
                try body()
            } throws: { error in
                (error as? LocalFolderError)?.code == .obstructed && (error as? LocalFolderError)?.path == RelativePath("linked")
            }
        }
        obstructed { _ = try local.makeTemporary(beside: p("linked/pwned.txt")) }
        obstructed { _ = try local.makeTemporary(beside: p("linked/sub/pwned.txt")) }
        obstructed { try local.makeFolder(p("linked/new")) }
        obstructed { try local.makeFolder(p("linked")) }
        obstructed { try local.move(p("mine.txt"), to: p("linked/mine.txt")) }
        obstructed { try local.move(p("linked/victim.txt"), to: p("stolen.txt")) }
        obstructed { try local.remove(p("linked/victim.txt"), scanned: mine) }
        obstructed { _ = try local.openFolder(p("linked")) }
        await #expect(throws: LocalFolderError.self) { try await local.withReadablePath(p("linked/victim.txt")) { _ in } }
        #expect(try local.status(p("linked"))?.kind == .symlink)
        #expect(folder.read("mine.txt") == "inside")
        #expect(Self.contents(of: outside.root) == before)
    }

    /// Paths that could name something outside are refused before any system call, even when
    /// they reach the folder as unchecked values (a hostile remote port, a bug).
    @Test(arguments: [LocalFolder.Resolution.openat2, .perComponent])
    func malformedPathsAreRefused(resolution: LocalFolder.Resolution) throws {
        let parent = try TestFolder()
        try parent.mkdir("root")
        let local = try LocalFolder(root: parent.root + "/root", resolution: resolution)
        let before = Self.contents(of: parent.root)
        for raw in Self.hostilePaths {
            let path = RelativePath(unchecked: raw)
            #expect(RelativePath(raw) == nil, "\(raw.prefix(40)) is not a path inside the folder")
            #expect(throws: LocalFolderError.self) { _ = try local.makeTemporary(beside: path) }
            #expect(throws: LocalFolderError.self) { try local.makeFolder(path) }
            #expect(throws: (any Error).self) { try local.move(path, to: RelativePath(unchecked: "x")) }
        }
        #expect(Self.contents(of: parent.root) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.root) == ["root"])
    }

    static let hostilePaths = [
        "../escaped.txt", "a/../../escaped.txt", "/tmp/absolute.txt", "a//b.txt", "a/./b.txt", "trailing/", "nul\u{0}byte",
        String(repeating: "n", count: 256), "ok/" + String(repeating: "n", count: 300), Array(repeating: "d", count: 2100).joined(separator: "/"),
    ]

    /// An upload reads its file through the path `withReadablePath` hands out; if the name is
    /// swapped for a link to a file outside after the check, the readers refuse the link
    /// instead of sending what it points at.
    @Test func aNameSwappedForALinkDuringAnUploadIsNotReadThrough() async throws {
        let folder = try TestFolder()
        let outside = try TestFolder()
        try folder.write("docs/a.txt", "mine")
        try outside.write("secret.txt", "not to be sent")
        let local = try LocalFolder(root: folder.root)
        let read: Result<Checksum, any Error> = try await local.withReadablePath(p("docs/a.txt")) { path in
            try? FileManager.default.removeItem(atPath: folder.root + "/docs/a.txt")
            #expect(symlink(outside.root + "/secret.txt", folder.root + "/docs/a.txt") == 0)
            do {
                return .success(try await PresignedTransfer.checksum(.sha256, file: path, range: 0..<14))
            } catch {
                return .failure(error)
            }
        }
        guard case .failure(let error) = read else {
            Issue.record("the link was read through: \(read)")
            return
        }
        #expect("\(error)".contains("Too many levels of symbolic links"), "\(error)")
        #expect((try? ContentHash.hash(path: folder.root + "/docs/a.txt")) == nil, "the scanner's reader refuses the link as well")
    }

    @Test func pathLimitsAreLinuxLimits() {
        #expect(RelativePath(String(repeating: "n", count: 255)) != nil)
        #expect(RelativePath(String(repeating: "n", count: 256)) == nil)
        #expect(RelativePath(String(repeating: "é", count: 128)) == nil, "bytes, not characters: 256 bytes")
        let deep = Array(repeating: "d", count: 2048).joined(separator: "/")  // 4095 bytes
        #expect(RelativePath(deep) != nil)
        #expect(RelativePath(deep + "/dd") == nil)
    }

    /// A hostile server hands out `../`, absolute, over-long and NUL paths beside a good one,
    /// in its listing and its change feed: only the good one is synced, nothing else is
    /// created anywhere, and each refused path is in the report.
    @Test func aHostileRemoteCannotPlaceFilesOutside() async throws {
        let parent = try TestFolder()
        try parent.mkdir("folder")
        let state = try TestFolder()
        let remote = HostileRemote()
        remote.inner.put("good.txt", "fine")
        let engine = FolderSync(
            configuration: .init(root: parent.root + "/folder", hostName: "laptop", timeZone: TimeZone(identifier: "UTC")!, retryBase: 0),
            journal: try Journal(path: state.root + "/journal.sqlite"),
            remote: remote
        )
        let first = try await engine.pass()
        #expect(Set(first.held.map(\.reason)) == [.refusedPath])
        #expect(first.held.count == Self.hostilePaths.count + 1)
        #expect(first.held.contains { $0.path == String(reflecting: "../refused-by-the-port") }, "what the port refused is reported too")
        // A subtree pass takes the change feed, which hands the same paths out again.
        let second = try await engine.pass(scope: .subtrees([p("good.txt")]))
        #expect(second.held.count == Self.hostilePaths.count + 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.root) == ["folder"])
        #expect(Self.contents(of: parent.root + "/folder") == ["good.txt": "fine"])
        #expect(remote.hostileDownloads.load(ordering: .relaxed) == 0, "no hostile path was even fetched")
        #expect(Set(try Journal(path: state.root + "/journal.sqlite").trees().remote.paths.map(\.string)) == ["good.txt"])
    }

    /// A refusal whose "current item" sits at a path that cannot be inside the folder is a
    /// failure of that step, not news: the path never reaches the journal, where a later delta
    /// pass (which checks only what the feed names) would plan a download to it.
    @Test func aConflictNamingAPathOutsideIsAFailureNotNews() async throws {
        let parent = try TestFolder()
        try parent.mkdir("folder")
        try parent.write("folder/mine.txt", "mine")
        let state = try TestFolder()
        let remote = HostileRemote()
        remote.conflictOutside.store(true, ordering: .relaxed)
        let engine = FolderSync(
            configuration: .init(root: parent.root + "/folder", hostName: "laptop", timeZone: TimeZone(identifier: "UTC")!, retryBase: 3600),
            journal: try Journal(path: state.root + "/journal.sqlite"),
            remote: remote
        )
        let report = try await engine.pass()
        #expect(report.replan == nil, "not planned again on the port's word")
        #expect(report.failed.map { $0.0.primaryPath.string } == ["mine.txt"])
        let journal = try Journal(path: state.root + "/journal.sqlite")
        #expect(try journal.trees().remote.paths.allSatisfy(\.isWellFormed))
        #expect(try journal.errors().map(\.path.string) == ["mine.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.root) == ["folder"])
    }
}

/// The in-memory server with hostile answers added: paths that are not paths inside the folder
/// (made unchecked, as only a broken or malicious port could), in the snapshot and the feed.
final class HostileRemote: RemotePort {
    let inner = MemoryRemote()
    let hostileDownloads = Atomic<Int>(0)

    func hostileEntries() -> [(RelativePath, RemoteEntry)] {
        let content = inner.state.withLock { $0.tree[RelativePath("good.txt")!]?.contentHash }
        return ConfinementTests.hostilePaths.enumerated().map { index, raw in
            (RelativePath(unchecked: raw), RemoteEntry(kind: .file, fileId: "evil\(index)", revision: 1, size: 4, contentHash: content))
        }
    }

    func snapshot() async throws -> (tree: RemoteTree, cursor: String) {
        var (tree, cursor) = try await inner.snapshot()
        for (path, entry) in hostileEntries() { tree[path] = entry }
        return (tree, cursor)
    }

    func changes(after cursor: String) async throws -> RemoteDelta? {
        guard var delta = try await inner.changes(after: cursor) else { return nil }
        delta.changes += hostileEntries().map { RemoteDelta.Change(fileId: $0.1.fileId, path: $0.0, entry: $0.1) }
        return delta
    }

    func download(_ path: RelativePath, entry: RemoteEntry, to localPath: String) async throws {
        if !path.isWellFormed { hostileDownloads.add(1, ordering: .relaxed) }
        try await inner.download(path, entry: entry, to: localPath)
    }

    /// Uploads are refused with a conflict whose current item is at `../escaped.txt`.
    let conflictOutside = Atomic<Bool>(false)

    func upload(_ source: UploadSource, baseRevision: Int64?) async throws -> RemoteEntry {
        if conflictOutside.load(ordering: .relaxed) {
            throw RemoteConflict(
                path: source.path,
                currentPath: RelativePath(unchecked: "../escaped.txt"),
                current: RemoteEntry(kind: .file, fileId: "evil", revision: 1, size: 4, contentHash: source.contentHash)
            )
        }
        return try await inner.upload(source, baseRevision: baseRevision)
    }

    /// What a port that checks paths (the daemon's) left out of its listing.
    var refusedPaths: [String] { ["../refused-by-the-port"] }

    func createFolder(_ path: RelativePath) async throws -> RemoteEntry { try await inner.createFolder(path) }
    func move(_ path: RelativePath, to destination: RelativePath, revision: Int64) async throws -> RemoteEntry {
        try await inner.move(path, to: destination, revision: revision)
    }
    func delete(_ path: RelativePath, revision: Int64) async throws { try await inner.delete(path, revision: revision) }
}

/// Collects what a logger was told.
final class LogCapture: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])
    var warnings: [String] { lines.withLock { $0.filter { $0.0 >= .warning }.map(\.1) } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }
}
