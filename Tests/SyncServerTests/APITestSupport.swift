import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// A server router on one of the databases, with a fresh bucket on the test SeaweedFS.
struct APIEnvironment: Sendable {
    let store: MetadataStore
    let blobs: BlobStore
    /// The router's metrics, which only `buildMetricsRouter` serves.
    var metrics = ServerMetrics()

    /// Runs `body` with a router on `backend` and a new bucket, then removes the bucket.
    static func with(
        _ backend: StoreBackend,
        isolated: Bool = false,
        maxShareLifetime: TimeInterval? = nil,
        shareVisitBurst: Int = 30,
        shareVisitsPerMinute: Double = 60,
        signInBurst: Int = 20,
        oidc: OIDCProvider? = nil,
        publicBaseURL: String = "https://files.example.com",
        userQuota: Int64? = nil,
        _ body: @escaping @Sendable (APIEnvironment, any TestClientProtocol) async throws -> Void
    ) async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["SYNCD_TEST_SEAWEED_ENDPOINT"], let key = env["SYNCD_TEST_SEAWEED_ACCESS_KEY"],
            let secret = env["SYNCD_TEST_SEAWEED_SECRET_KEY"]
        else { throw StoreTestError("SYNCD_TEST_SEAWEED_* is not set: run the tests with scripts/test") }
        let s3 = S3Client(
            configuration: S3Configuration(endpoint: endpoint),
            credentialProvider: StaticCredentialProvider(accessKeyId: key, secretAccessKey: secret)
        )
        let bucket = "api-\(UUID().uuidString.lowercased().prefix(18))"
        try await s3.createBucket(bucket)
        do {
            try await backend.withStore(isolated: isolated) { store in
                let blobs = BlobStore(s3: s3, bucket: bucket)
                var dependencies = ServerDependencies(
                    store: store,
                    blobs: blobs,
                    publicBaseURL: publicBaseURL,
                    maxShareLifetime: maxShareLifetime,
                    oidc: oidc
                )
                dependencies.shareVisitBurst = shareVisitBurst
                dependencies.shareVisitsPerMinute = shareVisitsPerMinute
                dependencies.signInBurst = signInBurst
                dependencies.userQuota = userQuota
                dependencies.signInsPerMinute = 1
                dependencies.deviceCodesPerMinute = 1
                let router = buildRouter(dependencies)
                let environment = APIEnvironment(store: store, blobs: blobs, metrics: dependencies.metrics)
                try await Application(router: router).test(.router) { client in try await body(environment, client) }
            }
        } catch {
            try? await Self.removeBucket(bucket, s3)
            throw error
        }
        try await Self.removeBucket(bucket, s3)
    }

    static func removeBucket(_ bucket: String, _ s3: S3Client) async throws {
        try await s3.emptyBucket(bucket)
        try await s3.deleteBucket(bucket)
    }

    /// Uploads `content` to `path` through the API (single PUT), as a client would.
    func put(
        _ content: [UInt8],
        at path: String,
        token: String,
        client: any TestClientProtocol,
        baseRevision: Int64? = nil
    ) async throws -> FileMetadata {
        let plan = try decode(
            BeginUploadResponse.self,
            try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(
                    path: path,
                    size: Int64(content.count),
                    sha256: identityHex(content),
                    baseRevision: baseRevision,
                    blockSha256: blockSha256(content)
                )
            ).body
        )
        if plan.mode == .stored, let file = plan.file { return file }
        guard let url = plan.url, let id = plan.uploadId, try await Presigned.send("PUT", url, headers: plan.headers, body: content).status == 200
        else {
            throw StoreTestError("upload of \(path) failed: \(plan)")
        }
        return try decode(
            FileMetadata.self,
            try await client.api(.post, "/api/v1/uploads/\(id)/complete", token: token, body: CompleteUploadRequest()).body
        )
    }

    /// A new user with a device token.
    func newUser() async throws -> (user: User, token: String) {
        let user = try await store.upsertUser(email: "u-\(UUID().uuidString)@example.com", name: "Tester")
        let (_, token) = try await store.createDevice(userId: user.id, name: "test device")
        return (user, token)
    }
}

extension TestClientProtocol {
    /// Sends a JSON API request with a bearer token; returns status and body.
    func api(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        body: (some Encodable)? = Optional<String>.none
    ) async throws -> (status: HTTPResponse.Status, body: Data) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = try body.map { ByteBuffer(bytes: try JSONEncoder().encode($0)) }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            (response.status, Data(buffer: response.body))
        }
    }
}

func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch {
        throw StoreTestError("expected \(T.self), got: \(String(decoding: data, as: UTF8.self))")
    }
}

/// Plain HTTP to S3 through presigned URLs, as the daemon or a browser does.
enum Presigned {
    static let client = HTTPClient(eventLoopGroupProvider: .singleton)

    static func send(
        _ method: String,
        _ url: String,
        headers: [String: String] = [:],
        body: [UInt8]? = nil
    ) async throws -> (status: UInt, headers: [String: String], body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 << 20)
        var flat: [String: String] = [:]
        for header in response.headers { flat[header.name.lowercased()] = header.value }
        return (response.status.code, flat, Array(buffer: collected))
    }
}

/// The content identity (block hash) of `bytes`: the one definition, in SyncAPI.
func identityHex(_ bytes: [UInt8]) -> String {
    ContentIdentity.identity(of: bytes)
}

/// The base64 SHA-256 of `bytes`, as a one-block file's begin carries it (`blockSha256`) and a
/// part's URL signs it.
func blockSha256(_ bytes: some Collection<UInt8>) -> String {
    ChecksumAlgorithm.sha256.checksum(of: Array(bytes)).base64
}
