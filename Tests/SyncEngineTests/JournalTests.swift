import Foundation
import GRDB
import SyncAPI
import Testing

@testable import SyncEngine

@Suite struct JournalTests {
    func p(_ s: String) -> RelativePath { RelativePath(s)! }

    @Test func treesSurviveReopeningInWALMode() throws {
        let dir = try TestFolder()
        let file = dir.root + "/journal.sqlite"
        do {
            let journal = try Journal(path: file)
            var change = JournalChange()
            change.local[p("docs")] = LocalEntry(kind: .folder, inode: 7)
            change.local[p("docs/ü.txt")] = LocalEntry(
                kind: .file,
                size: 3,
                mtimeNs: 1_700_000_000_123_456_789,
                ctimeNs: 5,
                inode: UInt64.max,
                contentHash: "abc"
            )
            change.remote[p("docs/ü.txt")] = RemoteEntry(kind: .file, fileId: "f1", revision: 4, size: 3, contentHash: "abc")
            change.synced[p("docs/ü.txt")] = SyncedEntry(kind: .file, contentHash: "abc", size: 3, inode: UInt64.max, fileId: "f1", revision: 4)
            change.remoteCursor = "cursor-42"
            try journal.apply(change)
            let mode = try journal.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
        let reopened = try Journal(path: file)
        let (local, remote, synced) = try reopened.trees()
        #expect(local[p("docs/ü.txt")]?.inode == UInt64.max, "inodes above Int64.max survive")
        #expect(local[p("docs/ü.txt")]?.mtimeNs == 1_700_000_000_123_456_789)
        #expect(local[p("docs")]?.kind == .folder)
        #expect(remote[p("docs/ü.txt")]?.revision == 4)
        #expect(synced[p("docs/ü.txt")]?.fileId == "f1")
        #expect(try reopened.remoteCursor() == "cursor-42")
        #expect(try reopened.integrityProblems().isEmpty)
    }

    @Test func replacingASubtreeTouchesNothingElse() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        var seed = JournalChange()
        for name in ["a", "a/x", "a/y", "a b", "a b/z", "a_c", "a%d", "a0", "ab/w"] {
            seed.local[p(name)] = LocalEntry(kind: .file, inode: 1)
        }
        try journal.apply(seed)
        var rescan = JournalChange()
        rescan.replaceLocal(
            under: p("a"),
            with: LocalTree([p("a"): LocalEntry(kind: .folder, inode: 2), p("a/new"): LocalEntry(kind: .file, inode: 3)]),
            previous: try journal.trees().local
        )
        try journal.apply(rescan)
        let paths = try journal.trees().local.paths.map(\.string).sorted()
        #expect(paths == ["a", "a b", "a b/z", "a%d", "a/new", "a0", "a_c", "ab/w"])
        #expect(try journal.trees().local[p("a")]?.kind == .folder)
    }

    /// A rescan or listing that finds what the journal holds writes no row; one that finds a
    /// change writes just that, and the journal ends as the new tree either way.
    @Test func replacingATreeWritesOnlyWhatChanged() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        var seed = JournalChange()
        for i in 0..<100 { seed.remote[p("f\(i)")] = RemoteEntry(kind: .file, fileId: "id\(i)", revision: 1, size: 1, contentHash: "h\(i)") }
        try journal.apply(seed)
        let before = try journal.trees().remote

        var same = JournalChange()
        same.replaceRemote(with: before, previous: before)
        #expect(same.remote.isEmpty)

