import Hummingbird
import Logging
import NIOCore

/// Every refusal under `/api/v1` is the API's JSON error (`code`, `message`), decided here and
/// nowhere else: Hummingbird's own errors (a body that is not the JSON asked for, one over
/// 1 MiB), the store's refusals and the bucket's failures (``APIError/answering(_:)``), a
/// long-poll over the user's cap, and failures nobody expected (500 `internal`, logged with
/// the error, whose text stays out of the answer).
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Pages (the dashboard, sign-in, share links) keep their own refusals.
        guard request.uri.path.hasPrefix("/api/v1/") else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error where APIError.answering(error) != nil {
            throw APIError.answering(error)!
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", "request bodies are at most \(context.maxUploadSize >> 20) MiB")
        } catch let error as ChangeNotifier.TooManyWaiting {
            throw APIError(
                .tooManyRequests,
                code: "too_many_long_polls",
                "you already have \(error.limit) long-polls of the change feed waiting: wait for one to answer, or poll without wait"
            )
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw APIError(.internalServerError, code: "internal", "the server failed on this request; it is logged")
        }
    }

    /// A stable code for Hummingbird's own refusals.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        case 415: "unsupported_media_type"
        default: "http_\(status.code)"
        }
    }
}
