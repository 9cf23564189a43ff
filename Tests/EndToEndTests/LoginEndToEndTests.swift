import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncAPI
import SyncDaemon
import Testing

/// `syncd login` against the real server: the device flow approved by a person who signs in
/// through the OIDC provider in a browser, and the token saved for the owner's eyes only.
@Suite(.serialized, .timeLimit(.minutes(5))) struct LoginEndToEndTests {
    @Test func loginWithADeviceCodeApprovedInTheBrowser() async throws {
        guard ProcessInfo.processInfo.environment["SYNCD_TEST_OIDC_ISSUER"] != nil else {
            throw HarnessError("SYNCD_TEST_OIDC_ISSUER is not set: run the tests with scripts/test, which starts the OIDC provider")
        }
        try await EndToEnd.with("login") { world in
            let configDir = world.dir + "/laptop-config"
            let login = try ChildProcess(
                world.binaries + "/syncd",
                ["login", "--server", world.serverURL, "--config-dir", configDir, "--name", "e2e laptop"],
                environment: ["HOME": world.dir, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"],
                log: world.dir + "/login.log",
                name: "syncd login"
            )
            var link = ""
            try await waitUntil("syncd login shows a link", timeout: .seconds(20)) {
                link =
                    login.log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first {
                        $0.hasPrefix("http") && $0.contains("/device?code=")
                    } ?? ""
                return !link.isEmpty
            }
            let code = try #require(link.split(separator: "=").last.map(String.init))
            #expect(login.log.contains(code), "the code is printed for the person to compare")

            // The person opens the link: sign-in at the provider first, then the approval page.
            var browser = CookieBrowser()
            let loginPage = try await browser.open(link)
            #expect(loginPage.url.contains("/authorize"), "sent to the identity provider: \(loginPage.url)")
            let transaction = try #require(CookieBrowser.hidden("transaction_id", in: loginPage))
            let form = try await browser.submit(loginPage.url, [("transaction_id", transaction), ("username", "alice"), ("password", "alice-pw")])
            #expect(
                form.status == 200 && form.body.contains(code) && !form.body.contains("e2e laptop"),
                "the link's page names no device: \(form.body.prefix(400))"
            )
            let csrf = try #require(CookieBrowser.hidden("csrf", in: form))
            let approval = try await browser.submit(world.serverURL + "/device", [("csrf", csrf), ("code", code)])
            #expect(approval.status == 200 && approval.body.contains("e2e laptop") && approval.body.contains(code), "\(approval.body.prefix(400))")
            let done = try await browser.submit(world.serverURL + "/device", [("csrf", csrf), ("code", code), ("decision", "approve")])
            #expect(done.body.contains("Device approved"))

            #expect(await login.waitForExit(timeout: .seconds(20)) == 0, "syncd login finishes once approved: \(login.log)")
            #expect(
                login.log.contains("Connected to \(world.serverURL) as alice@example.org."),
                "syncd login says which account on which server: \(login.log)"
            )
            let file = configDir + "/credentials.toml"
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "the token file is the owner's only (mode \(String(mode, radix: 8)))")
            let saved = try #require(try Credentials.load(from: file))
            #expect(saved.server == world.serverURL && saved.deviceId != nil)
            let who: SessionInfo = try await world.api(saved.token).get("/session")
            #expect(who.email == "alice@example.org")
            let devices: [DeviceInfo] = try await world.api(saved.token).get("/devices")
            #expect(devices.contains { $0.name == "e2e laptop" && $0.current })

            // Metrics are on their own listener, not on the public port.
            let publicMetrics = try await HTTPClient.shared.execute(HTTPClientRequest(url: world.serverURL + "/metrics"), timeout: .seconds(5))
            #expect(publicMetrics.status == .notFound)
            let metrics = try await HTTPClient.shared.execute(HTTPClientRequest(url: world.metricsURL + "/metrics"), timeout: .seconds(5))
            let figures = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
            #expect(metrics.status == .ok && figures.contains("syncd_server_device_authorizations_total"))
        }
    }
}