        var listing = before
        listing[p("f1")] = RemoteEntry(kind: .file, fileId: "id1", revision: 2, size: 2, contentHash: "new")
        listing[p("f2")] = nil
        listing[p("g")] = RemoteEntry(kind: .folder, fileId: "g", revision: 1)
        var changed = JournalChange()
        changed.replaceRemote(with: listing, previous: before)
        #expect(changed.remote.count == 3, "one changed, one gone, one new")
        try journal.apply(changed)
        #expect(try journal.trees().remote == listing)
    }

    /// Two looks at the same subtree in one pass (a hinted folder, then the source of a move
    /// found inside it): the journal holds what the last one saw.
    @Test func theLastRescanOfASubtreeWins() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        var seed = JournalChange()
        seed.local[p("d")] = LocalEntry(kind: .folder, inode: 1)
        seed.local[p("d/a")] = LocalEntry(kind: .file, size: 1, inode: 2, contentHash: "old")
        try journal.apply(seed)
        let before = try journal.trees().local

        var first = before
        first[p("d/a")] = LocalEntry(kind: .file, size: 2, inode: 2, contentHash: "first")
        first[p("d/b")] = LocalEntry(kind: .file, size: 1, inode: 3, contentHash: "b")
        var change = JournalChange()
        change.replaceLocal(under: p("d"), with: first, previous: before)
        // The second look finds the folder as the journal had it: a back to its old content, no b.
        change.replaceLocal(under: p("d"), with: before, previous: before)
        try journal.apply(change)
        #expect(try journal.trees().local == before)
    }

    @Test func aFailedTransactionLeavesNothingBehind() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        try journal.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON synced_items WHEN NEW.path = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        }
        var change = JournalChange()
        change.local[p("ok.txt")] = LocalEntry(kind: .file, inode: 1)
        change.remote[p("ok.txt")] = RemoteEntry(kind: .file, fileId: "1", revision: 1)
        change.synced[p("boom")] = SyncedEntry(kind: .file, contentHash: nil, size: 0, inode: 1, fileId: "1", revision: 1)
        #expect(throws: (any Error).self) { try journal.apply(change) }
        let (local, remote, synced) = try journal.trees()
        #expect(local.entries.isEmpty && remote.entries.isEmpty && synced.entries.isEmpty)
    }

    /// Steps committing side by side share a transaction: one that fails is rolled back alone,
    /// and each of the others is in the journal when its commit returns.
    @Test func aFailedStepInAGroupCommitLeavesTheOthersCommitted() async throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        try await journal.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON synced_items WHEN NEW.path = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        }
        // Hold the writer so that the commits below queue up and go as one group.
        func holdWriter() { journal.pool.asyncWriteWithoutTransaction { _ in usleep(200_000) } }
        holdWriter()
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for name in (0..<20).map({ $0 == 7 ? "boom" : "f\($0)" }) {
                group.addTask {
                    var change = JournalChange()
                    change.synced[RelativePath(name)!] = SyncedEntry(kind: .file, contentHash: nil, size: 0, inode: 1, fileId: name, revision: 1)
                    do {
                        try await journal.commit(change)
                        return (name, true)
                    } catch {
                        return (name, false)
                    }
                }
            }
            var outcomes: [String: Bool] = [:]
            for await (name, committed) in group { outcomes[name] = committed }
            return outcomes
        }
        #expect(outcomes.filter { !$0.value }.keys.sorted() == ["boom"])
        let synced = try journal.trees().synced
        #expect(Set(synced.paths.map(\.string)) == Set((0..<20).filter { $0 != 7 }.map { "f\($0)" }))
    }

    @Test func uploadSessionsKeepTheirPartsUntilFinished() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        let path = p("big/video.mkv")
        try journal.beginUpload(
            UploadSession(
                path: path,
                uploadId: "u-1",
                size: 200 << 20,
                mtimeNs: 9,
                inode: 5,
                contentHash: "h",
                startedAt: Date(timeIntervalSince1970: 1000),
                partSize: 16 << 20
            )
        )
        try journal.recordPart(UploadedPart(partNumber: 2, etag: "e2", size: 16 << 20, checksum: "crc32c:AAAAAA=="), of: path)
        try journal.recordPart(UploadedPart(partNumber: 1, etag: "e1", size: 16 << 20), of: path)
        try journal.recordPart(UploadedPart(partNumber: 2, etag: "e2b", size: 16 << 20), of: path)
        let session = try #require(try journal.uploadSession(for: path))
        #expect(session.uploadId == "u-1" && session.partSize == 16 << 20, "a resumed upload cuts the same parts")
        #expect(session.parts.map(\.partNumber) == [1, 2])
        #expect(session.parts.map(\.etag) == ["e1", "e2b"])
        #expect(try journal.uploadSessions().count == 1)
        var done = JournalChange()
        done.finishedUploads = [path]
        try journal.apply(done)
        #expect(try journal.uploadSession(for: path) == nil)
    }

    /// A session journalled by an older daemon (its parts as S3Client's CompletedPart JSON)
    /// still resumes after an upgrade: nothing is sent twice for want of reading it.
    @Test func aSessionJournalledBeforeTheUpgradeStillReads() throws {
        let dir = try TestFolder()
        let path = p("big/old.bin")
        do {
            let journal = try Journal(path: dir.root + "/j.sqlite")
            try journal.beginUpload(
                UploadSession(
                    path: path,
                    uploadId: "u-old",
                    size: 40 << 20,
                    mtimeNs: 1,
                    inode: 2,
                    contentHash: "h",
                    startedAt: Date(),
                    partSize: 8 << 20
                )
            )
        }
        // What the daemon before the engine's own part type wrote, byte for byte.
        let written =
            #"[{"partNumber":1,"etag":"\"e1\"","size":8388608,"checksum":"sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},{"partNumber":2,"etag":"\"e2\"","size":8388608}]"#
        try DatabaseQueue(path: dir.root + "/j.sqlite").write { db in
            try db.execute(sql: "UPDATE upload_sessions SET parts = ? WHERE path = ?", arguments: [written, path.string])
        }
        let session = try #require(try Journal(path: dir.root + "/j.sqlite").uploadSession(for: path))
        #expect(
            session.parts == [
                UploadedPart(partNumber: 1, etag: "\"e1\"", size: 8 << 20, checksum: "sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
                UploadedPart(partNumber: 2, etag: "\"e2\"", size: 8 << 20),
            ]
        )
    }

    @Test func errorsCountAttempts() throws {
        let dir = try TestFolder()
        let journal = try Journal(path: dir.root + "/j.sqlite")
        try journal.recordError("HTTP 503", for: p("a.txt"), retryAt: Date(timeIntervalSince1970: 10))
        try journal.recordError("HTTP 503 again", for: p("a.txt"), retryAt: Date(timeIntervalSince1970: 20))
        #expect(
            try journal.errors() == [PathError(path: p("a.txt"), message: "HTTP 503 again", attempts: 2, retryAt: Date(timeIntervalSince1970: 20))]
        )
        var clear = JournalChange()
        clear.clearedErrors = [p("a.txt")]
        try journal.apply(clear)
        #expect(try journal.errors().isEmpty)
    }

    @Test func migrationsAreAppendOnly() {
        // Released migration names never change or reorder; new ones go at the end.
        #expect(
            Journal.migrator.migrations == [
                "v1-trees", "v2-upload-part-size", "v3-integrity-block-hash", "v4-step-intents", "v5-download-intents", "v6-remote-listing",
                "v7-activity", "v8-identity-indexes",
            ]
        )
    }

    @Test func uploadIntentsKeepTheNewestOfAPathAndSettleByContentOrPath() throws {
        let journal = try Journal(path: FileManager.default.temporaryDirectory.appendingPathComponent("intents-\(UUID()).sqlite").path)
        let a = p("a.txt")
        for i in 0..<(UploadIntent.perPath + 3) {
            try journal.recordUploadIntent(
                UploadIntent(path: a, contentHash: "h\(i)", size: Int64(i), baseRevision: 1),
                at: Date(timeIntervalSince1970: Double(100 + i))
            )
        }
        try journal.recordUploadIntent(UploadIntent(path: p("b.txt"), contentHash: "hb", size: 1, baseRevision: nil))
        let kept = try journal.uploadIntents().filter { $0.path == a }.map(\.contentHash)
        #expect(kept == (3..<(UploadIntent.perPath + 3)).map { "h\($0)" }, "the newest, oldest first")
        var change = JournalChange()
        change.settledIntents = [(a, "h5"), (p("b.txt"), nil)]
        try journal.apply(change)
        #expect(try journal.uploadIntents().map(\.contentHash) == kept.filter { $0 != "h5" })
    }
}
