import GRDB
import SyncAPI

/// The part of the three trees a pass over a few paths needs: the rows under some folders
/// (whole subtrees, in all three trees), the rows of the folders above them, and everything
/// reached from there by identity (an inode or a file id seen at another path), until that
/// set stops growing. ``FolderSync`` plans on it in place of the whole trees when the journal
/// was settled before the pass (``FolderSync/partialTrees(subtrees:delta:)``).
struct PartialTrees: Sendable {
    var local = LocalTree()
    var remote = RemoteTree()
    var synced = SyncedTree()
    /// Folders (or files) whose whole subtree is loaded.
    private(set) var roots: Set<RelativePath> = []
    /// Paths loaded on their own (the folders above a root).
    private(set) var points: Set<RelativePath> = []
    /// Inodes and file ids already looked up.
    private var inodesSeen: Set<UInt64> = []
    private var fileIdsSeen: Set<String> = []
    /// Rows read so far, in all three tables.
    private(set) var rowsRead = 0

    /// Whether `path`'s subtree is loaded.
    func covers(_ path: RelativePath) -> Bool {
        roots.contains(path) || path.ancestors.contains { roots.contains($0) }
    }

    /// Loads `root`'s subtree from the three tables, and the rows of the folders above it.
    mutating func include(_ root: RelativePath, _ db: Database) throws {
        guard !covers(root) else { return }
        roots.insert(root)
        let below = root.string + "/"
        let after = root.string + "0"  // '0' follows '/' in byte order: the end of "root/..."
        for (sql, arguments) in [
            ("= ?", [root.string] as StatementArguments), (">= ? AND path < ?", [below, after] as StatementArguments),
        ] {
            try read(db, where: "path " + sql, arguments)
        }
        for ancestor in root.ancestors where !points.contains(ancestor) && !covers(ancestor) {
            points.insert(ancestor)
            try read(db, where: "path = ?", [ancestor.string])
        }
    }

    /// Loads, with their subtrees, the paths where the journal holds `inode` (locally or as
    /// synced): where a moved item came from, or another link of it.
    mutating func follow(inode: UInt64, _ db: Database) throws {
        guard inodesSeen.insert(inode).inserted else { return }
        for table in ["local_items", "synced_items"] {
            let paths = try String.fetchAll(
                db.cachedStatement(sql: "SELECT path FROM \(table) WHERE inode = ?"),
                arguments: [Int64(bitPattern: inode)]
            )
            for path in paths { try include(RelativePath(unchecked: path), db) }
        }
    }

    /// Loads, with their subtrees, the paths where the journal holds `fileId` (on the server or
    /// as synced).
    mutating func follow(fileId: String, _ db: Database) throws {
        guard fileIdsSeen.insert(fileId).inserted else { return }
        for table in ["remote_items", "synced_items"] {
            let paths = try String.fetchAll(db.cachedStatement(sql: "SELECT path FROM \(table) WHERE file_id = ?"), arguments: [fileId])
            for path in paths { try include(RelativePath(unchecked: path), db) }
        }
    }

    private mutating func read(_ db: Database, where condition: String, _ arguments: StatementArguments) throws {
        let local = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT path, \(Journal.localColumns) FROM local_items WHERE \(condition)"),
            arguments: arguments
        )
        while let row = try local.next() {
            rowsRead += 1
            self.local[RelativePath(unchecked: row[0])] = LocalEntry(row: row, from: 1)
        }
        let remote = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT path, \(Journal.remoteColumns) FROM remote_items WHERE \(condition)"),
            arguments: arguments
        )
        while let row = try remote.next() {
            rowsRead += 1
            self.remote[RelativePath(unchecked: row[0])] = RemoteEntry(row: row, from: 1)
        }
        let synced = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT path, \(Journal.syncedColumns) FROM synced_items WHERE \(condition)"),
            arguments: arguments
        )
        while let row = try synced.next() {
            rowsRead += 1
            self.synced[RelativePath(unchecked: row[0])] = SyncedEntry(row: row, from: 1)
        }
    }
}

extension Journal {
    /// Runs `body` in one read transaction (a consistent view of the journal).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }
}

extension Journal {
    /// `delta` without the changes that would change nothing in the journal's remote tree:
    /// chiefly this device's own steps coming back through the feed, which the journal recorded
    /// when it made them. A change is left out only when the journal holds its item exactly as
    /// the change describes it, at its path and nowhere else (or, for a deletion, nowhere), no
    /// other change of the delta names the same item or its path, and, when the delta moves a
    /// folder or deletes anything (which moves or deletes what is inside), none names a folder
    /// above it. Applying the rest gives the same tree as applying the whole delta.
    func withoutEchoes(_ delta: RemoteDelta) throws -> RemoteDelta {
        guard !delta.changes.isEmpty else { return delta }
        // Only a folder's move and a deletion reach rows under the path they name.
        let structural = delta.changes.contains { $0.movedFrom != nil || $0.entry == nil }
        var named: [RelativePath: Int] = [:]
        var items: [String: Int] = [:]
        for change in delta.changes {
            for path in [change.path, change.movedFrom].compactMap(\.self) { named[path, default: 0] += 1 }
            items[change.fileId, default: 0] += 1
        }
        let changes = try pool.read { db in
            try delta.changes.filter { change in
                guard items[change.fileId] == 1 else { return true }
                if let path = change.path {
                    let others = named[path, default: 0] - 1 - (change.movedFrom == path ? 1 : 0)
                    if others > 0 || (structural && path.ancestors.contains(where: { named[$0] != nil })) { return true }
                }
                if let from = change.movedFrom, from != change.path,
                    named[from, default: 0] > 1 || from.ancestors.contains(where: { named[$0] != nil })
                {
                    return true
                }
                let rows = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT path, kind, revision, size, content_hash FROM remote_items WHERE file_id = ?"),
                    arguments: [change.fileId]
                )
                guard let entry = change.entry, let path = change.path else { return !rows.isEmpty }
                guard rows.count == 1, let row = rows.first else { return true }
                let held = RemoteEntry(
                    kind: ItemKind(rawValue: row[1]) ?? .file,
                    fileId: change.fileId,
                    revision: row[2],
                    size: row[3],
                    contentHash: row[4]
                )
                return RelativePath(unchecked: row[0]) != path || held != entry
            }
        }
        return changes.count == delta.changes.count ? delta : RemoteDelta(changes: changes, cursor: delta.cursor)
    }
}
