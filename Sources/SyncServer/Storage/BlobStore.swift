import Foundation
public import S3Client

/// The bucket where users' bytes live: objects keyed by content, `u/<user>/<sha256>`, every one
/// written with SSE-S3 and checked by S3 against a checksum the server signs into the URL.
public struct BlobStore: Sendable {
    public let s3: S3Client
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
            return try await s3.headObject(bucket: bucket, key: key)
        } catch let error as S3Error where error.statusCode == 404 {
            return nil
        }
    }

    /// A presigned single PUT. The SHA-256 the client declared is signed in: S3 refuses any other
    /// bytes.
    public func presignPut(key: String, sha256Hex: String) async throws -> (url: String, headers: [String: String]) {
        guard let digest = Hex.decode(sha256Hex), digest.count == 32 else { throw APIError(.badRequest, code: "invalid_sha256", "sha256 must be 64 hex digits") }
        let headers = [Self.encryption, ("x-amz-checksum-sha256", Data(digest).base64EncodedString())]
        let url = try await s3.presignedURL(method: "PUT", bucket: bucket, key: key, headers: headers.map { (name: $0.0, value: $0.1) }, expiresIn: uploadURLLifetime)
        return (url, Dictionary(uniqueKeysWithValues: headers))
    }

    /// A presigned PUT for one part, with its CRC32C signed in.
    public func presignPart(key: String, uploadId: String, partNumber: Int, crc32c: String) async throws -> (url: String, headers: [String: String]) {
        let headers = [("x-amz-checksum-crc32c", crc32c)]
        let url = try await s3.presignedURL(
            method: "PUT", bucket: bucket, key: key, query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
            headers: headers.map { (name: $0.0, value: $0.1) }, expiresIn: uploadURLLifetime)
        return (url, Dictionary(uniqueKeysWithValues: headers))
    }

    /// A short-lived presigned GET that saves as `filename`.
    public func presignGet(key: String, filename: String) async throws -> String {
        let disposition = "attachment; filename*=UTF-8''" + AWSURIEncoding.encodeQueryComponent(filename)
        return try await s3.presignedURL(
            method: "GET", bucket: bucket, key: key, query: [("response-content-disposition", disposition)], expiresIn: downloadURLLifetime)
    }

    /// A short-lived presigned GET that a browser shows inline as `contentType` (previews). S3
    /// answers with the type signed in here, whatever the object was stored with.
    public func presignInline(key: String, filename: String, contentType: String) async throws -> String {
        let disposition = "inline; filename*=UTF-8''" + AWSURIEncoding.encodeQueryComponent(filename)
        return try await s3.presignedURL(
            method: "GET", bucket: bucket, key: key,
            query: [("response-content-disposition", disposition), ("response-content-type", contentType)], expiresIn: downloadURLLifetime)
    }

    /// Where browsers reach the bucket's presigned URLs (for the dashboard's CSP).
    public var origin: String { s3.origin(bucket: bucket) }

    /// Lets pages of `origin` PUT parts and GET previews through presigned URLs, and read the
    /// ETag of each part (the dashboard's multipart uploads need it).
    public func allowBrowsers(from origin: String) async throws {
        try await s3.putBucketCORS(bucket: bucket, rules: [
            CORSRule(allowedOrigins: [origin], allowedMethods: ["GET", "PUT", "HEAD"], exposeHeaders: ["ETag"])
        ])
    }
}
