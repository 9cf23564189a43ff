import Foundation
import GRDB
import SyncAPI

/// The journal read-only, beside the daemon that writes it (WAL lets both run): what
/// `syncd ls`, `filestatus`, `conflicts` and `activity` show. It never migrates nor writes; a
/// journal older than this build reads as far as its tables go.
public final class JournalReader: Sendable {
    let queue: DatabaseQueue

    /// One path's rows in the three trees.
    public struct Entry: Sendable, Equatable {
        public var local: LocalEntry?
        public var remote: RemoteEntry?
        public var synced: SyncedEntry?

        public init(local: LocalEntry? = nil, remote: RemoteEntry? = nil, synced: SyncedEntry? = nil) {
            self.local = local
            self.remote = remote
            self.synced = synced
        }
    }

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EngineError("no journal at \(path): this device has not synced yet (`syncd run`)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    public func entry(_ path: RelativePath) throws -> Entry {
        try queue.read { db in
            let local = try Row.fetchOne(
                db,
                sql: "SELECT \(Journal.localColumns) FROM local_items WHERE path = ?",
                arguments: [path.string]
            ).map { LocalEntry(row: $0, from: 0) }
            let remote = try Row.fetchOne(
                db,
                sql: "SELECT \(Journal.remoteColumns) FROM remote_items WHERE path = ?",
                arguments: [path.string]
            ).map { RemoteEntry(row: $0, from: 0) }
            let synced = try Row.fetchOne(
                db,
                sql: "SELECT \(Journal.syncedColumns) FROM synced_items WHERE path = ?",
                arguments: [path.string]
            ).map { SyncedEntry(row: $0, from: 0) }
            return Entry(local: local, remote: remote, synced: synced)
        }
    }

    /// The error a path waits with, if any.
    public func error(_ path: RelativePath) throws -> PathError? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT path, message, attempts, retry_at FROM path_errors WHERE path = ?", arguments: [path.string]).map {
                PathError(path: RelativePath(unchecked: $0[0]), message: $0[1], attempts: $0[2], retryAt: Date(timeIntervalSince1970: $0[3]))
            }
        }
    }

    /// Every path of the three trees whose name marks a conflicted copy, sorted.
    public func conflictedCopies() throws -> [RelativePath] {
        try queue.read { db in
            let rows = try String.fetchAll(
                db,
                sql: """
                    SELECT path FROM local_items WHERE path LIKE '%(conflicted copy from %'
                    UNION SELECT path FROM remote_items WHERE path LIKE '%(conflicted copy from %'
                    ORDER BY path
                    """
            )
            return rows.map(RelativePath.init(unchecked:)).filter { ConflictName.original(of: $0) != nil }
        }
    }

    /// The newest `limit` entries of the activity log, newest first.
    public func activity(limit: Int) throws -> [Activity] {
        try queue.read { db in
            guard try db.tableExists("activity") else { return [] }
            return try Row.fetchAll(
                db,
                sql: "SELECT at, action, path, to_path, bytes, revision FROM activity ORDER BY seq DESC LIMIT ?",
                arguments: [max(0, limit)]
            ).compactMap { row in
                guard let action = Activity.Action(rawValue: row[1]) else { return nil }
                return Activity(
                    at: Date(timeIntervalSince1970: row[0]),
                    action: action,
                    path: row[2],
                    toPath: row[3],
                    bytes: row[4],
                    revision: row[5]
                )
            }
        }
    }
}

extension Journal {
    /// Writes everything the WAL holds into the journal file and empties the WAL (no daemon may
    /// have it open): the journal is then its one file, and can be moved without its WAL.
    public static func checkpoint(_ path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }

    /// A consistent copy of the journal at `path` (its WAL included) written to `copy`, through
    /// SQLite's backup: what a dry run works on, so that nothing it does (migrations of an older
    /// journal, a hash upgrade, any write) reaches the real one.
    public static func copy(of path: String, to copy: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let source = try DatabaseQueue(path: path, configuration: configuration)
        let destination = try DatabaseQueue(path: copy)
        try source.backup(to: destination)
        try destination.close()
        try source.close()
    }
}
