import Foundation
import Hummingbird
import HummingbirdTesting
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// When S3 cannot be reached, the API says so — 503 `storage_unavailable`, which clients retry
/// soon — rather than a 500 that reads as the server's own failure; and what S3 refuses is a
/// 502 `storage_refused`. Both are decided in one place (the error middleware).
@Suite struct StorageFailureTests {
    @Test func anUnreachableBucketIsA503AndARefusingOneA502() async throws {
        try await StoreBackend.sqlite.withStore { store in
            // A loopback port nothing listens on: every connection is refused.
            let closed = try ServerProcess.freePort()
            let unreachable = S3Client(
                configuration: S3Configuration(
                    endpoint: "http://127.0.0.1:\(closed)",
                    retry: RetryPolicy(maxAttempts: 1),
                    requestTimeout: .seconds(3)
                ),
                credentialProvider: StaticCredentialProvider(accessKeyId: "k", secretAccessKey: "s")
            )
            let router = buildRouter(
                ServerDependencies(
                    store: store,
                    blobs: BlobStore(s3: unreachable, bucket: "gone"),
                    publicBaseURL: "https://files.example.com",
                    maxShareLifetime: nil,
                    oidc: nil
                )
            )
            try await Application(router: router).test(.router) { client in
                let user = try await store.upsertUser(email: "outage-\(UUID().uuidString)@example.com", name: "O")
                let (_, token) = try await store.createDevice(userId: user.id, name: "d")
                // 20 MiB: a multipart upload, which begin opens in S3.
                let big = BeginUploadRequest(path: "big.bin", size: 20 << 20, sha256: String(repeating: "ab", count: 32))
                let answer = try await client.api(.post, "/api/v1/uploads", token: token, body: big)
                #expect(answer.status == .serviceUnavailable)
                #expect(try decode(APIErrorBody.self, answer.body).code == "storage_unavailable")
                #expect(try await store.file(userId: user.id, path: "big.bin") == nil)
            }
        }
        try await APIEnvironment.with(.sqlite) { env, _ in
            let (_, token) = try await env.newUser()
            // A server configured with the wrong secret: SeaweedFS refuses the signature. The
            // answer says S3 refused, not "internal".
            let env0 = ProcessInfo.processInfo.environment
            let misconfigured = S3Client(
                configuration: S3Configuration(endpoint: try #require(env0["SYNCD_TEST_SEAWEED_ENDPOINT"]), retry: RetryPolicy(maxAttempts: 1)),
                credentialProvider: StaticCredentialProvider(
                    accessKeyId: try #require(env0["SYNCD_TEST_SEAWEED_ACCESS_KEY"]),
                    secretAccessKey: "not-the-secret"
                )
            )
            let router = buildRouter(
                ServerDependencies(
                    store: env.store,
                    blobs: BlobStore(s3: misconfigured, bucket: env.blobs.bucket),
                    publicBaseURL: "https://files.example.com",
                    maxShareLifetime: nil,
                    oidc: nil
                )
            )
            try await Application(router: router).test(.router) { client in
                let answer = try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "big.bin", size: 20 << 20, sha256: String(repeating: "cd", count: 32))
                )
                #expect(answer.status == .badGateway)
                #expect(try decode(APIErrorBody.self, answer.body).code == "storage_refused")
            }
        }
    }
}
