public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A client for S3 and S3-compatible stores (SeaweedFS, MinIO, Ceph RGW, R2).
///
/// Every request is signed with SigV4 using the credentials provider's current keys, and sent
/// again with backoff when S3 says it may succeed later (see ``S3Error/isRetryable``). Streamed
/// request bodies (files) are re-read from the file on each attempt.
public struct S3Client: Sendable {
    public let configuration: S3Configuration
    public let credentialProvider: any CredentialProvider
    let httpClient: HTTPClient
    let logger: Logger

    public init(
        configuration: S3Configuration,
        credentialProvider: any CredentialProvider,
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "S3Client")
    ) {
        self.configuration = configuration
        self.credentialProvider = credentialProvider
        self.httpClient = httpClient
        self.logger = logger
    }

    // MARK: Requests

    /// What an operation sends.
    struct Request: Sendable {
        var method: HTTPMethod
        var bucket: String?
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: Body = .empty
        /// CopyObject and CompleteMultipartUpload can answer 200 and still fail, with an
        /// `<Error>` body; such a body is then treated (and retried) like an error status.
        var errorMayArriveWith200 = false

        enum Body: Sendable {
            case empty
            case bytes(ByteBuffer)
            case file(FileSlice)
        }
    }

    /// A finished response with its (small) body collected.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer

        func xml() throws -> XMLTree {
            guard let tree = XMLTree.parse(Data(buffer: body)) else {
                throw S3Error.invalidResponse("S3 answered \(status.code) with a body that is not XML", statusCode: Int(status.code))
            }
            return tree
        }
    }

    /// The unsigned request for an operation: addressing style applied, key encoded.
    func sigV4Request(_ request: Request) -> SigV4Request {
        let (scheme, endpointHost, port) = configuration.endpointParts
        var host = endpointHost
        var path = ""
        if let bucket = request.bucket {
            switch configuration.addressingStyle {
            case .path:
                path = "/" + AWSURIEncoding.encodePath(bucket)
            case .virtualHosted:
                host = "\(bucket).\(endpointHost)"
            }
        }
        if let key = request.key {
            path += "/" + AWSURIEncoding.encodePath(key)
        }
        return SigV4Request(
            method: request.method.rawValue,
            scheme: scheme,
            host: host,
            port: port,
            encodedPath: path.isEmpty ? "/" : path,
            query: request.query,
            headers: request.headers
        )
    }

    /// Sends a request and collects its body (up to `maxBody` bytes). Throws ``S3Error`` for
    /// error statuses, after retries.
    func send(_ request: Request, maxBody: Int = 64 << 20) async throws -> Response {
        try await send(request) { response in
            let body = try await response.body.collect(upTo: maxBody)
            if request.errorMayArriveWith200, let tree = XMLTree.parse(Data(buffer: body)), tree.name == "Error" {
                throw S3Error(
                    kind: .service,
                    message: tree.text("Message") ?? "failed after HTTP 200",
                    code: tree.text("Code"),
                    statusCode: Int(response.status.code),
                    requestId: tree.text("RequestId")
                )
            }
            return Response(status: response.status, headers: response.headers, body: body)
        }
    }

    /// Sends a request with retries and hands a successful (2xx/3xx-less) response to
    /// `consume`. An error status is read into an ``S3Error`` and never reaches `consume`.
    /// When `consume` throws a retryable error (the connection broke mid-body), the whole
    /// request is sent again; `consume` must therefore start over cleanly each time.
    func send<T: Sendable>(
        _ request: Request,
        consume: (HTTPClientResponse) async throws -> T
    ) async throws -> T {
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            do {
                let response = try await execute(request)
                guard (200..<300).contains(response.status.code) else {
                    throw await Self.serviceError(response, method: request.method)
                }
                do {
                    return try await consume(response)
                } catch let error as S3Error {
                    throw error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // The body broke off mid-way: a transport failure like any other.
                    throw S3Error.transport(error)
                }
            } catch let error as S3Error where error.isRetryable && attempt + 1 < configuration.retry.maxAttempts {
                try Task.checkCancellation()
                let delay = configuration.retry.delay(retry: attempt, using: &generator)
                logger.debug(
                    "retrying S3 request",
                    metadata: [
                        "method": "\(request.method.rawValue)", "key": "\(request.key ?? "")",
                        "attempt": "\(attempt + 1)", "delay": "\(delay)", "error": "\(error)",
                    ]
                )
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    /// One attempt: sign with current credentials and the current time, then send.
    private func execute(_ request: Request) async throws -> HTTPClientResponse {
        let credentials = try await credentialProvider.credentials()
        let signer = SigV4Signer(credentials: credentials, region: configuration.region)
        var unsigned = sigV4Request(request)
        let payload: SigV4Signer.Payload
        var httpBody: HTTPClientRequest.Body?
        switch request.body {
        case .empty:
            payload = .empty
        case .bytes(let buffer):
            // Small bodies (XML) are hashed into the signature; large ones are covered by the
            // x-amz-checksum header S3 verifies instead of a second pass.
            payload = buffer.readableBytes <= 1 << 20 ? .bytes(buffer.readableBytesView) : .unsigned
            httpBody = .bytes(buffer)
        case .file(let slice):
            payload = .unsigned
            httpBody = .stream(slice, length: .known(slice.count))
        }
        if case .empty = request.body, [.PUT, .POST].contains(request.method) {
            unsigned.setHeader("Content-Length", "0")
        }
        let signed = signer.signed(unsigned, payload: payload, date: Date())
        var http = HTTPClientRequest(url: signed.url)
        http.method = request.method
        for (name, value) in signed.headers where name.lowercased() != "host" {
            http.headers.add(name: name, value: value)
        }
        if let httpBody { http.body = httpBody }
        do {
            return try await httpClient.execute(http, timeout: .init(configuration.requestTimeout))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw S3Error.transport(error)
        }
    }

    /// Reads S3's XML error body (`<Error><Code>…`) into an ``S3Error``. HEAD responses and
    /// some proxies send no body; the status then names the error.
    static func serviceError(_ response: HTTPClientResponse, method: HTTPMethod) async -> S3Error {
        let status = Int(response.status.code)
        let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        let headerRequestId = response.headers.first(name: "x-amz-request-id")
        if let tree = XMLTree.parse(Data(buffer: body)), tree.name == "Error" {
            return S3Error(
                kind: .service,
                message: tree.text("Message") ?? response.status.reasonPhrase,
                code: tree.text("Code"),
                statusCode: status,
                requestId: tree.text("RequestId") ?? headerRequestId
            )
        }
        let code: String? =
            switch status {
            case 301: "PermanentRedirect"
            case 304: "NotModified"
            case 400: "BadRequest"
            case 403: "Forbidden"
            case 404: "NotFound"
            case 412: "PreconditionFailed"
            case 429: "SlowDown"
            default: nil
            }
        return S3Error(
            kind: .service,
            message: "HTTP \(status) \(response.status.reasonPhrase)",
            code: code,
            statusCode: status,
            requestId: headerRequestId
        )
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
