import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import SyncAPI
import Testing

@testable import SyncServer

/// File requests on both databases, against SeaweedFS: someone without an account drops files
/// into the owner's folder and learns nothing of it; what an attacker with the link tries is
/// refused.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FileRequestTests {
    /// A JSON call of a request's page (with its header unless `header` is false).
    static func call(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: (some Encodable)? = Optional<String>.none,
        header: Bool = true,
        cookie: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: Data) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if header { headers[SharesAPI.requestHeader] = "1" }
        if let cookie { headers[.cookie] = cookie }
        let buffer = try body.map { ByteBuffer(bytes: try JSONEncoder().encode($0)) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { ($0.status, Data(buffer: $0.body)) }
    }

    /// Sends `content` as `name` through the request at `base` (`/r/<token>`): begin, PUT, complete.
    static func send(
        _ content: [UInt8],
        as name: String,
        _ client: any TestClientProtocol,
        base: String,
        cookie: String? = nil
    ) async throws -> (begin: BeginUploadResponse, completed: HTTPResponse.Status) {
        let request = BeginUploadRequest(path: name, size: Int64(content.count), sha256: identityHex(content), blockSha256: blockSha256(content))
        let answer = try await call(client, .post, base + "/api/uploads", body: request, cookie: cookie)
        #expect(answer.status == .created, "\(String(decoding: answer.body, as: UTF8.self))")
        let begun = try decode(BeginUploadResponse.self, answer.body)
        let id = try #require(begun.uploadId)
        #expect(try await Presigned.send("PUT", try #require(begun.url), headers: begun.headers, body: content).status == 200)
        let done = try await call(client, .post, base + "/api/uploads/\(id)/complete", body: CompleteUploadRequest(), cookie: cookie)
        return (begun, done.status)
    }

    static func create(_ client: any TestClientProtocol, token: String, _ body: CreateShareRequest) async throws -> ShareInfo {
        let created = try await client.api(.post, "/api/v1/shares", token: token, body: body)
        #expect(created.status == .created, "\(String(decoding: created.body, as: UTF8.self))")
        return try decode(ShareInfo.self, created.body)
    }

    @Test(arguments: StoreBackend.allCases)
    func strangersDropFilesAndSeeNothingOfTheFolder(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, shareVisitBurst: 500) { env, client in
            let (owner, token) = try await env.newUser()
            let secret = Array("the owner's own notes".utf8)
            #expect(try await client.api(.post, "/api/v1/folders", token: token, body: ["path": "inbox"]).status == .created)
            _ = try await env.put(secret, at: "inbox/private-notes.txt", token: token, client: client)
            let request = try await Self.create(
                client,
                token: token,
                CreateShareRequest(path: "inbox", request: FileRequestSettings(title: "Slides for <b>Friday</b>", maxFileBytes: 1000))
            )
            #expect(request.url.contains("/r/") && request.request?.title == "Slides for <b>Friday</b>")
            let base = "/r/" + request.url.split(separator: "/").last!

            // The page: the title as text, nothing of the folder.
            let page = try await client.execute(uri: base, method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(page.0 == .ok && page.1.contains("Slides for &lt;b&gt;Friday&lt;/b&gt;") && page.1.contains("/static/request.js"))
            #expect(!page.1.contains("private-notes") && !page.1.contains("inbox"), "the page names nothing of the folder")
            // The request's token is no link, and a link's token no request.
            #expect(try await client.execute(uri: "/s/" + base.dropFirst(3), method: .get) { $0.status } == .notFound)
            let link = try await Self.create(client, token: token, CreateShareRequest(path: "inbox/private-notes.txt"))
            #expect(try await client.execute(uri: "/r/" + link.url.split(separator: "/").last!, method: .get) { $0.status } == .notFound)

            // Two files, one of them the same name twice, one the owner's own content.
            let slides = Array("slide one\n".utf8)
            #expect(try await Self.send(slides, as: "slides.txt", client, base: base).completed == .noContent)
            #expect(try await Self.send(Array("slide two\n".utf8), as: "slides.txt", client, base: base).completed == .noContent)
            let again = try await Self.send(secret, as: "copy.txt", client, base: base)
            #expect(again.begin.mode == .single, "content the owner has is uploaded anyway: a stored answer would tell")
            let files = try await env.store.files(userId: owner.id)
            #expect(Set(files.map(\.path)).isSuperset(of: ["inbox/slides.txt", "inbox/slides (1).txt", "inbox/copy.txt"]))
            #expect(files.first { $0.path == "inbox/private-notes.txt" }?.revision == 1, "nothing replaced")

            // The owner's list counts what came in, with times.
            let listed = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body)
            #expect(listed.first { $0.id == request.id }?.uploads == 3)
            let events = try decode([ShareEvent].self, try await client.api(.get, "/api/v1/shares/\(request.id)/events", token: token).body)
            #expect(events.filter { $0.kind == .upload }.count == 3 && events.contains { $0.kind == .view })
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func whatAnAttackerWithTheLinkTriesIsRefused(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, shareVisitBurst: 500) { env, client in
            let (owner, token) = try await env.newUser()
            #expect(try await client.api(.post, "/api/v1/folders", token: token, body: ["path": "inbox"]).status == .created)
            _ = try await env.put(Array("x".utf8), at: "inbox/existing.txt", token: token, client: client)
            let request = try await Self.create(
                client,
                token: token,
                CreateShareRequest(path: "inbox", request: FileRequestSettings(title: "Photos", maxFileBytes: 100))
            )
            let base = "/r/" + request.url.split(separator: "/").last!
            let content = Array("a file".utf8)
            func begin(_ name: String, size: Int64? = nil, header: Bool = true) async throws -> (status: HTTPResponse.Status, body: Data) {
                let body = BeginUploadRequest(
                    path: name,
                    size: size ?? Int64(content.count),
                    sha256: identityHex(content),
                    blockSha256: blockSha256(content)
                )
                return try await Self.call(client, .post, base + "/api/uploads", body: body, header: header)
            }
            #expect(try await begin("a.txt", header: false).status == .forbidden, "a cross-site form cannot send the header")
            for hostile in ["../escape.txt", "sub/dir.txt", "..", "", "tab\there.txt", String(repeating: "n", count: 241)] {
                let answer = try await begin(hostile)
                #expect(answer.status == .badRequest, "\(hostile.debugDescription): \(answer.status)")
            }
            #expect(try await begin("big.bin", size: 101).status == .contentTooLarge)
            #expect(try await begin("negative.bin", size: -1).status != .created)
            #expect(try await begin("huge.bin", size: Int64.max).status != .created)
            // A dotfile the owner's devices would read as settings arrives under another name.
            #expect(try await Self.send(content, as: ".syncignore", client, base: base).completed == .noContent)
            let paths = Set(try await env.store.files(userId: owner.id).map(\.path))
            #expect(paths.contains("inbox/_syncignore") && !paths.contains("inbox/.syncignore"))

            // Uploads are reachable only through the request that began them.
            let other = try await Self.create(client, token: token, CreateShareRequest(path: "inbox", request: FileRequestSettings(title: "Other")))
            let otherBase = "/r/" + other.url.split(separator: "/").last!
            let begun = try decode(BeginUploadResponse.self, try await begin("mine.txt").body)
            let id = try #require(begun.uploadId)
            #expect(try await Self.call(client, .post, otherBase + "/api/uploads/\(id)/complete", body: CompleteUploadRequest()).status == .notFound)
            #expect(try await Self.call(client, .delete, otherBase + "/api/uploads/\(id)").status == .notFound)
            let owned = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(
                        path: "inbox/owners.txt",
                        size: 3,
                        sha256: identityHex(Array("own".utf8)),
                        blockSha256: blockSha256(Array("own".utf8))
                    )
                ).body
            )
            #expect(try await Self.call(client, .delete, base + "/api/uploads/\(owned.uploadId!)").status == .notFound, "not the owner's own uploads")
            #expect(try await Self.call(client, .delete, base + "/api/uploads/\(id)").status == .noContent)

            // Revoked: nothing opens, nothing is taken.
            #expect(try await client.api(.delete, "/api/v1/shares/\(request.id)", token: token).status == .noContent)
            #expect(try await client.execute(uri: base, method: .get) { $0.status } == .notFound)
            #expect(try await begin("late.txt").status == .notFound)
            // A request is of a folder, with a title of one line.
            let onFile = try await client.api(
                .post,
                "/api/v1/shares",
                token: token,
                body: CreateShareRequest(path: "inbox/existing.txt", request: FileRequestSettings(title: "x"))
            )
            #expect(onFile.status == .badRequest)
            for title in ["", "two\nlines", String(repeating: "t", count: 201)] {
                let answer = try await client.api(
                    .post,
                    "/api/v1/shares",
                    token: token,
                    body: CreateShareRequest(path: "inbox", request: FileRequestSettings(title: title))
                )
                #expect(answer.status == .badRequest, "\(title.debugDescription)")
            }
            let zeroCap = try await client.api(
                .post,
                "/api/v1/shares",
                token: token,
                body: CreateShareRequest(path: "inbox", request: FileRequestSettings(title: "t", maxFileBytes: 0))
            )
            #expect(zeroCap.status == .badRequest)
        }
    }

    @Test func aProtectedRequestTakesFilesOnlyAfterItsPassword() async throws {
        try await APIEnvironment.with(.sqlite, shareVisitBurst: 500) { env, client in
            let (owner, token) = try await env.newUser()
            #expect(try await client.api(.post, "/api/v1/folders", token: token, body: ["path": "drop"]).status == .created)
            _ = try await env.put(Array("x".utf8), at: "drop/keep.txt", token: token, client: client)
            let request = try await Self.create(
                client,
                token: token,
                CreateShareRequest(path: "drop", password: "open sesame", request: FileRequestSettings(title: "Receipts"))
            )
            let base = "/r/" + request.url.split(separator: "/").last!
            let form = try await SharePasswordTests.get(client, base)
            #expect(form.status == .ok && form.body.contains("This link is protected") && !form.body.contains("Receipts"))
            #expect(form.body.contains("action=\"\(base)\""))
            let content = Array("receipt".utf8)
            let body = BeginUploadRequest(path: "r.txt", size: Int64(content.count), sha256: identityHex(content), blockSha256: blockSha256(content))
            #expect(try await Self.call(client, .post, base + "/api/uploads", body: body).status == .unauthorized)
            #expect(try await SharePasswordTests.post(client, base, password: "wrong one").status == .unauthorized)
            let unlocked = try await SharePasswordTests.post(client, base, password: "open sesame")
            #expect(unlocked.status == .seeOther)
            let setCookie = try #require(unlocked.headers[.setCookie])
            #expect(setCookie.contains("Path=\(base)"))
            let cookie = String(setCookie.split(separator: ";")[0])
            let page = try await SharePasswordTests.get(client, base, cookie: cookie)
            #expect(page.status == .ok && page.body.contains("Receipts"))
            #expect(try await Self.send(content, as: "r.txt", client, base: base, cookie: cookie).completed == .noContent)
            #expect(try await env.store.files(userId: owner.id).contains { $0.path == "drop/r.txt" })
        }
    }
}
