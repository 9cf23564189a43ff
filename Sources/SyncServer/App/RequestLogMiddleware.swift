import Hummingbird
import Logging

/// One log line per request: method, path, status, duration, with Hummingbird's request id in
/// the metadata. Share-link tokens are capabilities, so they never reach the logs: `/s/<token>`
/// is logged as `/s/…`. Query strings (which may carry paths) are left out.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let path = Self.redact(request.uri.path)
        do {
            let response = try await next(request, context)
            context.logger.info("\(request.method) \(path) \(response.status.code)", metadata: ["duration_ms": "\(Self.ms(since: started))"])
            return response
        } catch let error as any HTTPResponseError {
            context.logger.info("\(request.method) \(path) \(error.status.code)", metadata: ["duration_ms": "\(Self.ms(since: started))"])
            throw error
        } catch {
            context.logger.error("\(request.method) \(path) failed: \(error)", metadata: ["duration_ms": "\(Self.ms(since: started))"])
            throw error
        }
    }

    /// `/s/<token>/download` → `/s/…/download`.
    static func redact(_ path: String) -> String {
        guard path.hasPrefix("/s/") else { return path }
        let rest = path.dropFirst(3)
        let tail = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
        return "/s/…" + tail
    }

    static func ms(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}
