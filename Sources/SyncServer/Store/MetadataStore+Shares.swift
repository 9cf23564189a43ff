public import Foundation
import SyncAPI

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
}

/// What opening a share link finds.
public enum ShareLookup: Sendable, Equatable {
    case valid(ShareRecord, FileRecord, userId: String)
    case expired
    case gone
}

extension MetadataStore {
    static let shareColumns = "s.id, s.token, s.file_id, f.path, s.created_at, s.expires_at, s.revoked_at, s.views"

    /// A new link to the user's file at `path`.
    public func createShare(userId: String, path: String, expiresAt: Date?) async throws -> ShareRecord {
        guard let file = try await file(userId: userId, path: path), file.kind == .file else { throw StoreError.notFound }
        let token = Self.randomToken(bytes: 24)
        let id = UUID().uuidString.lowercased()
        try await database.query(
            "INSERT INTO shares (id, token, user_id, file_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(id), .text(token), .text(userId), .text(file.id), .real(now().timeIntervalSince1970),
                expiresAt.map { .real($0.timeIntervalSince1970) } ?? .null,
            ]
        )
        return ShareRecord(id: id, token: token, fileId: file.id, path: file.path, createdAt: now(), expiresAt: expiresAt, revokedAt: nil, views: 0)
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

    /// Resolves a link for a visitor, counting the view when it is valid.
    /// - Parameter counting: whether this is a visit (the page, a download) that adds to the
    ///   link's view count, or a part of a page already counted (its preview).
    public func openShare(token: String, counting: Bool = true) async throws -> ShareLookup {
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
            if counting { try await db.query("UPDATE shares SET views = views + 1 WHERE id = ?", [.text(share.id)]) }
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
            views: try row.int("views")
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
