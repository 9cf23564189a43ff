import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Authenticates an API request: `Authorization: Bearer <device token>`, or the browser's
/// session cookie, whose state-changing requests must also carry the session's CSRF token in
/// `X-CSRF-Token`. Anything else is 401. A revoked token or a signed-out session stops working
/// at once (the store is asked on every request).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: MetadataStore
    let sessions: SessionKeys

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw APIError(.unauthorized, code: "unauthorized", "send a device token: Authorization: Bearer <token>")
            }
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let (device, user) = try await store.authenticate(token: token) else {
                throw APIError(.unauthorized, code: "unauthorized", "the device token is unknown or revoked")
            }
            context.caller = .init(user: user, device: device, sessionId: nil)
        } else if let sessionId = request.cookies[SessionKeys.cookieName]?.value {
            guard let user = try await store.sessionUser(id: sessionId, key: sessions.key) else {
                throw APIError(.unauthorized, code: "unauthorized", "the session has ended; sign in again")
            }
            if !Self.safeMethods.contains(request.method) {
                guard let sent = request.headers[.csrfToken], constantTimeEqual(sent, sessions.csrfToken(for: sessionId)) else {
                    throw APIError(.forbidden, code: "csrf", "missing or wrong X-CSRF-Token for this session")
                }
            }
            context.caller = .init(user: user, device: nil, sessionId: sessionId)
        } else {
            throw APIError(.unauthorized, code: "unauthorized", "sign in, or send a device token: Authorization: Bearer <token>")
        }
        return try await next(request, context)
    }

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]
}

/// The server's session secret put to use: keyed hashes of session ids (a leaked table opens
/// no session) and the per-session CSRF token.
public struct SessionKeys: Sendable {
    static let cookieName = "syncd_session"
    let key: SymmetricKey
    /// Cookies get `Secure` when the server is reached over HTTPS.
    let secureCookies: Bool

    public init(secret: String, secureCookies: Bool) {
        key = SymmetricKey(data: SHA256.hash(data: Array("syncd-session:\(secret)".utf8)))
        self.secureCookies = secureCookies
    }

    /// A random key, for tests and tools that never see a browser.
    public static func random() -> SessionKeys {
        SessionKeys(secret: MetadataStore.randomToken(bytes: 32), secureCookies: false)
    }

    func csrfToken(for sessionId: String) -> String {
        OIDCProvider.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Array("csrf:\(sessionId)".utf8), using: key)))
    }

    func cookie(_ name: String, _ value: String, maxAge: Int, path: String = "/") -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secureCookies, httpOnly: true, sameSite: .lax)
    }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
}
