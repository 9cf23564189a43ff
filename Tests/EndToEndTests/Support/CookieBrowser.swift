import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A person's browser, as far as these tests need one: follows redirects itself, keeps cookies
/// per host (name and value; the servers here set nothing subtler), submits forms.
struct CookieBrowser {
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    private var jar: [String: [String: String]] = [:]

    struct Page {
        var url: String
        var status: UInt
        var body: String
    }

    /// GETs `url` and follows redirects (at most 10).
    mutating func open(_ url: String) async throws -> Page {
        var current = url
        for _ in 0..<10 {
            let (status, location, body) = try await send("GET", current)
            guard (300..<400).contains(status), let location else { return Page(url: current, status: status, body: body) }
            current = Self.resolve(location, against: current)
        }
        throw HarnessError("too many redirects from \(url)")
    }

    /// POSTs a form and follows the redirects that answer it.
    mutating func submit(_ url: String, _ fields: [(String, String)]) async throws -> Page {
        let (status, location, body) = try await send("POST", url, form: Self.formEncode(fields))
        guard (300..<400).contains(status), let location else { return Page(url: url, status: status, body: body) }
        return try await open(Self.resolve(location, against: url))
    }

    /// The value of the hidden input `name` in a page.
    static func hidden(_ name: String, in page: Page) -> String? {
        guard let range = page.body.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page.body[range.upperBound...].prefix { $0 != "\"" })
    }

    private mutating func send(_ method: String, _ url: String, form: String? = nil) async throws -> (UInt, String?, String) {
        let host = URLComponents(string: url).map { "\($0.host ?? ""):\($0.port ?? 80)" } ?? url
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let cookies = jar[host], !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await Self.http.execute(request, timeout: .seconds(30))
        for line in response.headers["Set-Cookie"] {
            let pair = line.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if line.contains("Max-Age=0") {
                jar[host, default: [:]][String(pair[0])] = nil
            } else {
                jar[host, default: [:]][String(pair[0])] = String(pair[1])
            }
        }
        let body = try await response.body.collect(upTo: 4 << 20)
        return (response.status.code, response.headers.first(name: "Location"), String(buffer: body))
    }

    static func resolve(_ location: String, against base: String) -> String {
        URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
    }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return pairs.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }
        .joined(separator: "&")
    }
}
