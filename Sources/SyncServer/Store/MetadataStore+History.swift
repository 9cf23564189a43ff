public import Foundation
public import SyncAPI

/// A stored version of a file.
public struct VersionRecord: Sendable, Equatable {
    public var revision: Int64
    public var size: Int64
    public var contentHash: String
    public var modifiedAt: Date
}

/// A trashed item.
public struct TrashRecord: Sendable, Equatable {
    public var id: String
    public var path: String
    public var kind: ItemKind
    public var size: Int64
    public var trashedAt: Date
}

/// Version history and the trash.
extension MetadataStore {
    /// The versions of the user's live file at `path`, newest first.
    public func versions(userId: String, path: String) async throws -> [VersionRecord] {
        guard let file = try await file(userId: userId, path: path), file.kind == .file else { throw StoreError.notFound }
        return try await database.query(
            "SELECT revision, size, content_hash, modified_at FROM revisions WHERE file_id = ? ORDER BY revision DESC",
            [.text(file.id)]
        ).map {
            VersionRecord(
                revision: try $0.int("revision"),
                size: try $0.int("size"),
                contentHash: try $0.text("content_hash"),
                modifiedAt: Date(timeIntervalSince1970: try $0.real("modified_at"))
            )
        }
    }

    /// Makes an old version current again, as a new revision (if the file is still at `baseRevision`).
    public func restoreVersion(userId: String, path: String, revision: Int64, baseRevision: Int64) async throws -> FileRecord {
        guard let version = try await versions(userId: userId, path: path).first(where: { $0.revision == revision }) else {
            throw StoreError.notFound
        }
        return try await commit(
            userId: userId,
            path: path,
            kind: .file,
            size: version.size,
            contentHash: version.contentHash,
            baseRevision: baseRevision
        )
    }

    /// The user's trash, most recently trashed first.
    public func trashed(userId: String) async throws -> [TrashRecord] {
        try await database.query(
            "SELECT id, path, kind, size, trashed_at FROM files WHERE user_id = ? AND trashed_at IS NOT NULL ORDER BY trashed_at DESC",
            [.text(userId)]
        ).map {
            TrashRecord(
                id: try $0.text("id"),
                path: try $0.text("path"),
                kind: try $0.kind("kind"),
                size: try $0.int("size"),
                trashedAt: Date(timeIntervalSince1970: try $0.real("trashed_at"))
            )
        }
    }

    /// Puts a trashed item back at its path, with everything trashed together with it inside
    /// it. Its path must be free (409 with what is there otherwise) and its folder must exist.
    public func restore(userId: String, trashedId: String) async throws -> FileRecord {
        let quota = userQuota
        let restored = try await database.transaction { db in
            try await Self.lockUser(userId, db)
            guard
                let row = try await db.query(
                    "SELECT path, trashed_at FROM files WHERE id = ? AND user_id = ? AND trashed_at IS NOT NULL",
                    [.text(trashedId), .text(userId)]
                ).first
            else { throw StoreError.notFound }
            let path = try row.text("path")
            let trashedAt = try row.real("trashed_at")
            if let taken = try await Self.live(path, userId: userId, db) { throw StoreError.conflict(current: taken) }
            try await Self.requireParent(path, userId: userId, db)
            let prefixLength = Int64(path.unicodeScalars.count + 1)
            let back = try await db.query(
                """
                UPDATE files SET trashed_at = NULL, revision = revision + 1 WHERE user_id = ? AND trashed_at = ?
                AND (id = ? OR substr(path, 1, CAST(? AS INTEGER)) = ?) RETURNING \(Self.fileColumns)
                """,
                [.text(userId), .real(trashedAt), .text(trashedId), .int(prefixLength), .text(path + "/")]
            ).map(Self.file).sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            // What comes back counts against the quota again (a throw here rolls it all back).
            let restoredBytes = try Self.total(back.filter { $0.kind == .file }.map(\.size))
            if let quota, restoredBytes > 0 {
                let held = try await Self.heldBytes(userId: userId, excludingUpload: nil, db)
                try Self.requireRoom(held: held - restoredBytes, adding: restoredBytes, replacing: 0, path: path, quota: quota)
            }
            for record in back where record.kind == .file {
                if let hash = record.contentHash {
                    try await db.query(
                        "INSERT INTO revisions (file_id, revision, size, content_hash, modified_at) VALUES (?, ?, ?, ?, ?)",
                        [.text(record.id), .int(record.revision), .int(record.size), .text(hash), .real(record.modifiedAt.timeIntervalSince1970)]
                    )
                }
            }
            try await Self.appendChanges(back, deleted: false, userId: userId, notify: database.notifyStatement, db)
            guard let item = back.first(where: { $0.id == trashedId }) else { throw StoreError.notFound }
            return item
        }
        notifier.changed(userId: userId)
        return restored
    }
}
