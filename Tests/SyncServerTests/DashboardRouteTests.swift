import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// The dashboard's server side: its pages, its assets and their policy; previews; the quota;
/// the public share page's preview. (The browser itself is driven in the end-to-end tests.)
@Suite(.timeLimit(.minutes(2))) struct DashboardRouteTests {
    @Test func thePagesRunOnlyTheServersOwnScripts() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            var browser = ServerBrowser()
            let signedOut = try await browser.send(.get, "/", client: client)
            #expect(signedOut.status == .ok && signedOut.body.contains("href=\"/auth/login\"") && signedOut.body.contains("Sign in with Google"))
            #expect(!signedOut.body.contains("<script"), "the sign-in page runs nothing")
            _ = try await browser.signIn("alice", "alice-pw", client: client)
            let page = try await browser.send(.get, "/", client: client)
            #expect(page.status == .ok && page.body.contains("<script type=\"module\" src=\"/static/app.js\"></script>"))
            // Every <script> has a src on this server: none is inline.
            let scripts = page.body.components(separatedBy: "<script").dropFirst()
            #expect(scripts.allSatisfy { $0.hasPrefix(" type=\"module\" src=\"/static/") }, "\(page.body)")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self';") && !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(policy)")
            #expect(policy.contains("connect-src 'self' \(env.blobs.origin)"), "uploads reach the bucket: \(policy)")
            #expect(policy.contains("frame-ancestors 'none'") && policy.contains("base-uri 'none'"))
            #expect(page.headers[.cacheControl] == "no-store")
            // Sign-out is a form with the session's CSRF token.
            let csrf = try await browser.csrfToken(client: client)
            #expect(page.body.contains("name=\"csrf\" value=\"\(csrf)\""))
        }
    }

    @Test func everyAssetTheScriptsNameIsServed() async throws {
        try await APIEnvironment.with(.sqlite) { _, client in
            var browser = ServerBrowser()
            var pending = ["app.js"]
            var seen: Set<String> = []
            while let name = pending.popLast() {
                guard seen.insert(name).inserted else { continue }
                let answer = try await browser.send(.get, "/static/" + name, client: client)
                #expect(answer.status == .ok, "/static/\(name)")
                #expect(answer.headers[.contentType] == "text/javascript; charset=utf-8")
                // Modules import modules by relative path: each must be served too.
                let imports = answer.body.split(separator: "\n").filter { $0.hasPrefix("import ") }
                pending += imports.compactMap { $0.split(separator: "'").dropFirst().first.map { String($0.dropFirst(2)) } }
            }
            #expect(seen.isSuperset(of: ["app.js", "api.js", "dom.js", "hash.js", "upload.js", "sharing.js"]), "\(seen)")
            for category in FileCategory.allCases {
                let icon = try await browser.send(.get, "/static/icons/\(category.rawValue).svg", client: client)
                #expect(icon.status == .ok && icon.headers[.contentType] == "image/svg+xml" && icon.body.contains("<svg"), "\(category)")
                #expect(!icon.body.contains("<script"))
            }
            let css = try await browser.send(.get, "/static/app.css", client: client)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            let etag = try #require(css.headers[.eTag])
            #expect(try await browser.send(.get, "/static/app.css", client: client, headers: [.ifNoneMatch: etag]).status == .notModified)
            #expect(try await browser.send(.get, "/static/../Package.swift", client: client).status == .notFound)
            #expect(try await browser.send(.get, "/static/nope.js", client: client).status == .notFound)
        }
    }

    @Test func previewsAreInlineOnlyForTypesThatCannotRunScript() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47] + Array(repeating: 1, count: 60)
            _ = try await env.put(png, at: "photo.PNG", token: token, client: client)
            _ = try await env.put(Array("<svg onload=alert(1)>".utf8), at: "logo.svg", token: token, client: client)
            _ = try await env.put(Array("<script>alert(1)</script>".utf8), at: "page.html", token: token, client: client)
            _ = try await env.put(Array("hello <b>".utf8), at: "notes.md", token: token, client: client)

            let listing = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body)
            let categories = Dictionary(uniqueKeysWithValues: listing.files.map { ($0.path, $0.category) })
            #expect(categories == ["photo.PNG": .image, "logo.svg": .image, "page.html": .document, "notes.md": .text])

            let image = try decode(PreviewResponse.self, try await client.api(.get, "/api/v1/preview?path=photo.PNG", token: token).body)
            #expect(image.category == .image && image.contentType == "image/png")
            let fetched = try await Presigned.send("GET", image.url)
            #expect(fetched.status == 200 && fetched.body == png)
            #expect(fetched.headers["content-type"] == "image/png" && fetched.headers["content-disposition"]?.hasPrefix("inline") == true)

            let text = try decode(PreviewResponse.self, try await client.api(.get, "/api/v1/preview?path=notes.md", token: token).body)
            #expect(try await Presigned.send("GET", text.url).headers["content-type"] == "text/plain; charset=utf-8", "text is never a page")
            for path in ["logo.svg", "page.html"] {
                #expect(
                    try await client.api(.get, "/api/v1/preview?path=\(path)", token: token).status == .unsupportedMediaType,
                    "\(path) only downloads"
                )
            }
            #expect(try await client.api(.get, "/api/v1/preview?path=missing.png", token: token).status == .notFound)
        }
    }

    @Test func uploadsPastTheQuotaAreRefusedAndReplacingFreesTheOldSize() async throws {
        try await APIEnvironment.with(.sqlite, userQuota: 1 << 20) { env, client in
            let (_, token) = try await env.newUser()
            let first = try await env.put(Array(repeating: 7, count: 700_000), at: "a.bin", token: token, client: client)
            let over = try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: "b.bin", size: 400_000, sha256: String(repeating: "b", count: 64))
            )
            #expect(over.status.code == 507)
            #expect(String(decoding: over.body, as: UTF8.self).contains("b.bin needs 400.0 KB, and 348.6 KB of your 1.0 MB is free"))
            // A new version of a.bin replaces its 700 KB: it fits.
            let replaced = try await env.put(
                Array(repeating: 8, count: 900_000),
                at: "a.bin",
                token: token,
                client: client,
                baseRevision: first.revision
            )
            #expect(replaced.size == 900_000)
            let session = try decode(SessionInfo.self, try await client.api(.get, "/api/v1/session", token: token).body)
            #expect(session.usedBytes == 900_000 && session.quotaBytes == 1 << 20)
        }
    }

    @Test func theSharePageShowsAPreviewAndNamesAsText() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (_, token) = try await env.newUser()
            let hostile = "<img src=x onerror=alert(1)>.txt"
            _ = try await env.put(Array("line one\n<script>alert(2)</script>\n".utf8), at: hostile, token: token, client: client)
            _ = try await env.put([1, 2, 3, 4], at: "clip.mp4", token: token, client: client)
            _ = try await env.put(Array("<svg/>".utf8), at: "art.svg", token: token, client: client)
            func share(_ path: String) async throws -> String {
                let info = try decode(
                    ShareInfo.self,
                    try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: path)).body
                )
                return String(info.url.split(separator: "/").last!)
            }
            var visitor = ServerBrowser()
            let textToken = try await share(hostile)
            let page = try await visitor.send(.get, "/s/\(textToken)", client: client)
            #expect(page.status == .ok)
            #expect(page.body.contains("&lt;img src=x onerror=alert(1)&gt;.txt") && !page.body.contains(hostile), "the name is text")
            #expect(page.body.contains("<pre class=\"preview text\">line one\n&lt;script&gt;alert(2)&lt;/script&gt;\n</pre>"), "\(page.body)")
            #expect(page.body.contains("src=\"/static/icons/text.svg\"") && !page.body.contains("<script"))
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(!policy.contains("script-src") && policy.contains("default-src 'none'"), "no script may run: \(policy)")

            let videoToken = try await share("clip.mp4")
            let video = try await visitor.send(.get, "/s/\(videoToken)", client: client)
            #expect(video.body.contains("<video class=\"preview\" controls preload=\"metadata\" src=\"/s/\(videoToken)/preview\"></video>"))
            let media = try await visitor.send(.get, "/s/\(videoToken)/preview", client: client)
            #expect(media.status == .found && media.location?.contains("response-content-type=video%2Fmp4") == true, "\(media.location ?? "")")
            let views = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body).first { $0.path == "clip.mp4" }?
                .views
            #expect(views == 1, "the page counts a view; its preview does not")

            let svgToken = try await share("art.svg")
            let svg = try await visitor.send(.get, "/s/\(svgToken)", client: client)
            #expect(!svg.body.contains("class=\"preview") && svg.body.contains("/s/\(svgToken)/download"), "an SVG is offered as a download only")
            #expect(try await visitor.send(.get, "/s/\(svgToken)/preview", client: client).status == .notFound)
        }
    }
}
