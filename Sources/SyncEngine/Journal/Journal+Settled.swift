import GRDB
import SyncAPI

/// What the quick check reads of the journal (``FolderSync/quickCheck(now:dryRun:)``): the three
/// trees side by side, a row at a time, in path order, never a whole tree.
extension Journal {
    /// One row of the local tree, with whether the path is settled: the synced and remote trees
    /// hold it with the same kind and content, the local identity (inode) and the remote one (file
    /// id, revision) the synced row recorded. The planner has nothing to do for a settled path.
    struct SettledRow {
        var path: RelativePath
        var kind: ItemKind
        var size: Int64
        var mtimeNs: Int64
        var ctimeNs: Int64
        var inode: UInt64
        var settled: Bool
    }

    /// Whether anything besides the three trees waits: a failed path's retry, a step's intent
    /// (move, upload, download) that a crash may have left, local files still under the legacy
    /// hash. (Hash aliases stay for good once made; a settled row's three hashes are the local
    /// identity already, so no alias can change what the planner decides for it.)
    func hasPendingWork() throws -> Bool {
        try pool.read { db in
            for table in [
                "path_errors", "move_intents", "upload_intents", "download_intents", "legacy_local_hashes",
            ] {
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table))") == true { return true }
            }
            return false
        }
    }

    /// Reads the three trees in one read transaction, each in its primary key's order (byte
    /// order of the path: sequential reads, no sort, no lookups), merged by path. `body` pulls
    /// the local rows, each with whether it is settled, and says whether to go on to the end.
    ///
    /// - Parameter ignore: the rules that hide paths of the synced and remote trees from the
    ///   planner: a path there that the local tree lacks is news unless they hide it (each row
    ///   judged with its own kind).
    /// - Returns: whether `body` went to the end and every such path was hidden.
    func readSettled(ignore: IgnoreRules, _ body: (_ next: () throws -> SettledRow?) throws -> Bool) throws -> Bool {
        try pool.read { db in
            let locals = try Row.fetchCursor(
                db,
                sql: "SELECT path, kind, size, mtime_ns, ctime_ns, inode, content_hash FROM local_items ORDER BY path"
            )
            let synced = try Row.fetchCursor(db, sql: "SELECT path, kind, content_hash, inode, file_id, revision FROM synced_items ORDER BY path")
            let remote = try Row.fetchCursor(db, sql: "SELECT path, kind, content_hash, file_id, revision FROM remote_items ORDER BY path")
            var allHidden = true
            // The last hidden folder met ("folder/"): the rows inside it come next, in path
            // order, and are hidden without matching the rules again (an excluded or ignored
            // folder of 500,000 items on the server costs a prefix test a row).
            var hiddenPrefix: [UInt8] = []
            func extra(_ path: String, _ kind: ItemKind) {
                guard allHidden, hiddenPrefix.isEmpty || !path.utf8.starts(with: hiddenPrefix) else { return }
                let item = RelativePath(unchecked: path)
                if let folder = ignore.hidingFolder(of: item, isFolder: kind == .folder) {
                    hiddenPrefix = Array(folder.string.utf8) + [UInt8(ascii: "/")]
                } else if !ignore.isIgnored(item, isFolder: kind == .folder) {
                    allHidden = false
                }
            }
            // The head of each of the other two trees, as (path, values) copied out of the row.
            var nextSynced = try synced.next().map(SyncedHead.init)
            var nextRemote = try remote.next().map(RemoteHead.init)
            let finished = try body {
                guard let row = try locals.next() else { return nil }
                let path: String = row[0]
                while let head = nextSynced, Self.precedes(head.path, path) {
                    extra(head.path, head.kind)
                    nextSynced = try synced.next().map(SyncedHead.init)
                }
                while let head = nextRemote, Self.precedes(head.path, path) {
                    extra(head.path, head.kind)
                    nextRemote = try remote.next().map(RemoteHead.init)
                }
                let kind = ItemKind(rawValue: row[1]) ?? .file
                let inode = UInt64(bitPattern: row[5])
                let hash: String? = row[6]
                var settled = false
                if let s = nextSynced, Self.same(s.path, path), let r = nextRemote, Self.same(r.path, path) {
                    settled =
                        kind == s.kind && r.kind == s.kind && hash == s.hash && r.hash == s.hash && inode == s.inode && r.fileId == s.fileId
                        && r.revision == s.revision
                }
                if let s = nextSynced, Self.same(s.path, path) { nextSynced = try synced.next().map(SyncedHead.init) }
                if let r = nextRemote, Self.same(r.path, path) { nextRemote = try remote.next().map(RemoteHead.init) }
                return SettledRow(
                    path: RelativePath(unchecked: path),
                    kind: kind,
                    size: row[2],
                    mtimeNs: row[3],
                    ctimeNs: row[4],
                    inode: inode,
                    settled: settled
                )
            }
            guard finished, allHidden else { return false }
            if let head = nextSynced { extra(head.path, head.kind) }
            while allHidden, let row = try synced.next() { extra(row[0], ItemKind(rawValue: row[1]) ?? .file) }
            if let head = nextRemote { extra(head.path, head.kind) }
            while allHidden, let row = try remote.next() { extra(row[0], ItemKind(rawValue: row[1]) ?? .file) }
            return allHidden
        }
    }

    private struct SyncedHead {
        var path: String
        var kind: ItemKind
        var hash: String?
        var inode: UInt64
        var fileId: String
        var revision: Int64

        init(_ row: Row) {
            path = row[0]
            kind = ItemKind(rawValue: row[1]) ?? .file
            hash = row[2]
            inode = UInt64(bitPattern: row[3])
            fileId = row[4]
            revision = row[5]
        }
    }

    private struct RemoteHead {
        var path: String
        var kind: ItemKind
        var hash: String?
        var fileId: String
        var revision: Int64

        init(_ row: Row) {
            path = row[0]
            kind = ItemKind(rawValue: row[1]) ?? .file
            hash = row[2]
            fileId = row[3]
            revision = row[4]
        }
    }

    /// SQLite's BINARY order: the UTF-8 bytes, compared as memcmp does.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var (a, b) = (a, b)
        return a.withUTF8 { x in b.withUTF8 { y in x.lexicographicallyPrecedes(y) } }
    }

    static func same(_ a: String, _ b: String) -> Bool {
        var (a, b) = (a, b)
        return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && x.elementsEqual(y) } }
    }
}
