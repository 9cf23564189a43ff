public import Foundation
import GRDB
import SyncAPI

/// The daemon's SQLite journal (WAL mode): the three trees, upload sessions for resume, the
/// remote change cursor and per-path errors.
///
/// One connection pool per process; every finished action is recorded with ``apply(_:)`` in one
/// write transaction, so a crash at any instant leaves either the state before the action or
/// the state after it.
public final class Journal: Sendable {
    let pool: DatabasePool
    /// The engine's steps, committed together when they finish together.
    let group: GroupCommit
    public let path: String

    /// Opens (creating if needed) the journal and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // FULL, not NORMAL: the journal must survive power loss with the action it records.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        group = GroupCommit(pool: pool)
        self.path = path
        try Self.migrator.migrate(pool)
    }

    /// The three trees as last recorded.
    /// (Rows are read through cursors: a row is decoded where SQLite holds it, not copied first.)
    public func trees() throws -> (local: LocalTree, remote: RemoteTree, synced: SyncedTree) {
        try pool.read { db in
            // Sized up front: a tree grown row by row rehashes its paths at every doubling.
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            var local = LocalTree()
            local.entries.reserveCapacity(try count("local_items"))
            let localRows = try Row.fetchCursor(db, sql: "SELECT path, \(Self.localColumns) FROM local_items")
            while let row = try localRows.next() {
                local[RelativePath(unchecked: row[0])] = LocalEntry(row: row, from: 1)
            }
            var remote = RemoteTree()
            remote.entries.reserveCapacity(try count("remote_items"))
            let remoteRows = try Row.fetchCursor(db, sql: "SELECT path, \(Self.remoteColumns) FROM remote_items")
            while let row = try remoteRows.next() {
                remote[RelativePath(unchecked: row[0])] = RemoteEntry(row: row, from: 1)
            }
            var synced = SyncedTree()
            synced.entries.reserveCapacity(try count("synced_items"))
            let syncedRows = try Row.fetchCursor(db, sql: "SELECT path, \(Self.syncedColumns) FROM synced_items")
            while let row = try syncedRows.next() {
                synced[RelativePath(unchecked: row[0])] = SyncedEntry(row: row, from: 1)
            }
            return (local, remote, synced)
        }
    }

    /// Records a change of any of the trees (and the cursor, an upload session's end, a path's
    /// error) in one transaction.
    public func apply(_ change: JournalChange) throws {
        try pool.write { db in try Self.write(change, db) }
    }

    /// ``apply(_:)`` for steps that finish side by side: in a transaction shared with the
    /// changes other tasks commit at the same time (``GroupCommit``), as durable when it returns.
    public func commit(_ change: JournalChange) async throws {
        try await group.write { db in try Self.write(change, db) }
    }

    static func write(_ change: JournalChange, _ db: Database) throws {
        for (path, entry) in change.local {
            if let e = entry {
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO local_items (path, kind, size, mtime_ns, ctime_ns, inode, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [path.string, e.kind.rawValue, e.size, e.mtimeNs, e.ctimeNs, Int64(bitPattern: e.inode), e.contentHash]
                )
            } else {
                try db.execute(sql: "DELETE FROM local_items WHERE path = ?", arguments: [path.string])
            }
        }
        for (path, entry) in change.remote {
            if let e = entry {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO remote_items (path, kind, file_id, revision, size, content_hash) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [path.string, e.kind.rawValue, e.fileId, e.revision, e.size, e.contentHash]
                )
            } else {
                try db.execute(sql: "DELETE FROM remote_items WHERE path = ?", arguments: [path.string])
            }
        }
        for (path, entry) in change.synced {
            if let e = entry {
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO synced_items (path, kind, content_hash, size, inode, file_id, revision) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [path.string, e.kind.rawValue, e.contentHash, e.size, Int64(bitPattern: e.inode), e.fileId, e.revision]
                )
            } else {
                try db.execute(sql: "DELETE FROM synced_items WHERE path = ?", arguments: [path.string])
            }
        }
        if let cursor = change.remoteCursor {
            try db.execute(sql: "INSERT OR REPLACE INTO remote_cursor (id, cursor) VALUES (1, ?)", arguments: [cursor])
        }
        if let listed = change.remoteListedAt {
            try db.execute(sql: "INSERT OR REPLACE INTO remote_listing (id, listed_at) VALUES (1, ?)", arguments: [listed.timeIntervalSince1970])
        }
        for path in change.finishedUploads {
            try db.execute(sql: "DELETE FROM upload_sessions WHERE path = ?", arguments: [path.string])
        }
        for (path, hash) in change.settledIntents {
            if let hash {
                try db.execute(sql: "DELETE FROM upload_intents WHERE path = ? AND content_hash = ?", arguments: [path.string, hash])
            } else {
                try db.execute(sql: "DELETE FROM upload_intents WHERE path = ?", arguments: [path.string])
            }
        }
        for fileId in change.settledMoves {
            try db.execute(sql: "DELETE FROM move_intents WHERE file_id = ?", arguments: [fileId])
        }
        for path in change.settledDownloads {
            try db.execute(sql: "DELETE FROM download_intents WHERE path = ?", arguments: [path.string])
        }
        for path in change.clearedErrors {
            try db.execute(sql: "DELETE FROM path_errors WHERE path = ?", arguments: [path.string])
        }
        if !change.activity.isEmpty {
            for entry in change.activity {
                try db.execute(
                    sql: "INSERT INTO activity (at, action, path, to_path, bytes, revision) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [entry.at.timeIntervalSince1970, entry.action.rawValue, entry.path, entry.toPath, entry.bytes, entry.revision]
                )
            }
            try db.execute(sql: "DELETE FROM activity WHERE seq <= (SELECT MAX(seq) FROM activity) - ?", arguments: [Activity.kept])
        }
    }

    // MARK: Upload intents

    /// Records the upload about to be sent (beside the path's earlier intents, of which the
    /// newest ``UploadIntent/perPath`` are kept); durable before the server hears of it.
    public func recordUploadIntent(_ intent: UploadIntent, at now: Date = Date()) throws {
        try pool.write { db in try Self.write(intent, at: now, db) }
    }

    /// ``recordUploadIntent(_:at:)`` in a group transaction (``commit(_:)``).
    public func commitUploadIntent(_ intent: UploadIntent, at now: Date = Date()) async throws {
        try await group.write { db in try Self.write(intent, at: now, db) }
    }

    static func write(_ intent: UploadIntent, at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO upload_intents (path, content_hash, size, base_revision, recorded_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [intent.path.string, intent.contentHash, intent.size, intent.baseRevision, now.timeIntervalSince1970]
        )
        try db.execute(
            sql: """
                DELETE FROM upload_intents WHERE path = ? AND content_hash NOT IN
                (SELECT content_hash FROM upload_intents WHERE path = ? ORDER BY recorded_at DESC LIMIT ?)
                """,
            arguments: [intent.path.string, intent.path.string, UploadIntent.perPath]
        )
    }

    /// Records (or replaces, for the same path) the download about to be installed; durable
    /// before the folder changes. Shared with other steps' commits, as ``commit(_:)``.
    public func commitDownloadIntent(_ intent: DownloadIntent) async throws {
        try await group.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO download_intents (path, content_hash, file_id, revision) VALUES (?, ?, ?, ?)",
                arguments: [intent.path.string, intent.contentHash, intent.fileId, intent.revision]
            )
        }
    }

    /// Every download intent not yet settled.
    public func downloadIntents() throws -> [DownloadIntent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, content_hash, file_id, revision FROM download_intents ORDER BY path").map { row in
                DownloadIntent(path: RelativePath(unchecked: row[0]), contentHash: row[1], fileId: row[2], revision: row[3])
            }
        }
    }

    /// Records (or replaces, for the same item) the remote move about to be sent.
    public func recordMoveIntent(_ intent: MoveIntent) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO move_intents (file_id, from_path, to_path, revision) VALUES (?, ?, ?, ?)",
                arguments: [intent.fileId, intent.from.string, intent.to.string, intent.revision]
            )
        }
    }

    /// Every move intent not yet settled.
    public func moveIntents() throws -> [MoveIntent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT file_id, from_path, to_path, revision FROM move_intents ORDER BY from_path").map { row in
                MoveIntent(fileId: row[0], from: RelativePath(unchecked: row[1]), to: RelativePath(unchecked: row[2]), revision: row[3])
            }
        }
    }

    /// Every upload intent not yet settled.
    public func uploadIntents() throws -> [UploadIntent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, content_hash, size, base_revision FROM upload_intents ORDER BY path, recorded_at").map { row in
                UploadIntent(path: RelativePath(unchecked: row[0]), contentHash: row[1], size: row[2], baseRevision: row[3])
            }
        }
    }

    /// The change feed cursor last recorded with a remote change.
    public func remoteCursor() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT cursor FROM remote_cursor WHERE id = 1") }
    }

    /// When the whole remote tree was last read into this journal (nil: never).
    public func remoteListedAt() throws -> Date? {
        try pool.read { db in try Double.fetchOne(db, sql: "SELECT listed_at FROM remote_listing WHERE id = 1") }
            .map(Date.init(timeIntervalSince1970:))
    }

    // MARK: Errors

    /// Records that an action on `path` failed, and when to try again.
    public func recordError(_ message: String, for path: RelativePath, retryAt: Date) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO path_errors (path, message, attempts, retry_at) VALUES (?, ?, 1, ?)
                    ON CONFLICT(path) DO UPDATE SET message = excluded.message, attempts = attempts + 1, retry_at = excluded.retry_at
                    """,
                arguments: [path.string, message, retryAt.timeIntervalSince1970]
            )
        }
    }

    /// The paths that failed, with their last error.
    public func errors() throws -> [PathError] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, message, attempts, retry_at FROM path_errors ORDER BY path").map {
                PathError(path: RelativePath(unchecked: $0[0]), message: $0[1], attempts: $0[2], retryAt: Date(timeIntervalSince1970: $0[3]))
            }
        }
    }

    /// How many files are in sync (for status lines; cheaper than reading the trees).
    public func syncedFileCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM synced_items WHERE kind = 'file'") ?? 0 }
    }

    /// Runs SQLite's integrity check; the empty list means the file is sound.
    public func integrityProblems() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }.filter { $0 != "ok" }
    }
}
