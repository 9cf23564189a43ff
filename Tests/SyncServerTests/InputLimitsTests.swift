import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import SyncAPI
import Testing

@testable import SyncServer

/// Hostile numbers and names get a 400 with the API's JSON error, never a trap: the inputs of
/// the trust issue (`wait=nan`, `size` of Int64.max, `limit=-1`, names of 300 bytes) and their
/// neighbours. (On the old code the first two stopped the whole server process.)
@Suite struct InputLimitsTests {
    /// A begin request for `bytes` (a one-block file).
    static func begin(_ path: String, _ bytes: [UInt8], size: Int64? = nil, baseRevision: Int64? = nil) -> BeginUploadRequest {
        BeginUploadRequest(
            path: path,
            size: size ?? Int64(bytes.count),
            sha256: identityHex(bytes),
            baseRevision: baseRevision,
            blockSha256: blockSha256(bytes)
        )
    }

    /// The API's error body, or a failure naming what came instead.
    static func error(_ answer: (status: HTTPResponse.Status, body: Data)) throws -> APIErrorBody {
        try decode(APIErrorBody.self, answer.body)
    }

    @Test(arguments: StoreBackend.allCases)
    func changeFeedParametersAreRangeChecked(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            for query in [
                "wait=nan", "wait=inf", "wait=-inf", "wait=-1", "wait=61", "wait=1e300", "wait=soon",
                "limit=-1", "limit=0", "limit=5001", "limit=9223372036854775808", "limit=ten",
                "after=-1", "after=abc", "after=9223372036854775808",
            ] {
                let answer = try await client.api(.get, "/api/v1/changes?\(query.hasPrefix("after=") ? "" : "after=0&")\(query)", token: token)
                #expect(answer.status == .badRequest, "\(query) answered \(answer.status)")
                #expect(try Self.error(answer).code == "invalid_parameter", "\(query)")
            }
            #expect(try await client.api(.get, "/api/v1/changes?after=0&limit=5000&wait=0.1", token: token).status == .ok)
            #expect(try await client.api(.get, "/api/v1/changes?after=9223372036854775807&limit=1", token: token).status == .ok)
            #expect(env.store.notifier.waiting(userId: user.id) == 0, "no long-poll ticket is left behind")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func uploadSizesAndPartNumbersAreRangeChecked(backend: StoreBackend) async throws {
        // A quota and a stored file: the old code summed Int64.max into the quota and trapped.
        try await APIEnvironment.with(backend, userQuota: 1 << 30) { env, client in
            let (_, token) = try await env.newUser()
            _ = try await env.put(Array("already here".utf8), at: "stored.txt", token: token, client: client)
            let bytes = Array("x".utf8)
            for size: Int64 in [.max, .max - 1, -1, .min, (5 << 40) + 1] {
                let answer = try await client.api(.post, "/api/v1/uploads", token: token, body: Self.begin("huge.bin", bytes, size: size))
                #expect(answer.status == .badRequest, "size \(size) answered \(answer.status)")
                #expect(try Self.error(answer).code == "invalid_size")
            }
            let batch = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: [Self.begin("a.bin", bytes, size: .max), Self.begin("b.bin", bytes)])
                ).body
            )
            #expect(batch.results.map(\.status) == [400, nil], "each item of a batch is checked on its own")
            let tooMany = try await client.api(
                .post,
                "/api/v1/batch/uploads",
                token: token,
                body: BatchBeginRequest(uploads: Array(repeating: Self.begin("c.bin", bytes), count: 1001))
            )
            #expect(tooMany.status == .badRequest)
            #expect(try Self.error(tooMany).code == "batch_too_large")

            // A multipart upload of 20 MiB (3 blocks): part numbers outside 1...3 are refused.
            let multipart = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "big.bin", size: 20 << 20, sha256: String(repeating: "ab", count: 32))
                ).body
            )
            let id = try #require(multipart.uploadId)
            for numbers in [[0], [-1], [4], [10_001], [Int.max], [Int.min], []] {
                let digest = blockSha256(bytes)
                let answer = try await client.api(
                    .post,
                    "/api/v1/uploads/\(id)/parts",
                    token: token,
                    body: PartURLsRequest(partNumbers: numbers, sha256: Dictionary(uniqueKeysWithValues: numbers.map { (String($0), digest) }))
                )
                #expect(answer.status == .badRequest, "parts \(numbers) answered \(answer.status)")
                #expect(try Self.error(answer).code == "invalid_part")
            }
            #expect(try await client.api(.delete, "/api/v1/uploads/\(id)", token: token).status == .noContent)
        }
    }

    @Test func shareExpiryIsRangeChecked() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            let file = try await env.put(Array("shared".utf8), at: "shared.txt", token: token, client: client)
            for seconds in [Int.max, -1, Int.min, 100 * 365 * 86_400 + 1] {
                let answer = try await client.api(
                    .post,
                    "/api/v1/shares",
                    token: token,
                    body: CreateShareRequest(path: file.path, expiresInSeconds: seconds)
                )
                #expect(answer.status == .badRequest, "expiresInSeconds \(seconds) answered \(answer.status)")
                #expect(try Self.error(answer).code == "invalid_expiry")
            }
            #expect(
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 3600)).status
                    == .created
            )
        }
    }

    /// Bodies that are not the JSON a route takes are refused in the API's own error format.
    @Test func malformedBodiesGetTheAPIErrorFormat() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            for body in [
                #"{"path": 1}"#, #"{"path": "a", "size": 1e400, "sha256": "x"}"#, #"{"path": "a", "size": 9223372036854775808, "sha256": "x"}"#,
                "not json", "",
            ] {
                let answer = try await client.execute(
                    uri: "/api/v1/uploads",
                    method: .post,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: ByteBuffer(string: body)
                ) { (status: $0.status, body: Data(buffer: $0.body)) }
                #expect(answer.status == .badRequest, "\(body) answered \(answer.status)")
                #expect(try Self.error(answer).code == "bad_request", "\(body)")
            }
        }
    }

    /// Linux's limits: a name of at most 255 bytes (UTF-8), a path of at most 4,096; refused
    /// on every route that makes a name: begin, folders, move.
    @Test(arguments: StoreBackend.allCases)
    func longNamesAndPathsAreRefused(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let longest = String(repeating: "n", count: 255)
            let tooLong = String(repeating: "n", count: 300)
            let tooLongAccented = String(repeating: "é", count: 128)  // 128 characters, 256 bytes
            let tooLongPath = Array(repeating: String(repeating: "d", count: 200), count: 21).joined(separator: "/")  // 4,220 bytes
            let bytes = Array("named".utf8)

            for name in [tooLong, tooLongAccented, "folder/" + tooLong, tooLongPath] {
                let begun = try await client.api(.post, "/api/v1/uploads", token: token, body: Self.begin(name, bytes))
                #expect(begun.status == .badRequest, "begin of a \(name.utf8.count)-byte path answered \(begun.status)")
                #expect(try Self.error(begun).code == "invalid_path")
                #expect(try Self.error(begun).message.contains("bytes"), "the message says what the limit is")
                let folder = try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: name))
                #expect(folder.status == .badRequest, "folder \(name.utf8.count) bytes")
                #expect(try Self.error(folder).code == "invalid_path", "folder \(name.utf8.count) bytes")
            }
            let file = try await env.put(bytes, at: longest, token: token, client: client)
            #expect(file.path == longest, "255 bytes is a valid name")
            for target in [tooLong, tooLongAccented] {
                let moved = try await client.api(
                    .post,
                    "/api/v1/move",
                    token: token,
                    body: MoveRequest(from: file.path, to: target, revision: file.revision)
                )
                #expect(moved.status == .badRequest, "move to \(target.utf8.count) bytes")
                #expect(try Self.error(moved).code == "invalid_path", "move to \(target.utf8.count) bytes")
            }
            #expect(try await env.store.files(userId: user.id).map(\.path) == [longest], "nothing over the limit was recorded")

            // A folder moved so deep that what is inside it would pass 4,096 bytes.
            let deep = Array(repeating: String(repeating: "d", count: 250), count: 16).joined(separator: "/")  // 4,015 bytes
            var parent = ""
            for name in deep.split(separator: "/") {
                parent += (parent.isEmpty ? "" : "/") + name
                #expect(try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: parent)).status == .created)
            }
            let box = try decode(
                FileMetadata.self,
                try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: "box")).body
            )
            _ = try await env.put(bytes, at: "box/" + String(repeating: "f", count: 250) + ".txt", token: token, client: client)
            let tooDeep = try await client.api(
                .post,
                "/api/v1/move",
                token: token,
                body: MoveRequest(from: "box", to: deep + "/box", revision: box.revision)
            )
            #expect(tooDeep.status == .badRequest)
            #expect(try Self.error(tooDeep).code == "invalid_path")
            #expect(try await env.store.file(userId: user.id, path: "box") != nil, "the refused move changed nothing")
        }
    }
}
