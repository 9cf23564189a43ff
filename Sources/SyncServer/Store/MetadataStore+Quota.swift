import Foundation

/// The per-user quota: live files (current versions) plus the sizes of uploads in progress,
/// which reserve their room at begin. The trash and old versions do not count; the collector
/// reclaims them after the retention.
extension MetadataStore {
    /// Bytes held against the user's quota: the live files, plus every upload in progress but
    /// `excludingUpload` (the one being completed, which is about to become a live file).
    public func heldBytes(userId: String, excludingUpload: String? = nil) async throws -> Int64 {
        try await database.transaction { try await Self.heldBytes(userId: userId, excludingUpload: excludingUpload, $0) }
    }

    /// Refuses (``StoreError/quotaExceeded(path:size:held:quota:)``) a file of `size` bytes at
    /// `path` that replaces `replacing` bytes, when it would take the user past the quota.
    /// A read only: the check that counts is the one in the writing transaction.
    public func requireRoom(userId: String, path: String, size: Int64, replacing: Int64) async throws {
        guard let quota = userQuota else { return }
        try Self.requireRoom(held: try await heldBytes(userId: userId), adding: size, replacing: replacing, path: path, quota: quota)
    }

    static func heldBytes(userId: String, excludingUpload: String?, _ db: any SQLSession) async throws -> Int64 {
        // Each size is at most S3's 5 TiB object limit (checked at begin), so these sums stay
        // far from Int64.max; the addition is checked all the same.
        let rows = try await db.query(
            """
            SELECT CAST(COALESCE((SELECT SUM(size) FROM files WHERE user_id = ? AND kind = 'file' AND trashed_at IS NULL), 0) AS BIGINT) AS live,
                   CAST(COALESCE((SELECT SUM(size) FROM uploads WHERE user_id = ? AND id <> ?), 0) AS BIGINT) AS pending
            """,
            [.text(userId), .text(userId), .text(excludingUpload ?? "")]
        )
        guard let row = rows.first else { return 0 }
        let (total, overflow) = try row.int("live").addingReportingOverflow(try row.int("pending"))
        guard !overflow else { throw StoreError.corrupt("the sizes of \(userId)'s files overflow") }
        return total
    }

    /// The quota rule: `held - replacing + size <= quota`, unless the change does not grow
    /// (a smaller replacement is always allowed, even over a quota lowered since).
    static func requireRoom(held: Int64, adding size: Int64, replacing: Int64, path: String, quota: Int64) throws {
        guard size > replacing else { return }
        let (grown, overflow) = held.addingReportingOverflow(size - replacing)
        if overflow || grown > quota {
            throw StoreError.quotaExceeded(path: path, size: size, held: max(0, held - replacing), quota: quota)
        }
    }

    /// In a writing transaction: takes the user row's lock (PostgreSQL; SQLite's writer holds
    /// the database already), so that concurrent writers of one user are counted one after
    /// the other, never both against the same free room. Every writer of a user's tree takes
    /// it first, so that they all lock in one order.
    static func lockUser(_ userId: String, _ db: any SQLSession) async throws {
        try await db.query("UPDATE users SET change_seq = change_seq WHERE id = ?", [.text(userId)])
    }

    /// In a writing transaction, after ``lockUser(_:_:)``: the check of
    /// ``requireRoom(userId:path:size:replacing:)`` that holds.
    static func requireRoom(
        userId: String,
        path: String,
        size: Int64,
        replacing: Int64,
        excludingUpload: String?,
        quota: Int64?,
        _ db: any SQLSession
    ) async throws {
        guard let quota, size > replacing else { return }
        let held = try await heldBytes(userId: userId, excludingUpload: excludingUpload, db)
        try requireRoom(held: held, adding: size, replacing: replacing, path: path, quota: quota)
    }

    /// The sum of `sizes`, overflow-checked.
    static func total(_ sizes: [Int64]) throws -> Int64 {
        try sizes.reduce(0) { sum, size in
            let (next, overflow) = sum.addingReportingOverflow(size)
            guard !overflow else { throw StoreError.corrupt("sizes past Int64.max") }
            return next
        }
    }
}
