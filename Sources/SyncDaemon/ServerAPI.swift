public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceSupport
public import SyncAPI
public import SyncEngine

/// The server's JSON API as the daemon calls it: `/api/v1` with the device token.
public struct ServerAPI: Sendable {
    public let baseURL: String
    let token: String?
    let http: HTTPClient

    /// - Parameters: baseURL: the server, e.g. `https://files.example.com` (no trailing slash).
    public init(baseURL: String, token: String?, http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
    }

    public func get<T: Decodable>(_ path: String, timeout: Duration = .seconds(60)) async throws -> T {
        try await send("GET", path, body: Optional<String>.none, timeout: timeout)
    }

    public func post<T: Decodable>(_ path: String, _ body: some Encodable) async throws -> T {
        try await send("POST", path, body: body)
    }

    /// A request whose answer has no body (204).
    public func call(_ method: String, _ path: String, _ body: (some Encodable)? = Optional<String>.none) async throws {
        let _: Empty = try await send(method, path, body: body)
    }

    struct Empty: Decodable {}

    func send<T: Decodable>(_ method: String, _ path: String, body: (some Encodable)?, timeout: Duration = .seconds(60)) async throws -> T {
        var request = HTTPClientRequest(url: baseURL + "/api/v1" + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: BuildInfo.userAgent("syncd"))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        let data: Data
        do {
            response = try await http.execute(request, timeout: .init(timeout))
            data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ServerError(status: 0, code: "unreachable", message: "\(baseURL) cannot be reached: \(error)")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            if status == 409, let conflict = try? JSONDecoder().decode(ConflictBody.self, from: data) {
                throw ServerError(status: status, code: conflict.code, message: conflict.message, current: conflict.current)
            }
            let body = try? JSONDecoder().decode(APIErrorBody.self, from: data)
            throw ServerError(
                status: status,
                code: body?.code ?? "http_\(status)",
                message: body?.message ?? "HTTP \(status) from \(method) \(path)",
                retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init)
            )
        }
        if T.self == Empty.self { return Empty() as! T }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ServerError(status: status, code: "bad_response", message: "\(method) \(path): the answer is not a \(T.self): \(error)")
        }
    }
}

/// The server refused or could not be reached. The description starts with the status, as the
/// engine's logs and `syncd status` show it.
public struct ServerError: TransientFailure, Sendable, CustomStringConvertible {
    /// The HTTP status; 0 when the server was not reached.
    public var status: Int
    public var code: String
    public var message: String
    /// For 409: what the server has now.
    public var current: FileMetadata?
    public var retryAfter: Double?

    public init(status: Int, code: String, message: String, current: FileMetadata? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.current = current
        self.retryAfter = retryAfter
    }

    public var description: String { status == 0 ? message : "\(status) \(code): \(message)" }

    /// Whether trying again soon can help (the server down, overloaded or throttling; not a
    /// full quota, 507, which waits for the user).
    public var isTransient: Bool { (status == 0 && code == "unreachable") || status == 429 || (status >= 500 && status != 507) }
}

extension ServerAPI {
    /// A value for a query string (`?path=…`): everything but unreserved characters and `/`
    /// percent-encoded.
    public static func queryValue(_ text: String) -> String { ServerRemote.queryEncode(text) }

    /// One segment of a path (`/shares/<id>`): everything but unreserved characters encoded,
    /// `/` and a lone `.` or `..` included.
    public static func pathSegment(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
