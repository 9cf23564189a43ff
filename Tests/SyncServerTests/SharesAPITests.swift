import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SyncAPI
import Testing

@testable import SyncServer

/// Share links on both databases: the owner's API, the public page and download, expiry (410),
/// revocation and trash (404), and a hostile file name that stays text.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SharesAPITests {
    static let hostileName = "<img src=x onerror=alert(1)>.png"

    @Test(arguments: StoreBackend.allCases)
    func shareLifecycle(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            let (_, otherToken) = try await env.newUser()
            let content = Array("picture bytes".utf8)
            let file = try await env.put(content, at: Self.hostileName, token: token, client: client)

            let created = try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path))
            #expect(created.status == .created)
            let share = try decode(ShareInfo.self, created.body)
            #expect(share.url.hasPrefix("https://files.example.com/s/"))
            let linkToken = String(share.url.split(separator: "/").last!)
            #expect(linkToken.count >= 22, "at least 128 random bits")
            let week = Date().addingTimeInterval(7 * 86_400).timeIntervalSince1970
            #expect(abs((share.expiresAt ?? 0) - week) < 60, "7 days by default")

            let page = try await client.execute(uri: "/s/\(linkToken)", method: .get) {
                ($0.status, String(buffer: $0.body), $0.headers[.contentSecurityPolicy])
            }
            #expect(page.0 == .ok)
            #expect(page.1.contains("&lt;img src=x onerror=alert(1)&gt;.png"))
            #expect(!page.1.contains("<img src=x"), "the name is text, never markup")
            #expect(!page.1.contains("<script"))
            #expect(page.2?.contains("default-src 'none'") == true)

            let redirect = try await client.execute(uri: "/s/\(linkToken)/download", method: .get) { ($0.status, $0.headers[.location]) }
            #expect(redirect.0 == .found)
            let location = try #require(redirect.1)
            let expires = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "X-Amz-Expires" }?.value.flatMap(Int.init))
            #expect(expires <= 900, "the presigned link lives minutes, never days")
            #expect(try await Presigned.send("GET", location).body == content)

            let listed = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body)
            #expect(listed.map(\.id) == [share.id] && listed[0].views == 1 && listed[0].downloads == 1, "the page is a view, the download a download")
            #expect(try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: otherToken).body).isEmpty)
            #expect(try await client.api(.delete, "/api/v1/shares/\(share.id)", token: otherToken).status == .notFound)
            #expect(try await client.api(.delete, "/api/v1/shares/\(share.id)", token: token).status == .noContent)
            #expect(try await client.execute(uri: "/s/\(linkToken)", method: .get) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/s/\(linkToken)/download", method: .get) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/s/not-a-real-token", method: .get) { $0.status } == .notFound)

            // Expired: 410. Trashed: 404.
            let brief = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 1)).body
            )
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await client.execute(uri: "/s/\(brief.url.split(separator: "/").last!)", method: .get) { $0.status } == .gone)
            // Revoked and expired links stay listed, with their counts, until removed.
            var ids = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body).map(\.id)
            #expect(Set(ids) == [share.id, brief.id])
            #expect(try await client.api(.delete, "/api/v1/shares/\(brief.id)?remove=maybe", token: token).status == .badRequest)
            #expect(try await client.api(.delete, "/api/v1/shares/\(brief.id)?remove=true", token: otherToken).status == .notFound)
            #expect(try await client.api(.delete, "/api/v1/shares/\(brief.id)?remove=true", token: token).status == .noContent)
            #expect(try await client.api(.delete, "/api/v1/shares/\(share.id)?remove=true", token: token).status == .noContent)
            ids = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body).map(\.id)
            #expect(ids.isEmpty)
            #expect(try await client.api(.get, "/api/v1/shares/\(share.id)/events", token: token).status == .notFound)
            let lasting = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 0)).body
            )
            #expect(lasting.expiresAt == nil)
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: file.path, revision: file.revision)).status
                    == .noContent
            )
            #expect(try await client.execute(uri: "/s/\(lasting.url.split(separator: "/").last!)", method: .get) { $0.status } == .notFound)
            #expect(try await client.api(.post, "/api/v1/shares", token: otherToken, body: CreateShareRequest(path: "anything")).status == .notFound)
        }
    }

    @Test func theServerBoundsShareLifetimes() async throws {
        try await APIEnvironment.with(.sqlite, maxShareLifetime: 30 * 86_400) { env, client in
            let (_, token) = try await env.newUser()
            let file = try await env.put(Array("x".utf8), at: "x.txt", token: token, client: client)
            #expect(
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 0)).status
                    == .badRequest
            )
            #expect(
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 31 * 86_400))
                    .status == .badRequest
            )
            #expect(
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, expiresInSeconds: 30 * 86_400))
                    .status == .created
            )
        }
    }
}

@Suite struct RateLimitTests {
    @Test func tokenBucketsRefillOverTime() {
        var buckets = TokenBuckets(capacity: 3, perSecond: 1)
        var answers: [Bool] = []
        for _ in 0..<3 { answers.append(buckets.take("a", at: 0)) }
        answers.append(buckets.take("a", at: 0.5))  // burst spent
        answers.append(buckets.take("b", at: 0.5))  // another client has its own bucket
        answers.append(buckets.take("a", at: 1.6))  // one token back after a second
        answers.append(buckets.take("a", at: 1.7))
        #expect(answers == [true, true, true, false, true, true, false])
    }

    @Test func shareVisitsAreRateLimited() async throws {
        // A refill of one a minute: a slow machine cannot refill the bucket mid-test.
        try await APIEnvironment.with(.sqlite, shareVisitBurst: 3, shareVisitsPerMinute: 1) { _, client in
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/s/guessing-a-token", method: .get) { $0.status } == .notFound)
            }
            let limited = try await client.execute(uri: "/s/guessing-another", method: .get) { ($0.status, $0.headers[.retryAfter]) }
            #expect(limited.0 == .tooManyRequests && limited.1 != nil)
        }
    }
}

@Suite struct ForwardedForTests {
    @Test func onlyATrustedProxyNamesTheClient() {
        let trusted: Set = ["127.0.0.1"]
        #expect(ForwardedForMiddleware.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"], trusted: trusted) == "203.0.113.9")
        // The client may send its own header; nginx appends the address it saw: the last one counts.
        #expect(ForwardedForMiddleware.client(peer: "127.0.0.1", forwardedFor: ["1.2.3.4, 203.0.113.9"], trusted: trusted) == "203.0.113.9")
        #expect(
            ForwardedForMiddleware.client(peer: "198.51.100.7", forwardedFor: ["1.2.3.4"], trusted: trusted) == "198.51.100.7",
            "an untrusted peer is the client"
        )
        #expect(ForwardedForMiddleware.client(peer: "127.0.0.1", forwardedFor: [], trusted: trusted) == "127.0.0.1")
    }
}

@Suite struct RequestLogTests {
    @Test func shareTokensNeverReachTheLogs() {
        #expect(RequestLogMiddleware.redact("/s/AbCdEf0123456789xyz") == "/s/…")
        #expect(RequestLogMiddleware.redact("/s/AbCdEf0123456789xyz/download") == "/s/…/download")
        #expect(RequestLogMiddleware.redact("/api/v1/files") == "/api/v1/files")
        #expect(RequestLogMiddleware.redact("/shares") == "/shares")
    }
}
