extension MetadataStore {
    /// Records the SHA-256 the server signs into block `partNumber` of an upload, unless one
    /// is recorded already; returns the recorded one. A part number's digest never changes:
    /// S3 accepts as that part only bytes with the digest its URL carries, so the recorded
    /// digests are the SHA-256 of whatever parts S3 holds.
    public func recordBlockDigest(uploadId: String, partNumber: Int, sha256: String) async throws -> String {
        try await database.transaction { db in
            try await db.query(
                "INSERT INTO upload_blocks (upload_id, part_number, sha256) VALUES (?, ?, ?) ON CONFLICT (upload_id, part_number) DO NOTHING",
                [.text(uploadId), .int(Int64(partNumber)), .text(sha256)])
            let rows = try await db.query(
                "SELECT sha256 FROM upload_blocks WHERE upload_id = ? AND part_number = ?", [.text(uploadId), .int(Int64(partNumber))])
            guard let row = rows.first else { throw StoreError.corrupt("block \(partNumber) of upload \(uploadId) vanished") }
            return try row.text("sha256")
        }
    }

    /// The digests signed for an upload's blocks, by part number.
    public func blockDigests(uploadId: String) async throws -> [Int: String] {
        var digests: [Int: String] = [:]
        for row in try await database.query("SELECT part_number, sha256 FROM upload_blocks WHERE upload_id = ?", [.text(uploadId)]) {
            digests[Int(try row.int("part_number"))] = try row.text("sha256")
        }
        return digests
    }
}
