public import S3Client

/// Whole objects: read for previews and rehashing, written by the rehash, listed and deleted
/// by the collector.
extension BlobStore {
    /// The bytes of `range` of an object (a preview's first kilobytes).
    public func read(_ key: String, range: ClosedRange<Int64>) async throws -> [UInt8] {
        try await BlobStoreError.mapping { try await s3.getObject(bucket: bucket, key: key, range: range).bytes }
    }

    /// Writes an object into the file at `path`.
    public func download(_ key: String, toFile path: String) async throws {
        _ = try await BlobStoreError.mapping { try await s3.getObject(bucket: bucket, key: key, toFile: path) }
    }

    /// Stores the file at `path` as `key` (SSE-S3, SHA-256 checksums S3 verifies).
    public func upload(_ key: String, fromFile path: String) async throws {
        _ = try await BlobStoreError.mapping {
            try await s3.uploadFile(at: path, bucket: bucket, key: key, options: FileUploadOptions(checksumAlgorithm: .sha256))
        }
    }

    /// Calls `body` with each object under `prefix`, in key order.
    public func forEachObject(prefix: String, _ body: (ListedObject) async throws -> Void) async throws {
        try await BlobStoreError.mapping {
            for try await object in s3.listAllObjects(bucket: bucket, prefix: prefix) { try await body(object) }
        }
    }

    /// Deletes objects; returns the keys S3 reports deleted.
    public func delete(_ keys: [String]) async throws -> [String] {
        try await BlobStoreError.mapping { try await s3.deleteObjects(bucket: bucket, keys: keys).deleted }
    }
}
