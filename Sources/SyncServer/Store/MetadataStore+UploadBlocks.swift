extension MetadataStore {
    /// Records the SHA-256 the server signs into each block (part number → base64 digest) of
    /// an upload, unless one is recorded already, in one transaction; returns the recorded ones.
    /// A part number's digest never changes: S3 accepts as that part only bytes with the digest
    /// its URL carries, so the recorded digests are the SHA-256 of whatever parts S3 holds.
    public func recordBlockDigests(uploadId: String, _ digests: [Int: String]) async throws -> [Int: String] {
        try await database.transaction { db in
            try await Self.insertBlockDigests(uploadId: uploadId, digests, db)
            var recorded: [Int: String] = [:]
            for row in try await db.query("SELECT part_number, sha256 FROM upload_blocks WHERE upload_id = ?", [.text(uploadId)]) {
                let number = Int(try row.int("part_number"))
                if digests[number] != nil { recorded[number] = try row.text("sha256") }
            }
            guard recorded.count == digests.count else { throw StoreError.corrupt("blocks of upload \(uploadId) vanished") }
            return recorded
        }
    }

    static func insertBlockDigests(uploadId: String, _ digests: [Int: String], _ db: any SQLSession) async throws {
        for (number, sha256) in digests.sorted(by: { $0.key < $1.key }) {
            try await db.query(
                "INSERT INTO upload_blocks (upload_id, part_number, sha256) VALUES (?, ?, ?) ON CONFLICT (upload_id, part_number) DO NOTHING",
                [.text(uploadId), .int(Int64(number)), .text(sha256)]
            )
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
