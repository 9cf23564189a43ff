import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import S3Client
import SyncAPI
import Testing

/// The real `syncd-server` binary survives any input: first the requests that stopped it
/// before (the trust issue), then a property-based fuzz run driven by its own OpenAPI document
/// (`scripts/fuzz-api`: schemathesis, on SQLite and on PostgreSQL, SeaweedFS as S3).
@Suite(.serialized, .timeLimit(.minutes(5))) struct APIFuzzEndToEndTests {
    @Test func theIssuesCrashersGet400AndTheServerStaysUp() async throws {
        try await EndToEnd.with("crashers", serverSettings: ["SYNCD_LIMITS_USER_QUOTA": "1GiB"]) { world in
            let token = try await world.issueToken()
            // A stored file, so that the quota sum has something to add a huge size to.
            try await Self.storeEmptyFile(world, token: token)
            let hostile: [(String, String, String?)] = [
                ("GET", "/api/v1/changes?after=0&wait=nan", nil),
                ("GET", "/api/v1/changes?after=0&wait=inf", nil),
                ("GET", "/api/v1/changes?after=0&wait=-inf", nil),
                ("GET", "/api/v1/changes?after=0&limit=-1", nil),
                ("GET", "/api/v1/changes?after=-1", nil),
                ("POST", "/api/v1/uploads", #"{"path":"huge.bin","size":9223372036854775807,"sha256":"\#(String(repeating: "ab", count: 32))"}"#),
                ("POST", "/api/v1/uploads", #"{"path":"neg.bin","size":-1,"sha256":"\#(String(repeating: "ab", count: 32))"}"#),
                (
                    "POST", "/api/v1/uploads",
                    #"{"path":"\#(String(repeating: "n", count: 300))","size":1,"sha256":"\#(String(repeating: "ab", count: 32))"}"#
                ),
                (
                    "POST", "/api/v1/batch/uploads",
                    #"{"uploads":[\#(Array(repeating: #"{"path":"b","size":9223372036854775807,"sha256":"\#(String(repeating: "ab", count: 32))"}"#, count: 1001).joined(separator: ","))]}"#
                ),
                ("POST", "/api/v1/shares", #"{"path":"empty.txt","expiresInSeconds":9223372036854775807}"#),
            ]
            for (method, path, body) in hostile {
                let (status, text) = try await Self.send(method, world.serverURL + path, token: token, body: body)
                #expect(status == 400, "\(method) \(path.prefix(80)) answered \(status): \(text.prefix(200))")
                #expect(try JSONDecoder().decode(APIErrorBody.self, from: Data(text.utf8)).code.isEmpty == false)
                let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: world.serverURL + "/healthz"), timeout: .seconds(5))
                #expect(health.status.code == 200, "the server is down after \(method) \(path.prefix(80))")
            }
        }
    }

    /// schemathesis, seeded and bounded (5 cases per operation and phase, both databases, about
    /// 30 s alone): no 5xx, `/healthz` after every case, every answer as documented.
    /// `scripts/fuzz-api --examples 1000` (or `--max-time 600`) is the long run.
    @Test func fuzzFromTheOpenAPIDocument() async throws {
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard ProcessInfo.processInfo.environment["SYNCD_TEST_SEAWEED_ENDPOINT"] != nil,
            ProcessInfo.processInfo.environment["SYNCD_TEST_POSTGRES_URL"] != nil
        else { throw HarnessError("the test servers are not running: use scripts/test") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString.prefix(8)).log").path
        let process = try ChildProcess(
            "/usr/bin/env",
            ["python3", root + "/scripts/fuzz-api", "--examples", "5", "--seed", "1", "--database", "both", "--binary", binaries + "/syncd-server"],
            environment: ProcessInfo.processInfo.environment,
            log: log,
            name: "fuzz-api"
        )
        defer { try? FileManager.default.removeItem(atPath: log) }
        let status = await process.waitForExit(timeout: .seconds(240))
        if status == nil { await process.crash() }
        let output = process.log
        print(output.split(separator: "\n").prefix(12).joined(separator: "\n"))
        #expect(status == 0, "the fuzz run found failures (replay with scripts/fuzz-api --examples 5 --seed 1):\n\(output.suffix(12_000))")
        #expect(output.contains("sqlite:") && output.contains("postgres:"), "both databases were fuzzed")
    }

    /// Records the empty file `empty.txt` through the upload API (one PUT of no bytes).
    static func storeEmptyFile(_ world: EndToEnd, token: String) async throws {
        let empty = ContentIdentity.identity(of: [UInt8]())
        // The empty file's one PUT carries the SHA-256 of nothing, which is also its identity.
        let digest = ContentIdentity.base64(try #require(Hex.decode(empty)))
        let begin = #"{"path":"empty.txt","size":0,"sha256":"\#(empty)","blockSha256":"\#(digest)"}"#
        let (status, text) = try await send("POST", world.serverURL + "/api/v1/uploads", token: token, body: begin)
        guard status == 201 else { throw HarnessError("begin answered \(status): \(text)") }
        let plan = try JSONDecoder().decode(BeginUploadResponse.self, from: Data(text.utf8))
        if plan.mode == .stored { return }
        var put = HTTPClientRequest(url: try #require(plan.url))
        put.method = .PUT
        for (name, value) in plan.headers { put.headers.add(name: name, value: value) }
        put.body = .bytes(ByteBuffer())
        let sent = try await HTTPClient.shared.execute(put, timeout: .seconds(30))
        guard sent.status.code == 200 else { throw HarnessError("the PUT answered \(sent.status)") }
        let (done, doneText) = try await send(
            "POST",
            world.serverURL + "/api/v1/uploads/\(try #require(plan.uploadId))/complete",
            token: token,
            body: #"{"parts":[]}"#
        )
        guard done == 200 else { throw HarnessError("complete answered \(done): \(doneText)") }
    }

    static func send(_ method: String, _ url: String, token: String, body: String?) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
