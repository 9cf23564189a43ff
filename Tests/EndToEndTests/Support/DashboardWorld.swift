import AsyncHTTPClient
import Foundation
import SyncAPI
import SyncDaemon
import Testing

extension DashboardBrowserTests {
    /// A valid 1 × 1 PNG, to see an image preview load.
    static let onePixelPNG = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")!
}

extension Data {
    /// As UTF-8 text without its final newlines (what an element's text shows).
    var trimmingSuffixNewlines: String {
        var text = String(decoding: self, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// The world of a browser test: the end-to-end world (server, SeaweedFS, OIDC provider),
/// chromedriver with one signed-in-to-be browser, a device token for the same user to check
/// what the server holds, and the folders for downloads and screenshots.
struct DashboardWorld: Sendable {
    let world: EndToEnd
    let driver: WebDriver
    let token: String
    let userId: String
    let downloads: String
    let screenshots: String

    static func with(
        _ name: String,
        serverSettings: [String: String] = [:],
        _ body: @escaping @Sendable (DashboardWorld, BrowserSession) async throws -> Void
    ) async throws {
        guard ProcessInfo.processInfo.environment["SYNCD_TEST_OIDC_ISSUER"] != nil else {
            throw HarnessError("SYNCD_TEST_OIDC_ISSUER is not set: run the tests with scripts/test, which starts the OIDC provider")
        }
        try await EndToEnd.with(name, serverSettings: serverSettings) { world in
            // The token first: issuing it names the user by e-mail, signing in then by the provider's name.
            let token = try await world.issueToken()
            let session: SessionInfo = try await world.api(token).get("/session")
            let driver = try await WebDriver(logDirectory: world.dir)
            let build = URL(fileURLWithPath: world.binaries).pathComponents.prefix { $0 != ".build" }.joined(separator: "/").dropFirst()
            let screenshots = "/" + build + "/.build/screenshots"
            var browser: BrowserSession?
            do {
                let downloads = world.dir + "/downloads"
                try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
                let opened = try await driver.session(downloads: downloads)
                browser = opened
                let dashboard = DashboardWorld(
                    world: world,
                    driver: driver,
                    token: token,
                    userId: session.userId,
                    downloads: downloads,
                    screenshots: screenshots
                )
                try await body(dashboard, opened)
            } catch {
                try? await browser?.screenshot(to: screenshots + "/failed-\(name).png")
                print(
                    "---- chromedriver log (last 30 lines)\n"
                        + ((try? String(contentsOfFile: world.dir + "/chromedriver.log", encoding: .utf8)) ?? "")
                        .split(separator: "\n").suffix(30).joined(separator: "\n")
                )
                await driver.stop()
                throw error
            }
            await driver.stop()
        }
    }

    /// Signs in through the provider's own login form, as a person would.
    func signIn(_ browser: BrowserSession) async throws {
        try await browser.open(world.serverURL + "/")
        try await (try await browser.waitFor("#sign-in")).click()
        try await (try await browser.waitFor("input[name=username]")).type("alice")
        // U+E007 is WebDriver's Enter key: the form is submitted as by a person.
        try await (try await browser.find("input[name=password]")).type("alice-pw\u{E007}")
        _ = try await browser.waitFor("#user-name")
        // What the provider's own login page logged (its CDN and favicon) is not ours to judge:
        // drop it, then load the dashboard afresh so that everything logged from here is ours.
        _ = try await browser.consoleEntries()
        try await browser.open(world.serverURL + "/")
        let who: SessionInfo = try await world.api(token).get("/session")
        // The page loads afresh: until its script has run there is no #user-name yet.
        try await waitUntil("the dashboard names the user") { (try? await browser.find("#user-name").text()) == who.name }
    }

    /// Opens the folder that holds `path` in the dashboard.
    func showFolder(of path: String, in browser: BrowserSession) async throws {
        let folder = path.split(separator: "/").dropLast().joined(separator: "/")
        try await browser.open(world.serverURL + "/#/files/" + (folder.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        _ = try await browser.waitFor("table.files")
    }

    /// The paths of the listing's rows, top to bottom.
    func listedPaths(_ browser: BrowserSession) async throws -> [String] {
        try await browser.execute("return Array.from(document.querySelectorAll('tr.item')).map((row) => row.dataset.path);") as? [String] ?? []
    }

    /// Writes files to pick in the browser's file dialog; returns their paths.
    func localFiles(_ files: [String: Data]) throws -> [String] {
        let folder = world.dir + "/to-upload-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try files.keys.sorted().map { name in
            let path = folder + "/" + name
            try files[name]!.write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    /// Waits until the uploads panel says `path` is done (and fails at once if it failed).
    func waitForUpload(_ browser: BrowserSession, _ path: String) async throws {
        try await waitUntil("\(path) is uploaded", timeout: .seconds(120)) {
            // The newest upload of that path (a file can be uploaded again, as a new version).
            for row in try await browser.findAll("li.upload").reversed() where try await row.attribute("data-path") == path {
                let state = try await row.attribute("data-state")
                if state == "failed" { throw HarnessError("the upload of \(path) failed: \(try await row.text())") }
                return state == "done"
            }
            return false
        }
    }
}
