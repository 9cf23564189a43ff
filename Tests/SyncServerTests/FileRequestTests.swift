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
        #expect(begun.mode == .multipart, "never a single PUT: its object could be the owner's already")
        let parts = try await call(
            client,
            .post,
            base + "/api/uploads/\(id)/parts",
            body: PartURLsRequest(partNumbers: [1, 1], sha256: ["1": blockSha256(content)]),
            cookie: cookie
        )
        let signed = try decode(PartURLsResponse.self, parts.body)
        #expect(signed.urls.count == 1, "a part asked for twice is signed once")
        #expect(try await Presigned.send("PUT", try #require(signed.urls["1"]), headers: signed.headers["1"] ?? [:], body: content).status == 200)
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
            #expect(try await Self.send(secret, as: "copy.txt", client, base: base).completed == .noContent, "the owner's content, sent again")
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
            #expect(try await begin("negative.bin", size: -1).status == .badRequest)
            #expect(try await begin("invoice\u{202E}fdp.exe").status == .badRequest, "a right-to-left override is refused")
            // Complete with nothing sent: the same answer whether or not the owner stores the
            // content (the owner's file of one byte, "x"), and no file.
            func completeUnsent(_ bytes: [UInt8], as name: String) async throws -> (HTTPResponse.Status, APIErrorBody) {
                let body = BeginUploadRequest(path: name, size: Int64(bytes.count), sha256: identityHex(bytes), blockSha256: blockSha256(bytes))
                let begun = try decode(BeginUploadResponse.self, try await Self.call(client, .post, base + "/api/uploads", body: body).body)
                let answer = try await Self.call(client, .post, base + "/api/uploads/\(begun.uploadId!)/complete", body: CompleteUploadRequest())
                return (answer.status, try decode(APIErrorBody.self, answer.body))
            }
            let stored = try await completeUnsent(Array("x".utf8), as: "probe-owned.txt")
            let unknown = try await completeUnsent(Array("y".utf8), as: "probe-unknown.txt")
            #expect(stored.0 == unknown.0 && stored.1 == unknown.1 && stored.0 != .noContent, "\(stored) vs \(unknown)")
            #expect(!stored.1.message.contains("inbox") && !stored.1.message.contains("probe"), "a refusal names no path: \(stored.1)")
            #expect(try await env.store.files(userId: owner.id).allSatisfy { !$0.path.contains("probe") })
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
            // A link's token takes no upload, a request's token opens no link route.
            let link = try await Self.create(client, token: token, CreateShareRequest(path: "inbox"))
            let linkToken = link.url.split(separator: "/").last!
            #expect(try await Self.call(client, .post, "/r/\(linkToken)/api/uploads", body: ["path": "x"]).status == .notFound)
            for route in ["", "/zip", "/download?path=existing.txt", "/preview?path=existing.txt", "/file?path=existing.txt"] {
                #expect(try await client.execute(uri: "/s/" + base.dropFirst(3) + route, method: .get) { $0.status } == .notFound, "\(route)")
            }

            // Files on their way are bounded, and a revoked request's end with it.
            var pending = try await env.store.uploads(shareId: request.id, userId: owner.id).count
            while pending < SharesAPI.uploadsInProgress {
                #expect(try await begin("pending-\(pending).txt").status == .created)
                pending += 1
            }
            #expect(try await begin("one-too-many.txt").status == .tooManyRequests)
            #expect(try await client.api(.delete, "/api/v1/shares/\(request.id)", token: token).status == .noContent)
            #expect(try await env.store.uploads(shareId: request.id, userId: owner.id).isEmpty, "the room they held is the owner's again")
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
            // Without a cap: a size past what S3 holds is refused, not signed.
            let open = try await Self.create(client, token: token, CreateShareRequest(path: "inbox", request: FileRequestSettings(title: "Any size")))
            let body = BeginUploadRequest(path: "huge.bin", size: Int64.max, sha256: identityHex(content), blockSha256: blockSha256(content))
            let openBase = "/r/" + open.url.split(separator: "/").last!
            #expect(try await Self.call(client, .post, openBase + "/api/uploads", body: body).status == .badRequest)
            // The folder moved while a file was on its way: it does not land in whatever took
            // the folder's old name.
            let moving = Array("moving".utf8)
            let moved = try decode(
                BeginUploadResponse.self,
                try await Self.call(
                    client,
                    .post,
                    openBase + "/api/uploads",
                    body: BeginUploadRequest(path: "m.txt", size: 6, sha256: identityHex(moving), blockSha256: blockSha256(moving))
                ).body
            )
            let folder = try #require(try await env.store.file(userId: owner.id, path: "inbox"))
            #expect(
                try await client.api(.post, "/api/v1/move", token: token, body: MoveRequest(from: "inbox", to: "moved", revision: folder.revision))
                    .status == .ok
            )
            #expect(try await client.api(.post, "/api/v1/folders", token: token, body: ["path": "inbox"]).status == .created)
            let signed = try decode(
                PartURLsResponse.self,
                try await Self.call(
                    client,
                    .post,
                    openBase + "/api/uploads/\(moved.uploadId!)/parts",
                    body: PartURLsRequest(partNumbers: [1], sha256: ["1": blockSha256(moving)])
                ).body
            )
            _ = try await Presigned.send("PUT", signed.urls["1"]!, headers: signed.headers["1"] ?? [:], body: moving)
            let late = try await Self.call(client, .post, openBase + "/api/uploads/\(moved.uploadId!)/complete", body: CompleteUploadRequest())
            #expect(late.status == .conflict && !String(decoding: late.body, as: UTF8.self).contains("inbox"))
            #expect(try await env.store.file(userId: owner.id, path: "inbox/m.txt") == nil)
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
