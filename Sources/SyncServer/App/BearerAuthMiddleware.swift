import Foundation
import Hummingbird

/// Authenticates `Authorization: Bearer <device token>`; anything else is 401. A revoked
/// token stops working at once (the store is asked on every request).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: MetadataStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, code: "unauthorized", "send a device token: Authorization: Bearer <token>")
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let (device, user) = try await store.authenticate(token: token) else {
            throw APIError(.unauthorized, code: "unauthorized", "the device token is unknown or revoked")
        }
        var context = context
        context.caller = .init(user: user, device: device)
        return try await next(request, context)
    }
}
