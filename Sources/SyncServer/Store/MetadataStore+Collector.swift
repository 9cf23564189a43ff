public import Foundation

/// What the collector asks of the store.
extension MetadataStore {
    /// Every content hash the user's items, versions or uploads in progress reference.
    public func referencedContent(userId: String) async throws -> Set<String> {
        let rows = try await database.query(
            """
            SELECT content_hash FROM files WHERE user_id = ? AND content_hash IS NOT NULL
            UNION SELECT r.content_hash FROM revisions r JOIN files f ON f.id = r.file_id WHERE f.user_id = ?
            UNION SELECT content_hash FROM uploads WHERE user_id = ?
            """,
            [.text(userId), .text(userId), .text(userId)]
        )
        return Set(rows.compactMap { $0.optionalText("content_hash") })
    }

    /// Forgets uploads begun before `cutoff` and never completed; returns them (their S3
    /// multipart uploads are the caller's to abort).
    public func expireUploads(before cutoff: Date) async throws -> [UploadRecord] {
        try await database.transaction { db in
            let rows = try await db.query(
                "DELETE FROM uploads WHERE created_at < ? RETURNING id, user_id, path, size, content_hash, s3_upload_id, created_at",
                [.real(cutoff.timeIntervalSince1970)]
            )
            // Block digests of uploads that are gone (completed, aborted or expired).
            try await db.query("DELETE FROM upload_blocks WHERE upload_id NOT IN (SELECT id FROM uploads)", [])
            return try rows.map { row in
                UploadRecord(
                    id: try row.text("id"),
                    userId: try row.text("user_id"),
                    path: try row.text("path"),
                    size: try row.int("size"),
                    contentHash: try row.text("content_hash"),
                    baseRevision: nil,
                    s3UploadId: row.optionalText("s3_upload_id"),
                    createdAt: Date(timeIntervalSince1970: try row.real("created_at"))
                )
            }
        }
    }

    /// Deletes for good what has been in the trash since before `cutoff` (with its versions
    /// and share links); returns how many items went.
    public func purgeTrash(before cutoff: Date) async throws -> Int {
        try await database.transaction { db in
            let doomed = "SELECT id FROM files WHERE trashed_at IS NOT NULL AND trashed_at < ?"
            let at: [SQLValue] = [.real(cutoff.timeIntervalSince1970)]
            try await db.query("DELETE FROM share_events WHERE share_id IN (SELECT id FROM shares WHERE file_id IN (\(doomed)))", at)
            try await db.query("DELETE FROM shares WHERE file_id IN (\(doomed))", at)
            try await db.query("DELETE FROM revisions WHERE file_id IN (\(doomed))", at)
            return try await db.query("DELETE FROM files WHERE trashed_at IS NOT NULL AND trashed_at < ? RETURNING id", at).count
        }
    }

    /// Forgets sessions, sign-ins and device codes that ran out before `now`; returns how
    /// many sessions went.
    public func purgeExpiredSignIns(now: Date) async throws -> Int {
        let at = now.timeIntervalSince1970
        return try await database.transaction { db in
            try await db.query("DELETE FROM sign_ins WHERE created_at < ?", [.real(at - Self.signInLifetime)])
            try await db.query("DELETE FROM device_codes WHERE expires_at < ?", [.real(at)])
            return try await db.query("DELETE FROM sessions WHERE expires_at < ? RETURNING user_id", [.real(at)]).count
        }
    }

    /// Forgets versions made before `cutoff`, except each file's newest (its current content,
    /// live or trashed); returns how many went. Their objects go with the collector's sweep
    /// once nothing references them.
    public func purgeOldVersions(before cutoff: Date) async throws -> Int {
        try await database.transaction { db in
            try await db.query(
                """
                DELETE FROM revisions WHERE modified_at < ?
                AND revision < (SELECT MAX(newest.revision) FROM revisions newest WHERE newest.file_id = revisions.file_id)
                RETURNING file_id
                """,
                [.real(cutoff.timeIntervalSince1970)]
            ).count
        }
    }
}
