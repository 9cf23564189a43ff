/// Content recorded before identities were block hashes (see ``LegacyRehash``).
extension MetadataStore {
    /// A user's content still named by its plain SHA-256.
    public struct LegacyContent: Sendable, Equatable {
        public var userId: String
        public var sha256: String
    }

    /// Up to `limit` legacy contents still to rehash.
    public func legacyContents(limit: Int) async throws -> [LegacyContent] {
        try await database.query(
            "SELECT user_id, content_hash FROM legacy_contents ORDER BY user_id, content_hash LIMIT ?",
            [.int(Int64(limit))]
        ).map { LegacyContent(userId: try $0.text("user_id"), sha256: try $0.text("content_hash")) }
    }

    /// Whether the user's `hash` still names legacy content (a plain SHA-256 not yet rehashed):
    /// its object then holds bytes whose plain SHA-256 is `hash`, which are not the content whose
    /// block identity is `hash`, should such content exist. Nothing may be stored at that key
    /// under the new scheme until the rehash has moved the legacy content away.
    public func isLegacyContent(userId: String, contentHash: String) async throws -> Bool {
        !(try await database.query(
            "SELECT 1 AS x FROM legacy_contents WHERE user_id = ? AND content_hash = ? LIMIT 1",
            [.text(userId), .text(contentHash)]
        )).isEmpty
    }

    /// Renames a legacy content to its identity everywhere the user's items and versions
    /// reference it, in one transaction. Live files get a change (same revision, the new hash) so
    /// that devices following the feed learn the identity; nothing else about them changes.
    public func adoptIdentity(_ legacy: LegacyContent, identity: String) async throws {
        let notify = database.notifyStatement
        try await database.transaction { db in
            // The user row first, as every writer of a user's tree takes it: one lock order.
            try await Self.lockUser(legacy.userId, db)
            let live = try await db.query(
                "SELECT \(Self.fileColumns) FROM files WHERE user_id = ? AND content_hash = ? AND trashed_at IS NULL",
                [.text(legacy.userId), .text(legacy.sha256)]
            )
            try await db.query(
                "UPDATE files SET content_hash = ? WHERE user_id = ? AND content_hash = ?",
                [.text(identity), .text(legacy.userId), .text(legacy.sha256)]
            )
            try await db.query(
                "UPDATE revisions SET content_hash = ? WHERE content_hash = ? AND file_id IN (SELECT id FROM files WHERE user_id = ?)",
                [.text(identity), .text(legacy.sha256), .text(legacy.userId)]
            )
            var records = try live.map(Self.file)
            for index in records.indices { records[index].contentHash = identity }
            if !records.isEmpty { try await Self.appendChanges(records, deleted: false, userId: legacy.userId, notify: notify, db) }
            try await db.query("DELETE FROM legacy_contents WHERE user_id = ? AND content_hash = ?", [.text(legacy.userId), .text(legacy.sha256)])
        }
    }

    /// Gives up on a legacy content whose object is missing or does not have its hash: its rows
    /// keep the old hash (and download as whatever is stored); it is not tried again.
    public func abandonLegacy(_ legacy: LegacyContent) async throws {
        try await database.query("DELETE FROM legacy_contents WHERE user_id = ? AND content_hash = ?", [.text(legacy.userId), .text(legacy.sha256)])
    }
}
