public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1

/// Credentials of the EC2 instance's IAM role, read through IMDSv2.
///
/// IMDSv2 is session-oriented: a `PUT /latest/api/token` yields a token that every metadata
/// read must carry (`X-aws-ec2-metadata-token`). The role's credentials are temporary; they are
/// cached and fetched again `refreshMargin` before they expire, so requests never go out with
/// expired keys. The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` when set (as in the AWS
/// SDKs), else `http://169.254.169.254`.
public actor InstanceMetadataCredentialProvider: CredentialProvider {
    public nonisolated let endpoint: String
    let httpClient: HTTPClient
    let refreshMargin: TimeInterval
    let now: @Sendable () -> Date
    private var cached: S3Credentials?
    /// How many times credentials were fetched from IMDS (for tests and diagnostics).
    private(set) var fetches = 0
    private var inFlight: Task<S3Credentials, any Error>?

    public static let defaultEndpoint = "http://169.254.169.254"

    /// - Parameters:
    ///   - refreshMargin: how long before expiry cached credentials are replaced.
    ///   - now: the clock, a parameter so that expiry handling can be tested.
    public init(
        endpoint: String? = nil,
        httpClient: HTTPClient = .shared,
        refreshMargin: TimeInterval = 300,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var endpoint = endpoint ?? environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func credentials() async throws -> S3Credentials {
        if let cached, !needsRefresh(cached) { return cached }
        // One fetch at a time: concurrent callers wait for the same answer.
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.fetch() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }

    private func needsRefresh(_ credentials: S3Credentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(now()) <= refreshMargin
    }

    private func fetch() async throws -> S3Credentials {
        fetches += 1
        let token = try await call("PUT", "/latest/api/token", headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"])
        let tokenHeader = ["X-aws-ec2-metadata-token": token]
        let roles = try await call("GET", "/latest/meta-data/iam/security-credentials/", headers: tokenHeader)
        guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw S3Error.noCredentials("the instance has no IAM role attached (IMDS at \(endpoint))")
        }
        let body = try await call("GET", "/latest/meta-data/iam/security-credentials/\(role)", headers: tokenHeader)
        return try Self.decodeRoleCredentials(Data(body.utf8), role: role)
    }

    private func call(_ method: String, _ path: String, headers: [String: String]) async throws -> String {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .seconds(2))
        } catch {
            throw S3Error.noCredentials("the instance metadata service at \(endpoint) did not answer: \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw S3Error.noCredentials("the instance metadata service answered \(response.status.code) to \(method) \(path)")
        }
        return String(buffer: body)
    }

    struct RoleCredentials: Decodable {
        var Code: String?
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String?
        var Expiration: String?
    }

    static func decodeRoleCredentials(_ data: Data, role: String) throws -> S3Credentials {
        let decoded: RoleCredentials
        do {
            decoded = try JSONDecoder().decode(RoleCredentials.self, from: data)
        } catch {
            throw S3Error.noCredentials("the credentials of role \(role) are not the JSON IMDS serves: \(error)")
        }
        if let code = decoded.Code, code != "Success" {
            throw S3Error.noCredentials("IMDS reports \(code) for role \(role)")
        }
        let expiration = decoded.Expiration.flatMap { try? Date($0, strategy: .iso8601) }
        return S3Credentials(
            accessKeyId: decoded.AccessKeyId,
            secretAccessKey: decoded.SecretAccessKey,
            sessionToken: decoded.Token,
            expiration: expiration
        )
    }
}
