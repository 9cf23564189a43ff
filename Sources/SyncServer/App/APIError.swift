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

    /// The API's answer to a refusal of the store or the bucket, or an API error as it is;
    /// nil for anything else (a failure nobody expected).
    static func answering(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: error
        case let error as StoreError: from(error)
        case let error as BlobStoreError: from(error)
        default: nil
        }
    }

    /// The API's answer to a failure of the bucket.
    static func from(_ error: BlobStoreError) -> APIError {
        switch error.code {
        case .missing: APIError(.notFound, code: "not_in_storage", "the bytes are not in the bucket: \(error.message)")
        case .refused: APIError(.badGateway, code: "storage_refused", "S3 refused the request: \(error.s3Code ?? error.message)")
        case .unavailable: APIError(.serviceUnavailable, code: "storage_unavailable", "S3 cannot be reached or is overloaded; try again shortly")
        }
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
                .insufficientStorage,
                code: "quota_exceeded",
                "\(path) needs \(ByteCount.human(size)), and \(ByteCount.human(max(0, quota - held))) of your \(ByteCount.human(quota)) is free"
                    + " (uploads in progress hold their size until they complete, are aborted, or expire)"
            )
        }
    }
}

extension HTTPResponse.Status {
    /// 507: the user's quota has no room.
    static let insufficientStorage = Self(code: 507, reasonPhrase: "Insufficient Storage")
}

/// A JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A JSON answer already written as bytes (``JSONText``).
func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

extension FileMetadata {
    init(_ record: FileRecord) {
        self.init(
            id: record.id,
            path: record.path,
            kind: record.kind,
            revision: record.revision,
            size: record.size,
            sha256: record.contentHash,
            modifiedAt: record.modifiedAt.timeIntervalSince1970,
            category: FileCategory(name: record.path, isFolder: record.kind == .folder)
        )
    }
}
