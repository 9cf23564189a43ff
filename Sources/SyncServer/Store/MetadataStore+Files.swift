import Foundation
public import SyncAPI

/// Each user's tree: conditional commits, moves and trash, with a change feed entry for every
/// item that changed, in the same transaction.
extension MetadataStore {
    static let fileColumns = "id, path, kind, revision, size, content_hash, modified_at"

    /// The user's live items, sorted by path bytes.
    public func files(userId: String) async throws -> [FileRecord] {
        try await listing(userId: userId).files
    }

    /// The user's live items, sorted by path bytes, and the change-feed position they are
    /// current to: one statement, so both come from the same moment.
    ///
    /// - Parameter limit: read at most this many items (the caller can tell there were more).
    public func listing(userId: String, limit: Int = .max) async throws -> (files: [FileRecord], cursor: Int64) {
        let rows = try await database.query(
            """
            SELECT u.change_seq AS change_seq, f.id AS id, f.path AS path, f.kind AS kind, f.revision AS revision, f.size AS size,
                f.content_hash AS content_hash, f.modified_at AS modified_at
            FROM users u LEFT JOIN (SELECT \(Self.fileColumns) FROM files WHERE user_id = ? AND trashed_at IS NULL LIMIT ?) f ON 1 = 1
            WHERE u.id = ?
            """,
            [.text(userId), .int(Int64(limit)), .text(userId)]
        )
        let cursor = try rows.first?.int("change_seq") ?? 0
        // A user without items is one row of NULLs beside the cursor.
        let files = try rows.filter { $0["id"] != .null }.map(Self.file)
        return (files.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }, cursor)
    }

    public func file(userId: String, path: String) async throws -> FileRecord? {
        try await database.query(
            "SELECT \(Self.fileColumns) FROM files WHERE user_id = ? AND path = ? AND trashed_at IS NULL",
            [.text(userId), .text(path)]
        ).first.map(Self.file)
    }

    /// Records a file's new content (or a folder) at `path`, if the item is still at
    /// `baseRevision` (nil: if nothing is there). Otherwise ``StoreError/conflict(current:)``
    /// with what is there.
    ///
    /// - Parameters:
    ///   - finishingUpload: the upload this commit completes; its row goes in the same
    ///     transaction (one durable write instead of two). A new item is then made only if
    ///     nothing happened at the path since the upload began.
    ///   - unchangedSince: for a new item, a change-feed position: refused (a conflict with
    ///     nothing current) if anything happened at the path after it.
    public func commit(
        userId: String,
        path: String,
        kind: ItemKind,
        size: Int64,
        contentHash: String?,
        baseRevision: Int64?,
        finishingUpload: String? = nil,
        unchangedSince: Int64? = nil
    ) async throws -> FileRecord {
        let item = CommitItem(
            path: path,
            kind: kind,
            size: size,
            contentHash: contentHash,
            baseRevision: baseRevision,
            finishingUpload: finishingUpload,
            unchangedSince: unchangedSince
        )
        try Self.validate(path)
        let at = now().timeIntervalSince1970
        let notify = database.notifyStatement
        let quota = userQuota
        let committed = try await database.transaction { db in
            try await Self.lockUser(userId, db)
            return try await Self.commitRow(item, userId: userId, at: at, notify: notify, quota: quota, db)
        }
        notifier.changed(userId: userId)
        return committed
    }

    /// One item of ``commitMany(userId:_:)``.
    public struct CommitItem: Sendable {
        public var path: String
        public var kind: ItemKind
        public var size: Int64
        public var contentHash: String?
        public var baseRevision: Int64?
        public var finishingUpload: String?
        public var unchangedSince: Int64? = nil
    }

    /// Several commits in one transaction (one durable write for all): each item succeeds or
    /// is refused on its own, exactly as ``commit`` would have answered it alone.
    public func commitMany(userId: String, _ items: [CommitItem]) async throws -> [Result<FileRecord, StoreError>] {
        let at = now().timeIntervalSince1970
        let notify = database.notifyStatement
        let quota = userQuota
        let results = try await database.transaction { db in
            try await Self.lockUser(userId, db)
            var results: [Result<FileRecord, StoreError>] = []
            for item in items {
                do {
                    try Self.validate(item.path)
                    // Refusals are decided by reads before any write of the item, so that the
                    // transaction stays good for the others (PostgreSQL aborts on a failed statement).
                    results.append(.success(try await Self.commitRow(item, userId: userId, at: at, notify: notify, quota: quota, db)))
                } catch let refusal as StoreError {
                    results.append(.failure(refusal))
                }
            }
            return results
        }
        notifier.changed(userId: userId)
        return results
    }

    /// In a transaction that took ``lockUser(_:_:)`` first.
    ///
    /// - Parameter quota: the user's quota; a file that grows what the user holds past it is
    ///   refused (its own upload, if it finishes one, no longer counts as pending).
    static func commitRow(
        _ item: CommitItem,
        userId: String,
        at: Double,
        notify: String?,
        quota: Int64? = nil,
        _ db: any SQLSession
    ) async throws -> FileRecord {
        let (path, kind, size, contentHash, baseRevision) = (item.path, item.kind, item.size, item.contentHash, item.baseRevision)
        try await Self.requireParent(path, userId: userId, db)
        let current = try await Self.live(path, userId: userId, db)
        if kind == .folder, baseRevision == nil, let current, current.kind == .folder { return current }
        guard current?.revision == baseRevision, current.map({ $0.kind == kind }) ?? true else {
            throw StoreError.conflict(current: current)
        }
        // A new item from an upload: only if nothing happened at the path since it began.
        if current == nil, let upload = item.finishingUpload {
            let since = try await db.query(
                """
                SELECT 1 AS hit FROM changes c JOIN uploads u ON u.id = ? AND u.user_id = c.user_id
                WHERE c.user_id = ? AND c.path = ? AND u.begin_seq IS NOT NULL AND c.seq > u.begin_seq LIMIT 1
                """,
                [.text(upload), .text(userId), .text(path)]
            )
            if !since.isEmpty { throw StoreError.conflict(current: nil) }
        }
        if current == nil, let seq = item.unchangedSince {
            let since = try await db.query(
                "SELECT 1 AS hit FROM changes WHERE user_id = ? AND path = ? AND seq > ? LIMIT 1",
                [.text(userId), .text(path), .int(seq)]
            )
            if !since.isEmpty { throw StoreError.conflict(current: nil) }
        }
        if kind == .file {
            try await Self.requireRoom(
                userId: userId,
                path: path,
                size: size,
                replacing: current?.size ?? 0,
                excludingUpload: item.finishingUpload,
                quota: quota,
                db
            )
        }
        let record: FileRecord
        if let current {
            let rows = try await db.query(
                "UPDATE files SET revision = revision + 1, size = ?, content_hash = ?, modified_at = ? WHERE id = ? RETURNING \(Self.fileColumns)",
                [.int(size), contentHash.map(SQLValue.text) ?? .null, .real(at), .text(current.id)]
            )
            record = try Self.file(rows[0])
        } else {
            let rows = try await db.query(
                "INSERT INTO files (id, user_id, path, kind, revision, size, content_hash, modified_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?) RETURNING \(Self.fileColumns)",
                [
                    .text(UUID().uuidString.lowercased()), .text(userId), .text(path), .text(kind.rawValue), .int(size),
                    contentHash.map(SQLValue.text) ?? .null, .real(at),
                ]
            )
            record = try Self.file(rows[0])
        }
        if record.kind == .file, let hash = record.contentHash {
            try await db.query(
                "INSERT INTO revisions (file_id, revision, size, content_hash, modified_at) VALUES (?, ?, ?, ?, ?)",
                [.text(record.id), .int(record.revision), .int(record.size), .text(hash), .real(record.modifiedAt.timeIntervalSince1970)]
            )
        }
        try await Self.appendChanges([record], deleted: false, userId: userId, notify: notify, db)
        if let finishingUpload = item.finishingUpload {
            try await db.query("DELETE FROM upload_blocks WHERE upload_id = ?", [.text(finishingUpload)])
            try await db.query("DELETE FROM uploads WHERE id = ?", [.text(finishingUpload)])
        }
        return record
    }

    /// Moves an item (a folder with everything in it) if it is still at `revision`.
    public func move(userId: String, from: String, to: String, revision: Int64) async throws -> FileRecord {
        try Self.validate(to)
        guard to != from, !to.hasPrefix(from + "/") else { throw StoreError.invalidPath("cannot move \(from) into itself") }
        let at = now().timeIntervalSince1970
        let dialect = database.dialect
        let result = try await database.transaction { db in
            try await Self.lockUser(userId, db)
            guard let current = try await Self.live(from, userId: userId, db) else { throw StoreError.notFound }
            guard current.revision == revision else { throw StoreError.conflict(current: current) }
            if let taken = try await Self.live(to, userId: userId, db) { throw StoreError.conflict(current: taken) }
            try await Self.requireParent(to, userId: userId, db)
            let rows = try await db.query(
                "UPDATE files SET path = ?, revision = revision + 1, modified_at = ? WHERE id = ? RETURNING \(Self.fileColumns)",
                [.text(to), .real(at), .text(current.id)]
            )
            let moved = try Self.file(rows[0])
            if current.kind == .folder {
                // Lengths in code points: what substr counts in both SQLite and PostgreSQL.
                let prefixLength = Int64(from.unicodeScalars.count + 1)
                let (inside, insideBinds) = Self.inside(from, dialect: dialect)
                let paths = try await db.query(
                    """
                    UPDATE files SET path = ? || substr(path, CAST(? AS INTEGER)) WHERE user_id = ? AND trashed_at IS NULL AND \(inside)
                    RETURNING path
                    """,
                    [.text(to + "/"), .int(prefixLength + 1), .text(userId)] + insideBinds
                )
                // What is inside moves too: no path of it may end up too long (the throw rolls
                // the whole move back).
                for row in paths {
                    let path = try row.text("path")
                    guard path.utf8.count > Self.maxPathBytes else { continue }
                    throw StoreError.invalidPath(
                        "moving \(from) there would make \(String(path.suffix(60)).debugDescription) \(path.utf8.count) bytes long; paths may be at most \(Self.maxPathBytes) bytes (UTF-8)"
                    )
                }
            }
            // One entry in the feed, however much the folder holds: its items moved with it
            // (`moved_from`), keeping their ids, revisions and contents.
            try await Self.appendChanges(
                [moved],
                deleted: false,
                movedFrom: current.kind == .folder ? from : nil,
                userId: userId,
                notify: database.notifyStatement,
                db
            )
            return moved
        }
        notifier.changed(userId: userId)
        return result
    }

    /// Moves an item (a folder with everything in it) to the trash if it is still at `revision`:
    /// one entry of the feed (a deleted folder's items are deleted with it).
    public func trash(userId: String, path: String, revision: Int64) async throws {
        let at = now().timeIntervalSince1970
        let dialect = database.dialect
        try await database.transaction { db in
            try await Self.lockUser(userId, db)
            guard let current = try await Self.live(path, userId: userId, db) else { throw StoreError.notFound }
            guard current.revision == revision else { throw StoreError.conflict(current: current) }
            let (inside, insideBinds) = Self.inside(path, dialect: dialect)
            try await db.query(
                "UPDATE files SET trashed_at = ? WHERE user_id = ? AND trashed_at IS NULL AND (id = ? OR \(inside))",
                [.real(at), .text(userId), .text(current.id)] + insideBinds
            )
            // One entry in the feed, however much a folder holds: a folder deleted is deleted
            // with everything inside it.
            try await Self.appendChanges([current], deleted: true, userId: userId, notify: database.notifyStatement, db)
        }
        notifier.changed(userId: userId)
    }

    /// Changes after `seq`, oldest first.
    public func changes(userId: String, after seq: Int64, limit: Int = 1000) async throws -> [ChangeRecord] {
        try await database.query(
            "SELECT seq, file_id, path, kind, revision, size, content_hash, deleted, moved_from FROM changes WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [.text(userId), .int(seq), .int(Int64(limit))]
        ).map { row in
            ChangeRecord(
                seq: try row.int("seq"),
                fileId: try row.text("file_id"),
                path: try row.text("path"),
                kind: try row.kind("kind"),
                revision: try row.int("revision"),
                size: try row.int("size"),
                contentHash: row.optionalText("content_hash"),
                deleted: try row.int("deleted") != 0,
                movedFrom: row.optionalText("moved_from")
            )
        }
    }

    /// Changes after `seq`; when there are none, waits up to `wait` for one (here or on another
    /// replica) before answering.
    ///
    /// Throws ``ChangeNotifier/TooManyWaiting`` when the user already has as many long-polls
    /// waiting as the notifier allows. The long-poll's ticket is released on every path (an
    /// answer, a failed query, cancellation).
    public func changes(userId: String, after seq: Int64, limit: Int = 1000, wait: Duration) async throws -> [ChangeRecord] {
        guard wait > .zero else { return try await changes(userId: userId, after: seq, limit: limit) }
        // Registered before the first read, so that a change landing between the read and the
        // wait still wakes it.
        let ticket = try notifier.register(userId: userId)
        defer { notifier.unregister(ticket) }
        let first = try await changes(userId: userId, after: seq, limit: limit)
        guard first.isEmpty else { return first }
        await notifier.wait(ticket, timeout: wait)
        return try await changes(userId: userId, after: seq, limit: limit)
    }

    // MARK: Helpers

    static func live(_ path: String, userId: String, _ db: any SQLSession) async throws -> FileRecord? {
        try await db.query("SELECT \(fileColumns) FROM files WHERE user_id = ? AND path = ? AND trashed_at IS NULL", [.text(userId), .text(path)])
            .first.map(file)
    }

    /// The condition "the path is inside `folder`" as a range of the paths' bytes (a path
    /// begins `folder/` when it sorts from `folder/` to before `folder0`, `0` following `/`),
    /// which an index of the live paths answers: SQLite compares text by its bytes, and
    /// PostgreSQL does under the "C" collation (files_live_path_bytes).
    static func inside(_ folder: String, dialect: SQLDialect) -> (String, [SQLValue]) {
        let binds: [SQLValue] = [.text(folder + "/"), .text(folder + "0")]
        switch dialect {
        case .sqlite: return ("path >= ? AND path < ?", binds)
        case .postgres: return ("(path COLLATE \"C\") >= ? AND (path COLLATE \"C\") < ?", binds)
        }
    }

    static func requireParent(_ path: String, userId: String, _ db: any SQLSession) async throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        let parent = String(path[..<slash])
        guard let folder = try await live(parent, userId: userId, db), folder.kind == .folder else {
            throw StoreError.invalidPath("the folder \(parent) does not exist")
        }
    }

    /// - Parameter movedFrom: for a folder's move, where it was: one entry stands for
    ///   everything inside it, which moved with it.
    static func appendChanges(
        _ records: [FileRecord],
        deleted: Bool,
        movedFrom: String? = nil,
        userId: String,
        notify: String?,
        _ db: any SQLSession
    ) async throws {
        if let notify { try await db.query(notify, [.text(userId)]) }
        for record in records {
            // The user row's counter serialises writers: seq is strictly increasing per user.
            let seq = try await db.query("UPDATE users SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq", [.text(userId)])
            guard let next = try seq.first?.int("change_seq") else { throw StoreError.notFound }
            try await db.query(
                "INSERT INTO changes (user_id, seq, file_id, path, kind, revision, size, content_hash, deleted, moved_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(userId), .int(next), .text(record.id), .text(record.path), .text(record.kind.rawValue), .int(record.revision),
                    .int(record.size), record.contentHash.map(SQLValue.text) ?? .null, .int(deleted ? 1 : 0),
                    movedFrom.map(SQLValue.text) ?? .null,
                ]
            )
        }
    }

    /// The longest name (one path component) in UTF-8 bytes: Linux's NAME_MAX, so that every
    /// device can create what the server accepts.
    public static let maxNameBytes = 255
    /// The longest path in UTF-8 bytes: Linux's PATH_MAX.
    public static let maxPathBytes = 4096

    /// A path as the API takes it: relative, `/`-separated, no empty, `.` or `..` component,
    /// no NUL, names of at most 255 bytes, at most 4,096 bytes in all.
    static func validate(_ path: String) throws {
        guard path.utf8.count <= maxPathBytes else {
            throw StoreError.invalidPath("the path is \(path.utf8.count) bytes long; paths may be at most \(maxPathBytes) bytes (UTF-8)")
        }
        let names = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.utf8.contains(0), !names.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else { throw StoreError.invalidPath("not a valid path: \(path.debugDescription)") }
        if let long = names.first(where: { $0.utf8.count > maxNameBytes }) {
            throw StoreError.invalidPath(
                "the name \(String(long.prefix(40)).debugDescription)… is \(long.utf8.count) bytes long; names may be at most \(maxNameBytes) bytes (UTF-8)"
            )
        }
    }

    static func file(_ row: SQLRow) throws -> FileRecord {
        FileRecord(
            id: try row.text("id"),
            path: try row.text("path"),
            kind: try row.kind("kind"),
            revision: try row.int("revision"),
            size: try row.int("size"),
            contentHash: row.optionalText("content_hash"),
            modifiedAt: Date(timeIntervalSince1970: try row.real("modified_at"))
        )
    }
}
