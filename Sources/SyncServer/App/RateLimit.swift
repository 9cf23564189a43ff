import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Token buckets per client: `capacity` requests at once, refilled at `perSecond`. Pure: the
/// time is a parameter.
struct TokenBuckets: Sendable {
    let capacity: Double
    let perSecond: Double
    private var buckets: [String: (tokens: Double, at: Double)] = [:]

    init(capacity: Int, perSecond: Double) {
        self.capacity = Double(capacity)
        self.perSecond = perSecond
    }

    /// Takes one token for `key` at time `now` (seconds); false when the bucket is empty.
    mutating func take(_ key: String, at now: Double) -> Bool {
        if buckets.count > 50_000 {
            // Forget clients whose buckets are full again: they cost nothing to recreate.
            buckets = buckets.filter { now - $0.value.at < capacity / perSecond }
        }
        var bucket = buckets[key] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * perSecond)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        return true
    }
}

/// Refuses with 429 (and Retry-After) a client that goes over its rate, keyed by its address.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let buckets: NIOLockedValueBox<TokenBuckets>
    private let origin = ContinuousClock.now

    /// - Parameters: capacity: burst size; perMinute: sustained requests a minute per client.
    init(capacity: Int, perMinute: Double) {
        buckets = NIOLockedValueBox(TokenBuckets(capacity: capacity, perSecond: perMinute / 60))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let elapsed = ContinuousClock.now - origin
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let allowed = buckets.withLockedValue { $0.take(context.clientAddress ?? "unknown", at: now) }
        guard allowed else {
            throw RateLimited()
        }
        return try await next(request, context)
    }

    struct RateLimited: HTTPResponseError {
        var status: HTTPResponse.Status { .tooManyRequests }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            var response = try APIError(.tooManyRequests, code: "rate_limited", "too many requests; slow down").response(
                from: request,
                context: context
            )
            response.headers[.retryAfter] = "10"
            return response
        }
    }
}

/// Behind a reverse proxy every request comes from the proxy: for requests from a trusted
/// proxy the client is the last address of `X-Forwarded-For` (the one that proxy added), so
/// that per-address limits apply to clients, not to nginx.
struct ForwardedForMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = Self.client(peer: context.clientAddress, forwardedFor: request.headers[values: .xForwardedFor], trusted: trusted)
        return try await next(request, context)
    }

    static func client(peer: String?, forwardedFor: [String], trusted: Set<String>) -> String? {
        guard let peer, trusted.contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last ?? peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
