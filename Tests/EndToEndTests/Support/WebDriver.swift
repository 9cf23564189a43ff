import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// chromedriver (Debian's chromium-driver) as a child process, driving headless Chromium
/// through W3C WebDriver JSON over loopback. Every session is deleted at the end, or Chromium
/// would be orphaned.
final class WebDriver: @unchecked Sendable {
    let url: String
    private let process: ChildProcess
    private var sessions: [BrowserSession] = []

    init(logDirectory: String) async throws {
        let binary = "/usr/bin/chromedriver"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("\(binary) is missing: install chromium and chromium-driver (scripts/install-deps.sh)")
        }
        let port = try EndToEnd.freePort()
        url = "http://127.0.0.1:\(port)"
        process = try ChildProcess(
            binary,
            ["--port=\(port)", "--allowed-ips=127.0.0.1"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": logDirectory],
            log: logDirectory + "/chromedriver.log",
            name: "chromedriver"
        )
        try await waitUntil("chromedriver answers", timeout: .seconds(20)) {
            let status = try? await WebDriver.call(.GET, self.url + "/status", nil)
            return ((status?["value"] as? [String: Any])?["ready"] as? Bool) == true
        }
    }

    /// A new browser with a fresh profile (no cookies); downloads go to `downloads`.
    func session(downloads: String) async throws -> BrowserSession {
        let options: [String: Any] = [
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,860", "--lang=en-US"],
            "prefs": ["download.default_directory": downloads, "download.prompt_for_download": false, "safebrowsing.enabled": false],
        ]
        let capabilities: [String: Any] = [
            "browserName": "chrome", "goog:chromeOptions": options, "goog:loggingPrefs": ["browser": "ALL"],
            // An alert must stay open for the test to see it, not be dismissed quietly.
            "unhandledPromptBehavior": "ignore",
        ]
        let answer = try await Self.call(.POST, url + "/session", ["capabilities": ["alwaysMatch": capabilities]])
        guard let value = answer["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            throw HarnessError("chromedriver did not open a session: \(answer)")
        }
        let session = BrowserSession(base: url + "/session/" + id)
        sessions.append(session)
        return session
    }

    func stop() async {
        for session in sessions { _ = try? await Self.call(.DELETE, session.base, nil) }
        await process.stop()
    }

    /// One WebDriver command; throws the driver's error (with its message) for a non-2xx answer.
    static func call(_ method: HTTPMethod, _ url: String, _ body: [String: Any]?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let data = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status.code) else {
            let value = json["value"] as? [String: Any]
            throw WebDriverError(error: value?["error"] as? String ?? "HTTP \(response.status.code)", message: value?["message"] as? String ?? "")
        }
        return json
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    var error: String
    var message: String
    var description: String { "WebDriver \(error): \(message.prefix(300))" }
}

/// One element of the page, by its WebDriver reference.
struct Element: Sendable {
    let session: BrowserSession
    let id: String
    static let key = "element-6066-11e4-a52e-4f735466cecf"

    func click() async throws { _ = try await session.command(.POST, "/element/\(id)/click", [:]) }
    func type(_ text: String) async throws { _ = try await session.command(.POST, "/element/\(id)/value", ["text": text]) }
    func clear() async throws { _ = try await session.command(.POST, "/element/\(id)/clear", [:]) }
    func text() async throws -> String { try await session.command(.GET, "/element/\(id)/text")["value"] as? String ?? "" }
    func attribute(_ name: String) async throws -> String? { try await session.command(.GET, "/element/\(id)/attribute/\(name)")["value"] as? String }
    func property(_ name: String) async throws -> String? { try await session.command(.GET, "/element/\(id)/property/\(name)")["value"] as? String }
    func find(_ css: String) async throws -> Element { try await session.find(css, in: self) }
    func findAll(_ css: String) async throws -> [Element] { try await session.findAll(css, in: self) }
}

/// One browser (a WebDriver session).
struct BrowserSession: Sendable {
    let base: String

