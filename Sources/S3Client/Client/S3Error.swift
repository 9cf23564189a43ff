/// Everything that can go wrong talking to S3, with what a caller needs to recover.
///
/// Match on ``kind``; for errors S3 itself returned, ``code`` is S3's code (`NoSuchKey`,
/// `SignatureDoesNotMatch`, `BadDigest`, ...), with the HTTP status and request id beside it.
/// An interrupted multipart upload carries its ``uploadId`` and the parts that finished, so it
/// can be resumed.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case service, transport, invalidResponse, noCredentials, checksumMismatch, fileIO, invalidArgument, uploadInterrupted
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// S3 answered with an error status (and usually an XML error body).
        public static let service = Kind(.service)
        /// The request did not get an answer: connection refused or reset, timeout, TLS.
        public static let transport = Kind(.transport)
        /// S3 answered something this client cannot read.
        public static let invalidResponse = Kind(.invalidResponse)
        /// No credential provider could supply keys.
        public static let noCredentials = Kind(.noCredentials)
        /// Downloaded or uploaded bytes do not match the expected checksum.
        public static let checksumMismatch = Kind(.checksumMismatch)
        /// Reading or writing a local file failed.
        public static let fileIO = Kind(.fileIO)
        /// The caller asked for something that cannot work (a part number over 10,000, ...).
        public static let invalidArgument = Kind(.invalidArgument)
        /// A multipart upload stopped part-way; ``S3Error/uploadId`` and
        /// ``S3Error/completedParts`` allow it to be resumed.
        public static let uploadInterrupted = Kind(.uploadInterrupted)

        public var description: String { "\(code)" }
    }

    public let kind: Kind
    /// S3's error code (`NoSuchKey`, `SlowDown`, ...) for ``Kind/service`` errors.
    public let code: String?
    /// A human-readable explanation.
    public let message: String
    /// The HTTP status S3 answered with, if it answered.
    public let statusCode: Int?
    /// S3's `x-amz-request-id` (or the XML `RequestId`), for support requests.
    public let requestId: String?
    /// The multipart upload that was interrupted (``Kind/uploadInterrupted``).
    public let uploadId: String?
    /// The parts of ``uploadId`` that had finished.
    public let completedParts: [CompletedPart]
    /// The error underneath, if another layer raised it.
    public let underlying: (any Error)?

    init(
        kind: Kind,
        message: String,
        code: String? = nil,
        statusCode: Int? = nil,
        requestId: String? = nil,
        uploadId: String? = nil,
        completedParts: [CompletedPart] = [],
        underlying: (any Error)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.code = code
        self.statusCode = statusCode
        self.requestId = requestId
        self.uploadId = uploadId
        self.completedParts = completedParts
        self.underlying = underlying
    }

    /// Whether sending the same request again may succeed: 5xx, throttling, timeouts, resets.
    /// A 4xx that cannot succeed (bad signature, missing key, bad digest) is never retried.
    public var isRetryable: Bool {
        switch kind {
        case .transport:
            return true
        case .service:
            if let code, Self.retryableCodes.contains(code) { return true }
            guard let statusCode else { return false }
            return statusCode >= 500 || statusCode == 429
        default:
            return false
        }
    }

    static let retryableCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
        "InternalError", "ServiceUnavailable", "ExpiredToken",
    ]

    public var description: String {
        var parts = ["S3Error.\(kind)"]
        if let code { parts.append(code) }
        if let statusCode { parts.append("HTTP \(statusCode)") }
        var text = parts.joined(separator: " ") + ": " + message
        if let requestId { text += " (request id \(requestId))" }
        if let uploadId { text += " (upload id \(uploadId), \(completedParts.count) parts done)" }
        return text
    }

    static func noCredentials(_ message: String) -> S3Error {
        S3Error(kind: .noCredentials, message: message)
    }

    static func invalidResponse(_ message: String, statusCode: Int? = nil) -> S3Error {
        S3Error(kind: .invalidResponse, message: message, statusCode: statusCode)
    }

    static func invalidArgument(_ message: String) -> S3Error {
        S3Error(kind: .invalidArgument, message: message)
    }

    static func fileIO(_ message: String, underlying: (any Error)? = nil) -> S3Error {
        S3Error(kind: .fileIO, message: message, underlying: underlying)
    }

    static func transport(_ error: any Error) -> S3Error {
        S3Error(kind: .transport, message: "\(error)", underlying: error)
    }
}
