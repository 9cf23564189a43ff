import Foundation
public import S3Client

/// The bucket where users' bytes live: objects keyed by content identity (the block hash of
/// ``ContentIdentity``), `u/<user>/<identity>`, every one written with SSE-S3 and checked by S3
/// against the SHA-256 the server signs into each URL.
///
/// The server's only door to S3: every call goes through here and fails as a
/// ``BlobStoreError`` (see `BlobStore+Uploads.swift` for multipart uploads and
/// `BlobStore+Objects.swift` for reading, writing, listing and deleting whole objects).
public struct BlobStore: Sendable {
    let s3: S3Client
    public let bucket: String
    /// How long upload URLs work.
    public var uploadURLLifetime = 3600
    /// How long download URLs work: minutes, never days.
    public var downloadURLLifetime = 900

    public init(s3: S3Client, bucket: String) {
        self.s3 = s3
        self.bucket = bucket
    }

    static let encryption = ("x-amz-server-side-encryption", "AES256")

    public func key(userId: String, sha256: String) -> String {
        "u/\(userId)/\(sha256)"
    }

    /// The object's metadata, or nil when it is not there.
    public func head(_ key: String) async throws -> ObjectMetadata? {
        do {
            return try await BlobStoreError.mapping { try await s3.headObject(bucket: bucket, key: key) }
        } catch let error as BlobStoreError where error.code == .missing {
            return nil
        }
    }

    /// A presigned single PUT of a one-block file. The block's SHA-256 (base64) is signed in: S3
    /// refuses any other bytes.
    public func presignPut(key: String, blockSha256: String) async throws -> (url: String, headers: [String: String]) {
        let headers = [Self.encryption, ("x-amz-checksum-sha256", blockSha256)]
        let url = try await BlobStoreError.mapping {
            try await s3.presignedURL(
                method: "PUT",
                bucket: bucket,
                key: key,
                headers: headers.map { (name: $0.0, value: $0.1) },
                expiresIn: uploadURLLifetime
            )
        }
        return (url, Dictionary(uniqueKeysWithValues: headers))
    }

    /// A presigned PUT for one part, with its block's SHA-256 (base64) signed in: S3 refuses
    /// other bytes as this part.
    public func presignPart(key: String, uploadId: String, partNumber: Int, sha256: String) async throws -> (url: String, headers: [String: String]) {
        let headers = [("x-amz-checksum-sha256", sha256)]
        let url = try await BlobStoreError.mapping {
            try await s3.presignedURL(
                method: "PUT",
                bucket: bucket,
                key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                headers: headers.map { (name: $0.0, value: $0.1) },
                expiresIn: uploadURLLifetime
            )
        }
        return (url, Dictionary(uniqueKeysWithValues: headers))
    }

    /// A short-lived presigned GET that saves as `filename`.
    public func presignGet(key: String, filename: String) async throws -> String {
        let disposition = "attachment; filename*=UTF-8''" + AWSURIEncoding.encodeQueryComponent(filename)
        return try await BlobStoreError.mapping {
            try await s3.presignedURL(
                method: "GET",
                bucket: bucket,
                key: key,
                query: [("response-content-disposition", disposition)],
                expiresIn: downloadURLLifetime
            )
        }
    }

    /// A short-lived presigned GET that a browser shows inline as `contentType` (previews). S3
    /// answers with the type signed in here, whatever the object was stored with.
    public func presignInline(key: String, filename: String, contentType: String) async throws -> String {
        let disposition = "inline; filename*=UTF-8''" + AWSURIEncoding.encodeQueryComponent(filename)
        return try await BlobStoreError.mapping {
            try await s3.presignedURL(
                method: "GET",
                bucket: bucket,
                key: key,
                query: [("response-content-disposition", disposition), ("response-content-type", contentType)],
                expiresIn: downloadURLLifetime
            )
        }
    }

    /// Where browsers reach the bucket's presigned URLs (for the dashboard's CSP).
    public var origin: String { s3.origin(bucket: bucket) }

    /// Lets pages of `origin` PUT parts and GET previews through presigned URLs, and read the
    /// ETag of each part (the dashboard's multipart uploads need it).
    public func allowBrowsers(from origin: String) async throws {
        try await BlobStoreError.mapping {
            try await s3.putBucketCORS(
                bucket: bucket,
                rules: [
                    CORSRule(allowedOrigins: [origin], allowedMethods: ["GET", "PUT", "HEAD"], exposeHeaders: ["ETag"])
                ]
            )
        }
    }
}