    func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        try await WebDriver.call(method, base + path, body)
    }

    func open(_ url: String) async throws { _ = try await command(.POST, "/url", ["url": url]) }
    func currentURL() async throws -> String { try await command(.GET, "/url")["value"] as? String ?? "" }

    func find(_ css: String, in parent: Element? = nil) async throws -> Element {
        let path = parent.map { "/element/\($0.id)/element" } ?? "/element"
        let value = try await command(.POST, path, ["using": "css selector", "value": css])["value"] as? [String: Any]
        guard let id = value?[Element.key] as? String else { throw HarnessError("no element \(css)") }
        return Element(session: self, id: id)
    }

    func findAll(_ css: String, in parent: Element? = nil) async throws -> [Element] {
        let path = parent.map { "/element/\($0.id)/elements" } ?? "/elements"
        let values = try await command(.POST, path, ["using": "css selector", "value": css])["value"] as? [[String: Any]] ?? []
        return values.compactMap { $0[Element.key] as? String }.map { Element(session: self, id: $0) }
    }

    /// Waits for an element to be there (the dashboard renders after its API calls).
    func waitFor(_ css: String, timeout: Duration = .seconds(20)) async throws -> Element {
        try await EndToEndTests.waitFor("the page shows \(css)", timeout: timeout) { try? await find(css) }
    }

    /// The row of the listing whose `data-path` is exactly `path`, found in one step inside
    /// the page (compared there, not in a CSS selector: hostile names would need escaping).
    func row(_ path: String) async throws -> Element? {
        let value = try await execute(
            "return Array.from(document.querySelectorAll('tr.item')).find((row) => row.dataset.path === arguments[0]) || null;",
            [path]
        )
        guard let reference = value as? [String: Any], let id = reference[Element.key] as? String else { return nil }
        return Element(session: self, id: id)
    }

    /// The text of `css` (inside the row of `path`, when given), or with `attribute` that
    /// attribute, read in one step inside the page: the listing re-renders as the change feed
    /// reports, so an element found in one command may be gone by the next. Nil when absent.
    func read(_ css: String, inRow path: String? = nil, attribute: String? = nil) async throws -> String? {
        try await execute(
            """
            const scope = arguments[0] === null ? document
              : Array.from(document.querySelectorAll('tr.item')).find((row) => row.dataset.path === arguments[0]);
            const node = scope ? scope.querySelector(arguments[1]) : null;
            if (!node) return null;
            return arguments[2] === null ? node.textContent : node.getAttribute(arguments[2]);
            """,
            [path ?? NSNull(), css, attribute ?? NSNull()]
        ) as? String
    }

    /// Picks files in the file input `css`, as a person would in the file dialog (again if the
    /// input was re-rendered in between).
    func pickFiles(_ paths: [String], in css: String = "#file-input") async throws {
        try await waitUntil("\(css) takes the files") {
            do {
                try await find(css).type(paths.joined(separator: "\n"))
                return true
            } catch let error as WebDriverError where error.error == "stale element reference" || error.error == "no such element" {
                return false
            }
        }
    }

    /// `read`, once the element is there.
    func waitForRead(_ css: String, inRow path: String? = nil, attribute: String? = nil, timeout: Duration = .seconds(20)) async throws -> String {
        try await EndToEndTests.waitFor("the page shows \(css)" + (path.map { " in the row of \($0.debugDescription)" } ?? ""), timeout: timeout) {
            try await read(css, inRow: path, attribute: attribute)
        }
    }

    /// Clicks `css` (inside the row of `path`, when given), once it is there; again when the
    /// page re-rendered between finding and clicking (the listing follows the change feed).
    func click(_ css: String, inRow path: String? = nil, timeout: Duration = .seconds(20)) async throws {
        let retryable: Set<String> = ["stale element reference", "no such element", "element click intercepted", "element not interactable"]
        try await waitUntil("\(css) can be clicked" + (path.map { " in the row of \($0.debugDescription)" } ?? ""), timeout: timeout) {
            do {
                let target: Element
                if let path {
                    guard let row = try await row(path) else { return false }
                    target = try await row.find(css)
                } else {
                    target = try await find(css)
                }
                try await target.click()
                return true
            } catch let error as WebDriverError where retryable.contains(error.error) {
                return false
            }
        }
    }

    /// The text of an open alert, confirm or prompt, if one is open.
    func openAlert() async throws -> String? {
        do {
            return try await command(.GET, "/alert/text")["value"] as? String
        } catch let error as WebDriverError where error.error == "no such alert" {
            return nil
        }
    }

    /// The console's entries since the last call, at `level` (SEVERE: errors) or above.
    func consoleEntries(level: String = "SEVERE") async throws -> [String] {
        let entries = try await command(.POST, "/se/log", ["type": "browser"])["value"] as? [[String: Any]] ?? []
        return entries.filter { ($0["level"] as? String) == level }.map { "\($0["message"] ?? "")" }
    }

    func screenshot(to path: String) async throws {
        guard let base64 = try await command(.GET, "/screenshot")["value"] as? String, let png = Data(base64Encoded: base64) else {
            throw HarnessError("no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: path))
    }

    /// Runs a script in the page (the test's own, for reading state; never the product's).
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])["value"]
    }
}
