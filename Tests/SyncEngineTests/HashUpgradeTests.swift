import Foundation
import GRDB
import S3Client
import SyncAPI
import Synchronization
import Testing

@testable import SyncEngine

/// A journal written under the old content hash (plain SHA-256) opened by this version: the
/// scheme change is not a content change on either side, whichever of server and daemon is
/// upgraded first. Files that did change meanwhile still sync.
@Suite struct HashUpgradeTests {
    static func plainSHA256(_ text: String) -> String {
        ContentIdentity.hex(Data(base64Encoded: ChecksumAlgorithm.sha256.checksum(of: Array(text.utf8)).base64)!)
    }

    /// A journal with only the migrations before the block hash, holding `files` as synced
    /// under their plain SHA-256 (local, remote and synced rows as the old daemon left them).
    static func oldJournal(at path: String, root: String, files: [(path: String, text: String, fileId: String)]) throws {
        let queue = try DatabaseQueue(path: path)
        try Journal.migrator.migrate(queue, upTo: "v2-upload-part-size")
        try queue.write { db in
            for file in files {
                var info = stat()
                #expect(lstat(root + "/" + file.path, &info) == 0)
                let hash = plainSHA256(file.text)
                let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                let ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
                let inode = Int64(bitPattern: UInt64(info.st_ino))
                try db.execute(
                    sql: "INSERT INTO local_items (path, kind, size, mtime_ns, ctime_ns, inode, content_hash) VALUES (?, 'file', ?, ?, ?, ?, ?)",
                    arguments: [file.path, Int64(info.st_size), mtime, ctime, inode, hash]
                )
                try db.execute(
                    sql: "INSERT INTO remote_items (path, kind, file_id, revision, size, content_hash) VALUES (?, 'file', ?, 1, ?, ?)",
                    arguments: [file.path, file.fileId, Int64(info.st_size), hash]
                )
                try db.execute(
                    sql: "INSERT INTO synced_items (path, kind, content_hash, size, inode, file_id, revision) VALUES (?, 'file', ?, ?, ?, ?, 1)",
                    arguments: [file.path, hash, Int64(info.st_size), inode, file.fileId]
                )
            }
        }
    }

    /// The remote as an old server: the files at revision 1 under `hash(text)`.
    static func serve(_ remote: MemoryRemote, _ files: [(path: String, text: String, fileId: String)], hash: (String) -> String) {
        remote.state.withLock { s in
            for file in files {
                let key = hash(file.text)
                s.tree[RelativePath(file.path)!] = RemoteEntry(
                    kind: .file,
                    fileId: file.fileId,
                    revision: 1,
                    size: Int64(file.text.utf8.count),
                    contentHash: key
                )
                s.contents[key] = Data(file.text.utf8)
            }
            s.nextId = 100
            s.cursor += 1
        }
    }

    @Test(arguments: [false, true])
    func theSchemeChangeIsNoContentChange(serverRehashedFirst: Bool) async throws {
        let folder = try TestFolder()
        let state = try TestFolder()
        let files = [("notes.txt", "hello", "r1"), ("edited.txt", "before", "r2")]
        for (path, text, _) in files { try folder.write(path, text) }
        let journalPath = state.root + "/journal.sqlite"
        try Self.oldJournal(at: journalPath, root: folder.root, files: files)
        let remote = MemoryRemote()
        Self.serve(remote, files, hash: serverRehashedFirst ? { ContentIdentity.identity(of: Array($0.utf8)) } : Self.plainSHA256)
        // Edited after the old daemon's last scan: a real change, it goes up (its size differs
        // from the journal's, whatever the clock's resolution).
        try folder.write("edited.txt", "after, longer")

        let inode = try #require(try FileManager.default.attributesOfItem(atPath: folder.root + "/notes.txt")[.systemFileNumber] as? Int)
        let engine = FolderSync(
            configuration: .init(root: folder.root, hostName: "laptop", timeZone: TimeZone(identifier: "UTC")!, retryBase: 0, retryCap: 3600),
            journal: try Journal(path: journalPath),
            remote: remote
        )
        let first = try await engine.pass()
        #expect(first.failed.isEmpty, "\(first.failed)")
        #expect(
            first.done.map { "\($0)" } == ["\(SyncAction.upload(RelativePath("edited.txt")!, baseRevision: 1))"],
            "only the edited file moves: \(first.done)"
        )
        #expect(remote.state.withLock { $0.uploads } == 1)
        // Not downloaded again, not conflicted: the same file, the same bytes.
        #expect(try FileManager.default.attributesOfItem(atPath: folder.root + "/notes.txt")[.systemFileNumber] as? Int == inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.root).sorted() == ["edited.txt", "notes.txt"])
        let identity = ContentIdentity.identity(of: Array("hello".utf8))
        let trees = try Journal(path: journalPath).trees()
        #expect(trees.local[RelativePath("notes.txt")!]?.contentHash == identity)
        #expect(trees.synced[RelativePath("notes.txt")!]?.contentHash == identity)
        #expect(trees.remote[RelativePath("notes.txt")!]?.contentHash == identity)

        // The server rehashes later (same revision, the new hash): still nothing to do.
        if !serverRehashedFirst {
            remote.state.withLock { s in
                s.tree[RelativePath("notes.txt")!]?.contentHash = identity
                s.contents[identity] = Data("hello".utf8)
                s.cursor += 1
            }
        }
        let second = try await engine.pass()
        #expect(second.isIdle && second.done.isEmpty, "\(second.done)")
        #expect(remote.state.withLock { $0.uploads } == 1)
    }

    @Test func aliasesComeOnlyFromFilesFoundUnchanged() {
        let path = RelativePath("a")!
        let legacy = [HashUpgrade.LegacyLocalHash(path: path, legacyHash: "old", size: 5, mtimeNs: 1, ctimeNs: 2, inode: 3)]
        var scanned = LocalTree()
        scanned[path] = LocalEntry(kind: .file, size: 5, mtimeNs: 1, ctimeNs: 2, inode: 3, contentHash: "new")
        #expect(HashUpgrade.aliases(legacy, scanned: scanned) == ["old": "new"])
        scanned[path]?.mtimeNs = 9
        #expect(HashUpgrade.aliases(legacy, scanned: scanned).isEmpty, "a file touched since may hold other bytes")
        var synced = SyncedTree()
        synced[path] = SyncedEntry(kind: .file, contentHash: "old", size: 5, inode: 3, fileId: "f", revision: 1)
        #expect(HashUpgrade.translated(synced, ["old": "new"])[path]?.contentHash == "new")
    }
}
