import S3Client

/// What went wrong with the bucket, as the server's parts need to tell it apart: the object or
/// upload is not there, S3 refused the request, or S3 could not be reached or is overloaded.
/// The API answers it in one place (``APIErrorMiddleware``): 404, 502 and 503.
public struct BlobStoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The object, or the multipart upload, is not in the bucket.
        case missing
        /// S3 refused the request (its 4xx), or its answer made no sense.
        case refused
        /// No answer, or S3's 5xx, 429 or SlowDown: worth trying again later.
        case unavailable
    }

    public let code: Code
    /// S3's own error code, when it gave one (`NoSuchUpload`, `InvalidPart`, `SlowDown`).
    public let s3Code: String?
    /// S3 answered (as opposed to: no answer, no credentials, an answer that made no sense).
    public let isS3Answer: Bool
    public let message: String

    public var description: String { "storage \(code): \(message)" }

    init(_ error: S3Error) {
        s3Code = error.code
        message = error.message
        isS3Answer = error.kind == .service
        code = Self.code(of: error)
    }

    static func code(of error: S3Error) -> Code {
        // A missing bucket is the server's configuration, not a missing object.
        if (error.statusCode == 404 || error.code == "NoSuchKey" || error.code == "NoSuchUpload") && error.code != "NoSuchBucket" { return .missing }
        // Worth trying again: S3's own retryable answers (5xx, 429, SlowDown, RequestTimeout...),
        // no answer, and no credentials for now (the instance metadata service timing out).
        if error.isRetryable || error.kind == .transport || error.kind == .noCredentials { return .unavailable }
        return .refused
    }

    /// Runs an S3 call, its failures as the store's.
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error {
            throw BlobStoreError(error)
        }
    }
}
