public import Hummingbird

/// The request context of every route: who is calling, once authenticated.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware for `/api/v1`.
    public var caller: Caller?
    /// The connected client's IP address (the proxy's, behind nginx).
    public var clientAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Request bodies are JSON of at most this size (a completion of 10,000 parts fits).
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated user and how they came: a device token, or a browser session.
    public struct Caller: Sendable {
        public var user: User
        public var device: Device?
        /// The session id when the caller is a signed-in browser.
        public var sessionId: String?
    }

    /// The caller, or 401 (the middleware guarantees it on API routes).
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError(.unauthorized, code: "unauthorized", "sign in or send a device token") }
        return caller
    }
}
