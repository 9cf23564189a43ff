import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SyncAPI
import Testing

@testable import SyncServer

/// The OpenID Connect provider `scripts/test-servers` starts (nanoidp), with its users
/// alice (alice@example.org) and mallory (mallory@evil.example).
struct TestIdentityProvider {
    let issuer: String
    let clientId: String
    let clientSecret: String
    /// The server's address in these tests; loopback, so the provider accepts any port.
    static let publicBaseURL = "http://127.0.0.1:8080"

    static func fromEnvironment() throws -> TestIdentityProvider {
        let env = ProcessInfo.processInfo.environment
        guard let issuer = env["SYNCD_TEST_OIDC_ISSUER"], let id = env["SYNCD_TEST_OIDC_CLIENT_ID"], let secret = env["SYNCD_TEST_OIDC_CLIENT_SECRET"]
        else {
            throw StoreTestError("SYNCD_TEST_OIDC_* is not set: run the tests with scripts/test, which starts the OIDC provider")
        }
        return TestIdentityProvider(issuer: issuer, clientId: id, clientSecret: secret)
    }

    /// Our side of the provider, letting in alice's address only unless told otherwise.
    func provider(
        allowing emails: [String] = ["alice@example.org"],
        clientId: String? = nil,
        issuer: String? = nil,
        keyRefreshInterval: Duration = .seconds(10)
    ) -> OIDCProvider {
        OIDCProvider(
            settings: OIDCSettings(
                issuer: issuer ?? self.issuer,
                clientId: clientId ?? self.clientId,
                clientSecret: clientSecret,
                allowList: SignInAllowList(emails: emails, domains: [])
            ),
            keyRefreshInterval: keyRefreshInterval
        )
    }

    /// Runs the whole authorization-code flow as a client would, without our server: for tests
    /// of ID-token verification on tokens the real provider signed. A nil nonce leaves it out.
    func idToken(nonce: String?, user: String = "alice", password: String = "alice-pw") async throws -> String {
        let verifier = MetadataStore.randomToken(bytes: 48)
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientId), ("redirect_uri", Self.publicBaseURL + "/auth/callback"),
            ("scope", "openid email profile"), ("state", "s"), ("code_challenge", OIDCProvider.challenge(for: verifier)),
            ("code_challenge_method", "S256"), ("claims", #"{"id_token":{"email":null}}"#),
        ]
        if let nonce { query.append(("nonce", nonce)) }
        let callback = try await ProviderBrowser.logIn(
            at: issuer + "/authorize?" + OIDCProvider.formEncode(query),
            username: user,
            password: password
        )
        let code = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
        var request = HTTPClientRequest(url: issuer + "/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(
            ByteBuffer(
                string: OIDCProvider.formEncode([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.publicBaseURL + "/auth/callback"),
                    ("client_id", clientId), ("client_secret", clientSecret), ("code_verifier", verifier),
                ])
            )
        )
        let response = try await ProviderBrowser.http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        struct Tokens: Decodable { var id_token: String }
        return try JSONDecoder().decode(Tokens.self, from: Data(buffer: body)).id_token
    }
}

/// A person's browser at the identity provider: opens the authorization URL, fills in the
/// login form, and returns where the provider sends the browser back (the callback URL).
enum ProviderBrowser {
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func logIn(at authorizationURL: String, username: String, password: String) async throws -> String {
        var cookies: [String: String] = [:]
        let page = try await send("GET", authorizationURL, cookies: &cookies)
        guard page.status == 200, let range = page.body.range(of: #"name="transaction_id" value=""#) else {
            throw StoreTestError("the provider's login page did not come (HTTP \(page.status)): \(page.body.prefix(300))")
        }
        let transaction = page.body[range.upperBound...].prefix { $0 != "\"" }
        let form = OIDCProvider.formEncode([("transaction_id", String(transaction)), ("username", username), ("password", password)])
        let answer = try await send("POST", authorizationURL, cookies: &cookies, form: form)
        guard answer.status == 302, let location = answer.location else {
            throw StoreTestError("the provider did not redirect back (HTTP \(answer.status)): \(answer.body.prefix(300))")
        }
        return location
    }

    private static func send(
        _ method: String,
        _ url: String,
        cookies: inout [String: String],
        form: String? = nil
    ) async throws
        -> (status: UInt, location: String?, body: String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await http.execute(request, timeout: .seconds(10))
        for header in response.headers["Set-Cookie"] {
            let pair = header.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, response.headers.first(name: "Location"), String(buffer: body))
    }
}

/// A browser at our server: keeps the cookies it is given and sends them back.
struct ServerBrowser {
    var cookies: [String: String] = [:]
    /// The full Set-Cookie lines of the last response, to check their attributes.
    var lastSetCookies: [String] = []

    struct Answer {
        var status: HTTPResponse.Status
        var location: String?
        var body: String
        var headers: HTTPFields = [:]
    }

    mutating func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        client: any TestClientProtocol,
        headers extra: HTTPFields = [:],
        form: String? = nil,
        json: Data? = nil
    ) async throws -> Answer {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form)
        } else if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: json)
        }
        let (answer, setCookies) = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            (
                Answer(
                    status: response.status,
                    location: response.headers[.location],
                    body: String(buffer: response.body),
                    headers: response.headers
                ),
                response.headers[values: .setCookie]
            )
        }
        lastSetCookies = setCookies
        for line in setCookies {
            let pair = line.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if line.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
        return answer
    }

    /// Signs in through the provider as `username`; returns our server's answer to the callback.
    mutating func signIn(_ username: String, _ password: String, client: any TestClientProtocol, returnTo: String = "/") async throws -> Answer {
        let start = try await send(.get, "/auth/login?return_to=" + returnTo, client: client)
        guard start.status == .found, let location = start.location else {
            throw StoreTestError("sign-in did not start: \(start.status) \(start.body)")
        }
        let callback = try await ProviderBrowser.logIn(at: location, username: username, password: password)
        guard callback.hasPrefix(TestIdentityProvider.publicBaseURL) else { throw StoreTestError("unexpected callback \(callback)") }
        return try await send(.get, String(callback.dropFirst(TestIdentityProvider.publicBaseURL.count)), client: client)
    }

    /// The session's CSRF token, as the dashboard reads it.
    mutating func csrfToken(client: any TestClientProtocol) async throws -> String {
        let answer = try await send(.get, "/api/v1/session", client: client)
        return try #require(try decode(SessionInfo.self, Data(answer.body.utf8)).csrfToken)
    }
}
