import Crypto
public import Foundation

/// AWS Signature Version 4 for S3: `Authorization` headers and presigned URLs.
///
/// Pure: the date is a parameter, nothing is read from the environment or the clock.
/// Implements "Signature Version 4 signing process" and, for query signing, "Authenticating
/// Requests: Using Query Parameters (AWS Signature Version 4)" of the S3 API reference.
public struct SigV4Signer: Sendable {
    /// The payload hash that goes into the canonical request (and the `x-amz-content-sha256`
    /// header).
    public enum Payload: Sendable, Equatable {
        /// `UNSIGNED-PAYLOAD`: the body is not hashed (streamed bodies, presigned URLs).
        case unsigned
        /// The lower-case hex SHA-256 of the body, computed by the caller.
        case sha256Hex(String)

        /// The SHA-256 of these bytes.
        public static func bytes(_ bytes: some DataProtocol) -> Payload {
            .sha256Hex(Hex.encode(SHA256.hash(data: bytes)))
        }

        /// The SHA-256 of an empty body.
        public static let empty = Payload.sha256Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

        var value: String {
            switch self {
            case .unsigned: "UNSIGNED-PAYLOAD"
            case .sha256Hex(let hex): hex
            }
        }
    }

    /// The keys to sign with.
    public var credentials: S3Credentials
    /// The region of the scope (`us-east-1` for most S3-compatible servers).
    public var region: String
    /// The service of the scope: `s3`.
    public var service: String
    /// Whether header signing adds `x-amz-content-sha256` (S3 requires it; AWS's generic test
    /// suite does not use it).
    public var addsContentSHA256Header: Bool

    /// Header names never signed: proxies and clients may change them in flight.
    static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id", "connection", "transfer-encoding"]

    public init(credentials: S3Credentials, region: String, service: String = "s3", addsContentSHA256Header: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.addsContentSHA256Header = addsContentSHA256Header
    }

    /// Signs a request with an `Authorization` header.
    ///
    /// Returns the request with `x-amz-date`, `x-amz-content-sha256` (for S3),
    /// `x-amz-security-token` (with temporary credentials) and `Authorization` set. Every header
    /// already on the request is signed, except ``unsignedHeaders``.
    public func signed(_ request: SigV4Request, payload: Payload, date: Date) -> SigV4Request {
        var request = request
        let time = AmzDate(date)
        request.headers.removeAll { ["authorization", "x-amz-date"].contains($0.name.lowercased()) }
        request.setHeader("x-amz-date", time.timestamp)
        if addsContentSHA256Header {
            request.setHeader("x-amz-content-sha256", payload.value)
        }
        if let token = credentials.sessionToken {
            request.setHeader("x-amz-security-token", token)
        }
        let signedHeaders = headersToSign(request)
        let canonical = canonicalRequest(request, query: request.query, headers: signedHeaders, payload: payload)
        let scope = credentialScope(time)
        let signature = signature(of: canonical, scope: scope, time: time)
        request.setHeader(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
                + "SignedHeaders=\(signedHeaders.names), Signature=\(signature)"
        )
        return request
    }

    /// A presigned URL: anyone holding it may make this request until it expires.
    ///
    /// Every header on the request (and `host`) is signed in: whoever uses the URL must send
    /// those headers with exactly these values, so `x-amz-server-side-encryption` or a checksum
    /// can be imposed on an upload. `expires` is in seconds, 1 to 604800 (7 days).
    public func presignedURL(_ request: SigV4Request, expires: Int, date: Date) -> String {
        precondition((1...604_800).contains(expires), "SigV4 presigned URLs last 1 s to 7 days")
        let time = AmzDate(date)
        let scope = credentialScope(time)
        let signedHeaders = headersToSign(request)
        var query = request.query.filter { !$0.name.hasPrefix("X-Amz-Signature") }
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"))
        query.append(("X-Amz-Date", time.timestamp))
        query.append(("X-Amz-Expires", String(expires)))
        query.append(("X-Amz-SignedHeaders", signedHeaders.names))
        if let token = credentials.sessionToken {
            query.append(("X-Amz-Security-Token", token))
        }
        let canonical = canonicalRequest(request, query: query, headers: signedHeaders, payload: .unsigned)
        let signature = signature(of: canonical, scope: scope, time: time)
        var presigned = request
        presigned.query = query
        // The signature goes last, after the parameters it signs, as AWS's examples show it.
        return presigned.url + (query.isEmpty ? "?" : "&") + "X-Amz-Signature=" + signature
    }

    // MARK: Stages

    /// Stage 2: the string to sign, then stage 3: its HMAC with the derived key
    /// ("Create a string to sign", "Calculate the signature").
    func signature(of canonicalRequest: String, scope: String, time: AmzDate) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            time.timestamp,
            scope,
            Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let key = signingKey(day: time.day)
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// "Derive a signing key": HMAC chain over day, region, service and `aws4_request`.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    func credentialScope(_ time: AmzDate) -> String {
        "\(time.day)/\(region)/\(service)/aws4_request"
    }
}
