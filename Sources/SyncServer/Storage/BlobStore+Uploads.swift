public import S3Client

/// Multipart uploads into the bucket: one part per block of the content identity, each
/// verified by S3 against the SHA-256 signed into its URL.
extension BlobStore {
    /// Starts a multipart upload of `key` (SSE-S3, SHA-256 part checksums); returns S3's id.
    public func createMultipartUpload(key: String, contentType: String?) async throws -> String {
        try await BlobStoreError.mapping {
            try await s3.createMultipartUpload(
                bucket: bucket,
                key: key,
                options: PutObjectOptions(contentType: contentType),
                checksumAlgorithm: .sha256
            )
        }
    }

    /// The parts S3 holds of an upload (``BlobStoreError/Code/missing`` once it is gone).
    public func listParts(key: String, uploadId: String) async throws -> [CompletedPart] {
        try await BlobStoreError.mapping { try await s3.listParts(bucket: bucket, key: key, uploadId: uploadId) }
    }

    /// Makes the object from `parts` (``BlobStoreError/Code/refused`` when S3 does not accept them).
    public func completeMultipartUpload(key: String, uploadId: String, parts: [CompletedPart]) async throws {
        _ = try await BlobStoreError.mapping { try await s3.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts) }
    }

    public func abortMultipartUpload(key: String, uploadId: String) async throws {
        try await BlobStoreError.mapping { try await s3.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId) }
    }

    /// Multipart uploads S3 holds under `prefix`, finished or not by anyone.
    public func multipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try await BlobStoreError.mapping { try await s3.listMultipartUploads(bucket: bucket, prefix: prefix) }
    }
}
