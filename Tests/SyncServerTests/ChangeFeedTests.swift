import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SyncAPI
import Testing

@testable import SyncServer

/// The change feed's long-poll: woken by a change in this process, and across two server
/// processes sharing one PostgreSQL.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ChangeFeedTests {
    @Test(arguments: StoreBackend.allCases)
    func longPollWakesOnAChange(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let started = ContinuousClock.now
            async let poll = client.api(.get, "/api/v1/changes?after=0&wait=20", token: token)
            try await Task.sleep(for: .milliseconds(300))
            _ = try await env.store.commit(userId: user.id, path: "new-folder", kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
            let answer = try await poll
            let elapsed = ContinuousClock.now - started
            let feed = try decode(ChangesResponse.self, answer.body)
            #expect(feed.changes.map(\.file.path) == ["new-folder"])
            #expect(elapsed < .seconds(10), "woken by the change, not by the 20 s timeout (\(elapsed))")
            // With nothing new, the poll waits out its time and answers empty.
            let quiet = try decode(
                ChangesResponse.self,
                try await client.api(.get, "/api/v1/changes?after=\(feed.cursor)&wait=0.3", token: token).body
            )
            #expect(quiet.changes.isEmpty && quiet.cursor == feed.cursor)
        }
    }

    /// Two `syncd-server` processes on one PostgreSQL: a change committed through one wakes a
    /// long-poll waiting on the other (LISTEN/NOTIFY).
    @Test func longPollWakesAcrossReplicas() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let database = env["SYNCD_TEST_POSTGRES_URL"], let endpoint = env["SYNCD_TEST_SEAWEED_ENDPOINT"],
            let key = env["SYNCD_TEST_SEAWEED_ACCESS_KEY"], let secret = env["SYNCD_TEST_SEAWEED_SECRET_KEY"]
        else { throw StoreTestError("the test servers are not running: use scripts/test") }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("syncd-server").path
        let serverEnvironment = [
            "SYNCD_DATABASE_URL": database, "SYNCD_AUTH_SESSION_SECRET": String(repeating: "t", count: 40), "SYNCD_S3_ENDPOINT": endpoint,
            "SYNCD_S3_BUCKET": "replicas",
            "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": env["PATH"] ?? "/usr/bin",
        ]
        let token = try ServerProcess.output(
            binary,
            ["admin", "issue-token", "--email", "replica-\(UUID().uuidString)@example.com", "--device", "test"],
            environment: serverEnvironment
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        let a = try ServerProcess(binary: binary, environment: serverEnvironment)
        let b = try ServerProcess(binary: binary, environment: serverEnvironment)
        defer {
            a.stop()
            b.stop()
        }
        try await a.waitUntilReady()
        try await b.waitUntilReady()

        let (urlA, urlB) = (a.url, b.url)
        let started = ContinuousClock.now
        async let poll = ServerProcess.get("\(urlB)/api/v1/changes?after=0&wait=20", token: token)
        try await Task.sleep(for: .milliseconds(500))
        let created = try await ServerProcess.post(
            "\(urlA)/api/v1/folders",
            token: token,
            body: try JSONEncoder().encode(CreateFolderRequest(path: "from-replica-a"))
        )
        #expect(created == 201)
        let feed = try JSONDecoder().decode(ChangesResponse.self, from: try await poll)
        let elapsed = ContinuousClock.now - started
        #expect(feed.changes.map(\.file.path) == ["from-replica-a"])
        #expect(elapsed < .seconds(10), "woken through LISTEN/NOTIFY, not by the 20 s timeout (\(elapsed))")
        print("cross-replica long-poll answered \(elapsed - .milliseconds(500)) after the change")
    }
}

/// A `syncd-server serve` child process on a free loopback port.
final class ServerProcess {
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    static let http = HTTPClient(eventLoopGroupProvider: .singleton)

    init(binary: String, environment: [String: String]) throws {
        port = try Self.freePort()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port)]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilReady() async throws {
        for _ in 0..<100 {
            if (try? await Self.status("\(url)/readyz")) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StoreTestError("syncd-server on port \(port) never became ready")
    }

    /// Stops it for good: SIGKILL, which a child cannot have blocked.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw StoreTestError("cannot bind a loopback port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func output(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }

    static func status(_ url: String) async throws -> UInt {
        try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(2)).status.code
    }

    static func get(_ url: String, token: String) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await http.execute(request, timeout: .seconds(30))
        return Data(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    static func post(_ url: String, token: String, body: Data) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await http.execute(request, timeout: .seconds(10)).status.code
    }
}
