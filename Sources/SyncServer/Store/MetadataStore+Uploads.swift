public import Foundation
import SyncAPI

/// An upload the server has presigned and not yet seen completed.
public struct UploadRecord: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var path: String
    public var size: Int64
    public var contentHash: String
    public var baseRevision: Int64?
    /// The S3 multipart upload id; nil for a single PUT.
    public var s3UploadId: String?
    public var createdAt: Date
    /// The file request it came through (nil: the owner's own upload).
    public var shareId: String? = nil
}

extension MetadataStore {
    /// Records an upload in progress; its size is reserved against the user's quota from now
    /// until it completes, is aborted or expires (``StoreError/quotaExceeded(path:size:held:quota:)``
    /// when there is no room, counting the live file it replaces as freed).
    /// `blockDigests` (part number → base64 SHA-256) are recorded with it, in the same
    /// transaction (a single PUT's one block is signed at begin).
    public func createUpload(_ upload: UploadRecord, blockDigests: [Int: String] = [:]) async throws {
        try await createUploads(userId: upload.userId, [(upload, blockDigests)])[0].get()
    }

    /// Several ``createUpload(_:blockDigests:)`` of one user in one transaction (one durable
    /// write for all), each recorded or refused on its own, in order: an upload counts against
    /// the room of the ones after it.
    public typealias NewUpload = (record: UploadRecord, blockDigests: [Int: String])

    public func createUploads(userId: String, _ uploads: [NewUpload]) async throws -> [Result<Void, StoreError>] {
        guard !uploads.isEmpty else { return [] }
        let quota = userQuota
        return try await database.transaction { db in
            try await Self.lockUser(userId, db)
            var results: [Result<Void, StoreError>] = []
            for (upload, digests) in uploads {
                guard upload.userId == userId else {
                    results.append(.failure(.invalidPath("an upload of another user in the batch")))
                    continue
                }
                do {
                    // Refusals are decided by reads before the item's writes, so that the
                    // transaction stays good for the others (PostgreSQL aborts on a failed statement).
                    try await Self.requireRoom(forUpload: upload, quota: quota, db)
                } catch let refusal as StoreError {
                    results.append(.failure(refusal))
                    continue
                }
                try await db.query(
                    """
                    INSERT INTO uploads (id, user_id, path, size, content_hash, base_revision, s3_upload_id, created_at, begin_seq, share_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT change_seq FROM users WHERE id = ?), ?)
                    """,
                    [
                        .text(upload.id), .text(upload.userId), .text(upload.path), .int(upload.size), .text(upload.contentHash),
                        upload.baseRevision.map(SQLValue.int) ?? .null, upload.s3UploadId.map(SQLValue.text) ?? .null,
                        .real(upload.createdAt.timeIntervalSince1970), .text(upload.userId), upload.shareId.map(SQLValue.text) ?? .null,
                    ]
                )
                try await Self.insertBlockDigests(uploadId: upload.id, digests, db)
                results.append(.success(()))
            }
            return results
        }
    }

    /// In a transaction that took ``lockUser(_:_:)``: the room for a new upload.
    static func requireRoom(forUpload upload: UploadRecord, quota: Int64?, _ db: any SQLSession) async throws {
        guard quota != nil else { return }
        let live = try await Self.live(upload.path, userId: upload.userId, db).flatMap { $0.kind == .file ? $0.size : nil } ?? 0
        // The live file is freed once, whichever upload to its path commits: the uploads
        // already pending there have claimed it first, so that many uploads over one file
        // cannot all pass as replacements that do not grow.
        let pendingRows = try await db.query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS pending FROM uploads WHERE user_id = ? AND path = ?",
            [.text(upload.userId), .text(upload.path)]
        )
        let pendingHere = try pendingRows.first?.int("pending") ?? 0
        let replaced = max(0, live - min(live, pendingHere))
        try await Self.requireRoom(
            userId: upload.userId,
            path: upload.path,
            size: upload.size,
            replacing: replaced,
            excludingUpload: nil,
            quota: quota,
            db
        )
    }

    /// The uploads in progress that a file request began.
    public func uploads(shareId: String, userId: String) async throws -> [UploadRecord] {
        try await database.query(
            "SELECT id, user_id, path, size, content_hash, base_revision, s3_upload_id, created_at, share_id FROM uploads WHERE share_id = ? AND user_id = ?",
            [.text(shareId), .text(userId)]
        ).map(Self.upload)
    }

    /// Whether the user has an upload in progress at `path` (a name a file request must not take).
    public func hasUpload(userId: String, path: String) async throws -> Bool {
        !(try await database.query("SELECT id FROM uploads WHERE user_id = ? AND path = ? LIMIT 1", [.text(userId), .text(path)])).isEmpty
    }

    public func upload(id: String, userId: String) async throws -> UploadRecord? {
        try await database.query(
            "SELECT id, user_id, path, size, content_hash, base_revision, s3_upload_id, created_at, share_id FROM uploads WHERE id = ? AND user_id = ?",
            [.text(id), .text(userId)]
        ).first.map(Self.upload)
    }

    static func upload(_ row: SQLRow) throws -> UploadRecord {
        let base: Int64? = if case .int(let value) = row["base_revision"] { value } else { nil }
        return UploadRecord(
            id: try row.text("id"),
            userId: try row.text("user_id"),
            path: try row.text("path"),
            size: try row.int("size"),
            contentHash: try row.text("content_hash"),
            baseRevision: base,
            s3UploadId: row.optionalText("s3_upload_id"),
            createdAt: Date(timeIntervalSince1970: try row.real("created_at")),
            shareId: row.optionalText("share_id")
        )
    }

    public func deleteUpload(id: String) async throws {
        try await database.transaction { db in
            try await db.query("DELETE FROM upload_blocks WHERE upload_id = ?", [.text(id)])
            try await db.query("DELETE FROM uploads WHERE id = ?", [.text(id)])
        }
    }

    /// Whether any item of the user (live or in the trash) references this content: its
    /// object is in the bucket already.
    public func storesContent(userId: String, contentHash: String) async throws -> Bool {
        !(try await database.query("SELECT id FROM files WHERE user_id = ? AND content_hash = ? LIMIT 1", [.text(userId), .text(contentHash)]))
            .isEmpty
    }

    /// Bytes the user's live files take (current versions; the trash and old versions are the
    /// collector's to reclaim, and do not count against the quota).
    public func usedBytes(userId: String) async throws -> Int64 {
        let rows = try await database.query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS used FROM files WHERE user_id = ? AND kind = 'file' AND trashed_at IS NULL",
            [.text(userId)]
        )
        return try rows.first?.int("used") ?? 0
    }

    /// The change-feed position of the user's latest change.
    public func latestSeq(userId: String) async throws -> Int64 {
        try await database.query("SELECT change_seq FROM users WHERE id = ?", [.text(userId)]).first?.int("change_seq") ?? 0
    }
}
