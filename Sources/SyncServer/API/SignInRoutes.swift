import Foundation
import Hummingbird
import Logging
import SyncAPI

/// Browser sign-in through OpenID Connect (authorization code + PKCE, state, nonce), the
/// session cookie, and sign-out by POST.
///
/// - `GET /auth/login?return_to=/path`: starts a sign-in (`return_to` follows `ReturnPath`'s
///   grammar, else it is `/`); the state also goes into a short-lived
///   cookie so that a callback from another browser (login CSRF) is refused.
/// - `GET /auth/callback?code&state`: finishes it; one use per state.
/// - `POST /auth/logout` (form field `csrf` or header `X-CSRF-Token`): ends the session.
struct SignInRoutes {
    let store: MetadataStore
    let oidc: OIDCProvider?
    let sessions: SessionKeys
    let publicBaseURL: String
    let metrics: ServerMetrics
    let logger = Logger(label: "syncd-server.sign-in")

    static let signInCookie = "syncd_signin"
    var redirectURI: String { publicBaseURL + "/auth/callback" }

    func register(on router: Router<AppRequestContext>, burst: Int, perMinute: Double) {
        let auth = router.group("auth").add(middleware: RateLimitMiddleware(capacity: burst, perMinute: perMinute))
        auth.get("login") { request, _ in
            guard let oidc else {
                return HTMLPage.response(
                    title: "Sign-in is not set up",
                    body: "<p>This server has no identity provider configured ([auth] in syncd-server.toml).</p>",
                    status: .serviceUnavailable
                )
            }
            let state = MetadataStore.randomToken(bytes: 32)
            let signIn = PendingSignIn(
                verifier: MetadataStore.randomToken(bytes: 48),
                nonce: MetadataStore.randomToken(bytes: 32),
                returnTo: ReturnPath.parse(request.uri.queryParameters.get("return_to"))
            )
            let url = try await oidc.authorizationURL(redirectURI: redirectURI, state: state, nonce: signIn.nonce, verifier: signIn.verifier)
            try await store.saveSignIn(state: state, signIn)
            var response = Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
            response.setCookie(sessions.cookie(Self.signInCookie, state, maxAge: Int(MetadataStore.signInLifetime), path: "/auth"))
            return response
        }
        auth.get("callback") { request, _ in
            do {
                return try await callback(request)
            } catch let error as SignInError {
                metrics.signIns(outcome: "refused")
                logger.notice("sign-in refused", metadata: ["reason": "\(error.reason)"])
                let status: HTTPResponse.Status =
                    switch error.kind {
                    case .invalid: .unauthorized
                    case .notAllowed: .forbidden
                    case .provider: .badGateway
                    }
                var response = HTMLPage.response(
                    title: "Sign-in failed",
                    body: "<p>\(HTMLPage.escape(error.reason)).</p><p><a class=\"button\" href=\"/auth/login\">Try again</a></p>",
                    status: status
                )
                response.setCookie(sessions.cookie(Self.signInCookie, "", maxAge: 0, path: "/auth"))
                return response
            }
        }
        auth.post("logout") { request, _ in
            guard let sessionId = request.cookies[SessionKeys.cookieName]?.value else {
                return Response(status: .seeOther, headers: [.location: "/"])
            }
            let form = try await Self.form(request)
            let sent = request.headers[.csrfToken] ?? form["csrf"] ?? ""
            guard constantTimeEqual(sent, sessions.csrfToken(for: sessionId)) else {
                throw APIError(.forbidden, code: "csrf", "missing or wrong CSRF token")
            }
            try await store.deleteSession(id: sessionId, key: sessions.key)
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(sessions.cookie(SessionKeys.cookieName, "", maxAge: 0))
            return response
        }
    }

    /// The session endpoint: who is signed in, the CSRF token a browser sends back, and the
    /// limits the dashboard shows (storage used of the quota, the longest share link).
    func registerAPI(on api: RouterGroup<AppRequestContext>, quota: Int64?, maxShareLifetime: TimeInterval?) {
        api.get("session") { _, context in
            let caller = try context.requireCaller()
            return try json(
                SessionInfo(
                    userId: caller.user.id,
                    email: caller.user.email,
                    name: caller.user.name,
                    picture: caller.user.picture,
                    csrfToken: caller.sessionId.map(sessions.csrfToken(for:)),
                    usedBytes: try await store.usedBytes(userId: caller.user.id),
                    quotaBytes: quota,
                    maxShareSeconds: maxShareLifetime.map { Int64($0) }
                )
            )
        }
    }

    private func callback(_ request: Request) async throws -> Response {
        guard let oidc else { throw SignInError(.provider, "sign-in is not set up on this server") }
        let query = request.uri.queryParameters
        guard let state = query.get("state"), !state.isEmpty else { throw SignInError("the provider's answer has no state") }
        // The browser that started the sign-in must be the one finishing it.
        guard let cookie = request.cookies[Self.signInCookie]?.value, constantTimeEqual(cookie, state) else {
            throw SignInError("this sign-in was not started in this browser")
        }
        guard let signIn = try await store.takeSignIn(state: state) else {
            throw SignInError("this sign-in has expired or was already used")
        }
        if let error = query.get("error") {
            throw SignInError("the identity provider said \(error)")
        }
        guard let code = query.get("code"), !code.isEmpty else { throw SignInError("the provider's answer has no code") }
        let identity = try await oidc.signIn(code: code, verifier: signIn.verifier, nonce: signIn.nonce, redirectURI: redirectURI)
        let user = try await store.signInUser(identity)
        let sessionId = try await store.createSession(userId: user.id, key: sessions.key)
        metrics.signIns(outcome: "ok")
        logger.info("signed in", metadata: ["user": "\(user.id)"])
        // Checked again at use: the row may come from an older server or a tampered table.
        var response = Response(status: .seeOther, headers: [.location: ReturnPath.parse(signIn.returnTo), .cacheControl: "no-store"])
        response.setCookie(sessions.cookie(SessionKeys.cookieName, sessionId, maxAge: Int(MetadataStore.sessionLifetime)))
        response.setCookie(sessions.cookie(Self.signInCookie, "", maxAge: 0, path: "/auth"))
        return response
    }

    /// A small url-encoded form body (at most 16 KiB).
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 << 10)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
