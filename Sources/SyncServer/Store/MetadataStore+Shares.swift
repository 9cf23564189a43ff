public import Foundation
public import SyncAPI

/// A share link of one file.
public struct ShareRecord: Sendable, Equatable {
    public var id: String
    public var token: String
    public var fileId: String
    /// The file's current path (shares follow moves).
    public var path: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var views: Int64
    public var downloads: Int64 = 0
    /// The password's slow hash (``LinkPassword``); nil: no password.
    public var passwordHash: String?
    /// Set for a file request: what it asks for.
    public var request: FileRequestSettings? = nil
    /// Files received through a file request.
    public var uploads: Int64 = 0
}

/// What opening a share link finds.
public enum ShareLookup: Sendable, Equatable {
    case valid(ShareRecord, FileRecord, userId: String)
    case expired
    case gone
}

extension MetadataStore {
    static let shareColumns =
        "s.id, s.token, s.file_id, f.path, s.created_at, s.expires_at, s.revoked_at, s.views, s.downloads, s.password_hash, s.request_title, s.request_max_bytes, s.uploads"
    /// Events kept per link, newest first (the counts stay exact).
    static let shareEventsKept = 1000

    /// A new link to the user's file or folder at `path` (a folder's link shows what is inside it).
    /// - Parameter passwordHash: the password's slow hash (``LinkPassword/hash(_:)``), nil for none.
    /// - Parameter request: for a file request (of a folder): what it asks for.
    public func createShare(
        userId: String,
        path: String,
        expiresAt: Date?,
        passwordHash: String? = nil,
        request: FileRequestSettings? = nil
    ) async throws -> ShareRecord {
        guard let file = try await file(userId: userId, path: path) else { throw StoreError.notFound }
        if request != nil && file.kind != .folder { throw StoreError.invalidPath("a file request drops files into a folder: \(path) is a file") }
        let token = Self.randomToken(bytes: 24)
        let id = UUID().uuidString.lowercased()
        try await database.query(
            """
            INSERT INTO shares (id, token, user_id, file_id, created_at, expires_at, password_hash, request_title, request_max_bytes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(id), .text(token), .text(userId), .text(file.id), .real(now().timeIntervalSince1970),
                expiresAt.map { .real($0.timeIntervalSince1970) } ?? .null, passwordHash.map { .text($0) } ?? .null,
                request.map { .text($0.title) } ?? .null, request?.maxFileBytes.map(SQLValue.int) ?? .null,
            ]
        )
        return ShareRecord(
            id: id,
            token: token,
            fileId: file.id,
            path: file.path,
            createdAt: now(),
            expiresAt: expiresAt,
            revokedAt: nil,
            views: 0,
            passwordHash: passwordHash,
            request: request
        )
    }

    /// The user's links, newest first (revoked ones included, marked).
    public func shares(userId: String) async throws -> [ShareRecord] {
        try await database.query(
            "SELECT \(Self.shareColumns) FROM shares s JOIN files f ON f.id = s.file_id WHERE s.user_id = ? ORDER BY s.created_at DESC",
            [.text(userId)]
        ).map(Self.share)
    }

    /// Revokes one of the user's links; false when the user has no such link.
    public func revokeShare(id: String, userId: String) async throws -> Bool {
        !(try await database.query(
            "UPDATE shares SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING id",
            [.real(now().timeIntervalSince1970), .text(id), .text(userId)]
        )).isEmpty
    }

    /// Removes one of the user's links from the list, revoked first if it was not (its visits
    /// go too); false when the user has no such link.
    public func removeShare(id: String, userId: String) async throws -> Bool {
        try await database.transaction { db in
            guard !(try await db.query("SELECT id FROM shares WHERE id = ? AND user_id = ?", [.text(id), .text(userId)])).isEmpty else {
                return false
            }
            try await db.query("DELETE FROM share_events WHERE share_id = ?", [.text(id)])
            try await db.query("DELETE FROM shares WHERE id = ?", [.text(id)])
            return true
        }
    }

    /// Resolves a link for a visitor (nothing counted: see ``recordShareVisit(_:shareId:)``).
    public func openShare(token: String) async throws -> ShareLookup {
        try await database.transaction { db in
            let rows = try await db.query(
                """
                SELECT \(Self.shareColumns), s.user_id, f.trashed_at, f.kind, f.revision, f.size, f.content_hash, f.modified_at
                FROM shares s JOIN files f ON f.id = s.file_id WHERE s.token = ?
                """,
                [.text(token)]
            )
            guard let row = rows.first else { return .gone }
            let share = try Self.share(row)
            if share.revokedAt != nil || row.optionalReal("trashed_at") != nil { return .gone }
            if let expires = share.expiresAt, expires <= now() { return .expired }
            let file = FileRecord(
                id: share.fileId,
                path: share.path,
                kind: try row.kind("kind"),
                revision: try row.int("revision"),
                size: try row.int("size"),
                contentHash: row.optionalText("content_hash"),
                modifiedAt: Date(timeIntervalSince1970: try row.real("modified_at"))
            )
            return .valid(share, file, userId: try row.text("user_id"))
        }
    }

    static func share(_ row: SQLRow) throws -> ShareRecord {
        ShareRecord(
            id: try row.text("id"),
            token: try row.text("token"),
            fileId: try row.text("file_id"),
            path: try row.text("path"),
            createdAt: Date(timeIntervalSince1970: try row.real("created_at")),
            expiresAt: row.optionalReal("expires_at").map(Date.init(timeIntervalSince1970:)),
            revokedAt: row.optionalReal("revoked_at").map(Date.init(timeIntervalSince1970:)),
            views: try row.int("views"),
            downloads: try row.int("downloads"),
            passwordHash: row.optionalText("password_hash"),
            request: row.optionalText("request_title").map {
                FileRequestSettings(title: $0, maxFileBytes: row.optionalInt("request_max_bytes"))
            },
            uploads: row.optionalInt("uploads") ?? 0
        )
    }

    /// Records what a visitor did with a link, with its time; a view or a download also adds to
    /// the link's count.
    public func recordShareVisit(_ kind: ShareEvent.Kind, shareId: String) async throws {
        let at = now()
        try await database.transaction { db in
            switch kind {
            case .view: try await db.query("UPDATE shares SET views = views + 1 WHERE id = ?", [.text(shareId)])
            case .download: try await db.query("UPDATE shares SET downloads = downloads + 1 WHERE id = ?", [.text(shareId)])
            case .upload: try await db.query("UPDATE shares SET uploads = uploads + 1 WHERE id = ?", [.text(shareId)])
            case .wrongPassword: break
            }
            try await Self.recordShareEvent(kind, shareId: shareId, at: at, in: db)
        }
    }

    /// What happened to one of the user's links, newest first; nil when the user has no such link
    /// (or revoked it: a revoked link is gone but for its line and counts in the list).
    public func shareEvents(id: String, userId: String, limit: Int) async throws -> [ShareEvent]? {
        let sql = "SELECT id FROM shares WHERE id = ? AND user_id = ? AND revoked_at IS NULL"
        guard !(try await database.query(sql, [.text(id), .text(userId)])).isEmpty else {
            return nil
        }
        return try await database.query(
            "SELECT at, kind FROM share_events WHERE share_id = ? ORDER BY at DESC LIMIT ?",
            [.text(id), .int(Int64(limit))]
        ).map { ShareEvent(at: try $0.real("at"), kind: ShareEvent.Kind(rawValue: try $0.text("kind")) ?? .view) }
    }

    /// One event of a link, and the oldest beyond the kept number gone.
    static func recordShareEvent(_ kind: ShareEvent.Kind, shareId: String, at: Date, in db: any SQLSession) async throws {
        try await db.query(
            "INSERT INTO share_events (share_id, at, kind) VALUES (?, ?, ?)",
            [.text(shareId), .real(at.timeIntervalSince1970), .text(kind.rawValue)]
        )
        try await db.query(
            """
            DELETE FROM share_events WHERE share_id = ? AND at < (
                SELECT at FROM share_events WHERE share_id = ? ORDER BY at DESC LIMIT 1 OFFSET \(shareEventsKept - 1))
            """,
            [.text(shareId), .text(shareId)]
        )
    }

    /// `bytes` random bytes, base64url without padding.
    static func randomToken(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
