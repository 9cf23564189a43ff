import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SyncAPI
import Testing

@testable import SyncServer

/// Password-protected links on both databases: nothing of the file before the password, a wrong
/// password tells nothing either, the right one opens the link (page, download) for its path only,
/// attempts are limited per link and per address, and the owner sees each visit with its time.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SharePasswordTests {
    static let password = "correct horse battery staple"
    static let content = Array("the plans, in full\n".utf8)

    typealias Page = (status: HTTPResponse.Status, body: String, headers: HTTPFields)

    static func get(_ client: any TestClientProtocol, _ uri: String, cookie: String? = nil) async throws -> Page {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, password: String) async throws -> Page {
        let form = "password=" + (password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return try await client.execute(
            uri: uri,
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: form)
        ) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    /// The page shows nothing of the file: not its name, size, type, nor a download.
    static func expectNothingOfTheFile(_ page: Page, _ step: String) {
        for secret in ["secret-plans", ByteCount.human(Int64(content.count)), "/download", "shared-name", "icons/text"] {
            #expect(!page.body.contains(secret), "\(step): the page shows \(secret)")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aProtectedLinkShowsNothingBeforeItsPassword(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, shareVisitBurst: 500) { env, client in
            let (_, token) = try await env.newUser()
            let (_, stranger) = try await env.newUser()
            let file = try await env.put(Self.content, at: "secret-plans.txt", token: token, client: client)
            let created = try await client.api(
                .post,
                "/api/v1/shares",
                token: token,
                body: CreateShareRequest(path: file.path, password: Self.password)
            )
            #expect(created.status == .created)
            let share = try decode(ShareInfo.self, created.body)
            #expect(share.hasPassword)
            let link = "/s/" + share.url.split(separator: "/").last!

            let form = try await Self.get(client, link)
            #expect(form.status == .ok && form.body.contains("This link is protected"))
            #expect(form.headers[.contentSecurityPolicy]?.contains("form-action 'self'") == true)
            Self.expectNothingOfTheFile(form, "the form")
            let download = try await Self.get(client, link + "/download")
            #expect(download.status == .seeOther && download.headers[.location] == link, "no download before the password")
            #expect(try await Self.get(client, link + "/preview").status == .seeOther)

            let wrong = try await Self.post(client, link, password: "correct horse")
            #expect(wrong.status == .unauthorized && wrong.body.contains("Wrong password."))
            #expect(wrong.headers[.setCookie] == nil)
            Self.expectNothingOfTheFile(wrong, "a wrong password")

            let right = try await Self.post(client, link, password: Self.password)
            #expect(right.status == .seeOther && right.headers[.location] == link)
            let setCookie = try #require(right.headers[.setCookie])
            #expect(setCookie.contains("Path=\(link)") && setCookie.contains("HttpOnly"), "the cookie opens this link only")
            let cookie = String(setCookie.split(separator: ";")[0])
            let page = try await Self.get(client, link, cookie: cookie)
            #expect(page.status == .ok && page.body.contains("secret-plans.txt"))
            let redirect = try await Self.get(client, link + "/download", cookie: cookie)
            #expect(redirect.status == .found)
            #expect(try await Presigned.send("GET", try #require(redirect.headers[.location])).body == Self.content)

            // A cookie made up, or taken from one link to another, opens nothing.
            let value = cookie.split(separator: "=", maxSplits: 1)[1]
            let expiry = value.split(separator: ".")[0]
            for forged in ["syncd_link=\(Int(expiry)! + 60).\(value.split(separator: ".")[1])", "syncd_link=\(expiry).AAAA", "syncd_link=garbage"] {
                Self.expectNothingOfTheFile(try await Self.get(client, link, cookie: forged), "the cookie \(forged)")
            }
            let other = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, password: Self.password)).body
            )
            Self.expectNothingOfTheFile(try await Self.get(client, "/s/" + other.url.split(separator: "/").last!, cookie: cookie), "another link")

            // The owner sees each visit, newest first; nobody else does.
            let listed = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body)
            let counted = try #require(listed.first { $0.id == share.id })
            #expect(counted.views == 1 && counted.downloads == 1 && counted.hasPassword)
            let events = try decode([ShareEvent].self, try await client.api(.get, "/api/v1/shares/\(share.id)/events", token: token).body)
            #expect(events.map(\.kind) == [.download, .view, .wrongPassword])
            #expect(events.allSatisfy { abs($0.at - Date().timeIntervalSince1970) < 120 })
            #expect(try await client.api(.get, "/api/v1/shares/\(share.id)/events", token: stranger).status == .notFound)
            #expect(try await client.api(.get, "/api/v1/shares/\(share.id)/events?limit=0", token: token).status == .badRequest)

            // Revoked: the cookie opens nothing any more.
            #expect(try await client.api(.delete, "/api/v1/shares/\(share.id)", token: token).status == .noContent)
            #expect(try await Self.get(client, link, cookie: cookie).status == .notFound)
            #expect(try await Self.post(client, link, password: Self.password).status == .notFound)
            #expect(try await client.api(.get, "/api/v1/shares/\(share.id)/events", token: token).status == .notFound, "a revoked link is gone")
        }
    }

    @Test func passwordsAreCheckedWhenALinkIsMade() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            let file = try await env.put(Self.content, at: "a.txt", token: token, client: client)
            for bad in ["", "short", String(repeating: "p", count: CreateShareRequest.maxPasswordLength + 1), "bell\u{7}ringing", "line\nbreak"] {
                let answer = try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, password: bad))
                #expect(answer.status == .badRequest && String(decoding: answer.body, as: UTF8.self).contains("invalid_password"))
            }
            let longest = String(repeating: "é", count: CreateShareRequest.maxPasswordLength)
            #expect(
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, password: longest)).status
                    == .created
            )
            #expect(try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body).count == 1)
        }
    }

    /// Guessing is slow: five tries a link, then 429 (even for the right password) until the
    /// bucket refills; twenty tries an address across links. A password typed in another
    /// Unicode form (NFD, as macOS types it) is the same password.
    @Test func passwordAttemptsAreLimitedPerLinkAndPerAddress() async throws {
        try await APIEnvironment.with(.sqlite, shareVisitBurst: 500) { env, client in
            let (_, token) = try await env.newUser()
            let file = try await env.put(Self.content, at: "secret-plans.txt", token: token, client: client)
            var links: [String] = []
            for _ in 0..<5 {
                let share = try decode(
                    ShareInfo.self,
                    try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: file.path, password: Self.password))
                        .body
                )
                links.append("/s/" + share.url.split(separator: "/").last!)
            }
            for attempt in 1...5 {
                #expect(try await Self.post(client, links[0], password: "guess \(attempt)").status == .unauthorized)
            }
            let limited = try await Self.post(client, links[0], password: Self.password)
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
            #expect(limited.headers[.setCookie] == nil, "not even the right password gets through")
            Self.expectNothingOfTheFile(limited, "the limit")
            // The same address on other links: 14 more tries (the refused one counted for the
            // address), then none on any link.
            for (link, tries) in zip(links[1...3], [5, 5, 4]) {
                for attempt in 1...tries { #expect(try await Self.post(client, link, password: "guess \(attempt)").status == .unauthorized) }
            }
            #expect(try await Self.post(client, links[4], password: Self.password).status == .tooManyRequests)
        }
    }

    @Test func aStoredHashIsReadWithItsOwnCostWithinBounds() async throws {
        let stored = try await LinkPassword.hash("pw")
        #expect(stored.hasPrefix("scrypt$15$8$1$"))
        #expect(try await LinkPassword.verify("pw", against: stored))
        #expect(try await !LinkPassword.verify("pW", against: stored))
        let composed = try await LinkPassword.hash("caf\u{E9} cr\u{E8}me")
        #expect(try await LinkPassword.verify("cafe\u{301} cre\u{300}me", against: composed))
        let parts = stored.split(separator: "$").map(String.init)
        // A tampered row cannot make the server work for minutes, nor match anything.
        for tampered in [
            (["scrypt", "40"] + parts[2...]).joined(separator: "$"), (["scrypt", "15", "64"] + parts[3...]).joined(separator: "$"),
            "scrypt$15$8$1$$", "argon2id$whatever", "",
        ] {
            #expect(try await !LinkPassword.verify("pw", against: tampered), "\(tampered)")
        }
    }
}
