public import Hummingbird

/// The request context of every route: who is calling, once authenticated.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the bearer-token middleware for `/api/v1`.
    public var caller: Caller?
    /// The connected client's IP address (the proxy's, behind nginx).
    public var clientAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The authenticated user and the device they came through.
    public struct Caller: Sendable {
        public var user: User
        public var device: Device?
    }

    /// The caller, or 401 (the middleware guarantees it on API routes).
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError(.unauthorized, code: "unauthorized", "sign in or send a device token") }
        return caller
    }
}
