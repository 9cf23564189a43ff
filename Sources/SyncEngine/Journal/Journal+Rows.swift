import GRDB
import SyncAPI

/// The three trees' rows as entries: each table's columns in one order, read by one decoder,
/// wherever a row is read (whole trees, part of them, one path).
extension Journal {
    static let localColumns = "kind, size, mtime_ns, ctime_ns, inode, content_hash"
    static let remoteColumns = "kind, file_id, revision, size, content_hash"
    static let syncedColumns = "kind, content_hash, size, inode, file_id, revision"
}

extension LocalEntry {
    /// A row's ``Journal/localColumns``, starting at column `first`.
    init(row: Row, from first: Int) {
        self.init(
            kind: ItemKind(rawValue: row[first]) ?? .file,
            size: row[first + 1],
            mtimeNs: row[first + 2],
            ctimeNs: row[first + 3],
            inode: UInt64(bitPattern: row[first + 4]),
            contentHash: row[first + 5]
        )
    }
}

extension RemoteEntry {
    /// A row's ``Journal/remoteColumns``, starting at column `first`.
    init(row: Row, from first: Int) {
        self.init(
            kind: ItemKind(rawValue: row[first]) ?? .file,
            fileId: row[first + 1],
            revision: row[first + 2],
            size: row[first + 3],
            contentHash: row[first + 4]
        )
    }
}

extension SyncedEntry {
    /// A row's ``Journal/syncedColumns``, starting at column `first`.
    init(row: Row, from first: Int) {
        self.init(
            kind: ItemKind(rawValue: row[first]) ?? .file,
            contentHash: row[first + 1],
            size: row[first + 2],
            inode: UInt64(bitPattern: row[first + 3]),
            fileId: row[first + 4],
            revision: row[first + 5]
        )
    }
}
