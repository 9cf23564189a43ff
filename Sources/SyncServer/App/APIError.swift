import Foundation
public import Hummingbird
public import SyncAPI

/// Every API error: an HTTP status and a JSON body with a stable `code`.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// For 409: what is there now.
    public let current: FileMetadata?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, current: FileMetadata? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.current = current
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: Data =
            if status == .conflict {
                try JSONEncoder().encode(ConflictBody(code: code, message: message, current: current))
            } else {
                try JSONEncoder().encode(APIErrorBody(code: code, message: message))
            }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The API's answer to a store refusal.
    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .conflict(let current):
            APIError(.conflict, code: "revision_conflict", "the item changed since you last saw it", current: current.map(FileMetadata.init))
        case .notFound:
            APIError(.notFound, code: "not_found", "no such item")
        case .invalidPath(let why):
            APIError(.badRequest, code: "invalid_path", why)
        case .configuration(let why), .corrupt(let why):
            APIError(.internalServerError, code: "internal", why)
        case .invalidText(let why):
            APIError(.badRequest, code: "invalid_text", why)
        case .quotaExceeded(let path, let size, let held, let quota):
            APIError(
                .insufficientStorage, code: "quota_exceeded",
                "\(path) needs \(ByteCount.human(size)), and \(ByteCount.human(max(0, quota - held))) of your \(ByteCount.human(quota)) is free"
                    + " (uploads in progress hold their size until they complete, are aborted, or expire)")
        }
    }
}

extension HTTPResponse.Status {
    /// 507: the user's quota has no room.
    static let insufficientStorage = Self(code: 507, reasonPhrase: "Insufficient Storage")
}

/// Runs a store call, turning its refusals into API errors.
func storeCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw APIError.from(error)
    }
}

/// A JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension FileMetadata {
    init(_ record: FileRecord) {
        self.init(
            id: record.id, path: record.path, kind: record.kind, revision: record.revision, size: record.size,
            sha256: record.contentHash, modifiedAt: record.modifiedAt.timeIntervalSince1970,
            category: FileCategory(name: record.path, isFolder: record.kind == "folder"))
    }
}
