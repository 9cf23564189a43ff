import GRDB
import SyncAPI

/// What the quick check reads of the journal (``FolderSync/quickCheck(now:dryRun:)``): a row at a
/// time, in path order, never a whole tree.
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
    /// (move, upload, download) that a crash may have left, the hash upgrade.
    func hasPendingWork() throws -> Bool {
        try pool.read { db in
            for table in [
                "path_errors", "move_intents", "upload_intents", "download_intents", "legacy_local_hashes", "hash_aliases", "legacy_hashes",
            ] {
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table))") == true { return true }
            }
            return false
        }
    }

    /// Reads the local tree in byte order of the path (the primary key's order: no sort), each
    /// row with whether it is settled, handing `body` a function that returns the next row (nil
    /// after the last). One read transaction: the rows are one state of the journal.
    ///
    /// Also hands over the paths of the synced and remote trees that the local tree lacks, at
    /// most `limit` of them (nil: more than that), read only when the tables' sizes say there are
    /// any.
    func readSettled<T>(
        extrasLimit limit: Int,
        _ body: (_ extras: [(path: RelativePath, kind: ItemKind)]?, _ next: () throws -> SettledRow?) throws -> T
    ) throws -> T {
        try pool.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            let locals = try count("local_items")
            var extras: [(path: RelativePath, kind: ItemKind)]? = []
            // Every local row settled means a synced and a remote row at each local path: the
            // others are extra exactly when a table holds more rows than the local one.
            if try count("synced_items") != locals || count("remote_items") != locals {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT path, kind FROM synced_items s WHERE NOT EXISTS (SELECT 1 FROM local_items l WHERE l.path = s.path)
                        UNION ALL
                        SELECT path, kind FROM remote_items r WHERE NOT EXISTS (SELECT 1 FROM local_items l WHERE l.path = r.path)
                        LIMIT ?
                        """,
                    arguments: [limit + 1]
                )
                extras = rows.count > limit ? nil : rows.map { (RelativePath(unchecked: $0[0]), ItemKind(rawValue: $0[1]) ?? .file) }
            }
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT l.path, l.kind, l.size, l.mtime_ns, l.ctime_ns, l.inode,
                        s.path IS NOT NULL AND r.path IS NOT NULL AND l.kind = s.kind AND r.kind = s.kind
                        AND l.content_hash IS s.content_hash AND r.content_hash IS s.content_hash
                        AND l.inode = s.inode AND r.file_id = s.file_id AND r.revision = s.revision
                    FROM local_items l
                    LEFT JOIN synced_items s ON s.path = l.path
                    LEFT JOIN remote_items r ON r.path = l.path
                    ORDER BY l.path
                    """
            )
            return try body(extras) {
                guard let row = try rows.next() else { return nil }
                return SettledRow(
                    path: RelativePath(unchecked: row[0]),
                    kind: ItemKind(rawValue: row[1]) ?? .file,
                    size: row[2],
                    mtimeNs: row[3],
                    ctimeNs: row[4],
                    inode: UInt64(bitPattern: row[5]),
                    settled: row[6]
                )
            }
        }
    }
}
