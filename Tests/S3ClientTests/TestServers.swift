import AsyncHTTPClient
import Foundation
import Logging
import Testing

@testable import S3Client

/// The real S3 servers that `scripts/test-servers start` runs on loopback; their addresses and
/// keys arrive in `SYNCD_TEST_<NAME>_*` variables (`scripts/test` sets them).
enum S3Server: String, CaseIterable, CustomStringConvertible, Sendable {
    /// SeaweedFS: verifies SigV4 signatures, presigned-URL expiry and checksums.
    case seaweed = "SEAWEED"
    /// moto's server mode: AWS-like behaviour and error codes (does not verify signatures).
    case moto = "MOTO"

    var description: String { rawValue.lowercased() }

    struct Settings {
        var endpoint: String
        var accessKey: String
        var secretKey: String
    }

    func settings() throws -> Settings {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["SYNCD_TEST_\(rawValue)_ENDPOINT"], let key = env["SYNCD_TEST_\(rawValue)_ACCESS_KEY"],
            let secret = env["SYNCD_TEST_\(rawValue)_SECRET_KEY"]
        else {
            throw TestSetupError("SYNCD_TEST_\(rawValue)_* is not set: run the tests with scripts/test, which starts the S3 servers")
        }
        return Settings(endpoint: endpoint, accessKey: key, secretKey: secret)
    }

    func client(secretKey: String? = nil, retry: RetryPolicy = RetryPolicy(maxAttempts: 3)) throws -> S3Client {
        let settings = try settings()
        return S3Client(
            configuration: S3Configuration(endpoint: settings.endpoint, retry: retry),
            credentialProvider: StaticCredentialProvider(accessKeyId: settings.accessKey, secretAccessKey: secretKey ?? settings.secretKey),
            httpClient: TestHTTP.client
        )
    }

    /// Runs `body` with a new, uniquely named bucket, then empties and deletes it.
    func withBucket(_ body: (S3Client, String) async throws -> Void) async throws {
        let client = try client()
        let bucket = "t-\(UUID().uuidString.lowercased().prefix(18))"
        try await client.createBucket(bucket)
        do {
            try await body(client, bucket)
            // Whatever a test wrote, S3 must report it encrypted at rest (SSE-S3).
            for object in try await client.listAllObjects(bucket: bucket).collect() {
                let head = try await client.headObject(bucket: bucket, key: object.key)
                #expect(head.serverSideEncryption == .aes256, "\(object.key) on \(self) is not SSE-S3")
            }
        } catch {
            try? await Self.empty(bucket, client)
            throw error
        }
        try await Self.empty(bucket, client)
    }

    static func empty(_ bucket: String, _ client: S3Client) async throws {
        try await client.emptyBucket(bucket)
        try await client.deleteBucket(bucket)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum TestHTTP {
    /// One HTTP client for the whole test process, with room for parallel part uploads.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// A scratch folder for one test, removed afterwards.
final class ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("s3client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `size` pseudo-random bytes (seeded, so a failure replays) and returns the path.
    func randomFile(_ name: String, size: Int, seed: UInt64 = 1) throws -> String {
        let file = "\(path)/\(name)"
        guard FileManager.default.createFile(atPath: file, contents: nil) else { throw TestSetupError("cannot create \(file)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var remaining = size
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while remaining > 0 {
            let n = min(remaining, chunk.count)
            chunk.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for i in 0..<words.count {
                    // xorshift64*: fast, and good enough to defeat any compression or dedup.
                    state ^= state >> 12
                    state ^= state << 25
                    state ^= state >> 27
                    words[i] = state &* 0x2545_F491_4F6C_DD1D
                }
            }
            try handle.write(contentsOf: chunk[0..<n])
            remaining -= n
        }
        return file
    }
}

/// The SHA-256 of a file, in hex, computed independently of S3Client's code.
func sha256OfFile(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "dgst", "-sha256", "-r", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
