/// `POST /api/v1/uploads`: the daemon (or browser) wants to store content at a path.
public struct BeginUploadRequest: Codable, Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// The content identity (``ContentIdentity``, lower-case hex): the object's key. The
    /// server accepts the upload only when the bytes S3 verified have this identity.
    public var sha256: String
    public var contentType: String?
    /// The revision the client's change is based on; nil for a new item.
    public var baseRevision: Int64?
    /// For a file of at most one block (a single PUT): the base64 SHA-256 of its bytes. The
    /// server checks that it gives `sha256` and signs it into the PUT, so S3 takes no other bytes.
    public var blockSha256: String?
    /// For a new item: the change-feed cursor the client's view of the path is from. When
    /// anything happened at the path after it, content the user already stores is not recorded
    /// at begin (a begin held up on the way would make an item the client has since moved or
    /// deleted); the bytes are sent and `complete` makes the item, only if nothing happened at
    /// the path since begin.
    public var seenCursor: Int64?

    public init(
        path: String,
        size: Int64,
        sha256: String,
        contentType: String? = nil,
        baseRevision: Int64? = nil,
        blockSha256: String? = nil,
        seenCursor: Int64? = nil
    ) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.contentType = contentType
        self.baseRevision = baseRevision
        self.blockSha256 = blockSha256
        self.seenCursor = seenCursor
    }
}

/// How an upload's bytes go (``BeginUploadResponse/mode``).
public enum UploadMode: String, Sendable, Codable, Hashable {
    /// The user already stores this content: the new revision is recorded (see `file`).
    case stored
    /// PUT the bytes to `url` with `headers`.
    case single
    /// Ask for part URLs, send the parts, complete.
    case multipart
}

/// How to send the bytes.
public struct BeginUploadResponse: Codable, Sendable, Equatable {
    public var mode: UploadMode
    public var uploadId: String?
    /// For `single`: the presigned PUT.
    public var url: String?
    /// Headers the PUT (or each part) must carry exactly (SSE-S3, checksums).
    public var headers: [String: String]
    /// For `multipart`: the part size to use (the last part may be smaller).
    public var partSize: Int64?
    public var partCount: Int?
    /// For `stored`: the recorded item.
    public var file: FileMetadata?

    public init(
        mode: UploadMode,
        uploadId: String? = nil,
        url: String? = nil,
        headers: [String: String] = [:],
        partSize: Int64? = nil,
        partCount: Int? = nil,
        file: FileMetadata? = nil
    ) {
        self.mode = mode
        self.uploadId = uploadId
        self.url = url
        self.headers = headers
        self.partSize = partSize
        self.partCount = partCount
        self.file = file
    }
}

/// `POST /api/v1/uploads/{id}/parts`: presigned URLs for some parts of a multipart upload.
public struct PartURLsRequest: Codable, Sendable, Equatable {
    public var partNumbers: [Int]
    /// Unused since parts carry SHA-256 (kept so that old clients decode).
    public var checksums: [String: String]?
    /// Base64 SHA-256 of each part's block, by part number, signed into that part's URL. The
    /// first digest asked for a part number is the only one the server ever signs for it.
    public var sha256: [String: String]?

    public init(partNumbers: [Int], checksums: [String: String]? = nil, sha256: [String: String]? = nil) {
        self.partNumbers = partNumbers
        self.checksums = checksums
        self.sha256 = sha256
    }
}

public struct PartURLsResponse: Codable, Sendable, Equatable {
    /// Part number (as text, JSON keys) → presigned PUT URL.
    public var urls: [String: String]
    /// Headers every part PUT must carry.
    public var headers: [String: [String: String]]

    public init(urls: [String: String], headers: [String: [String: String]]) {
        self.urls = urls
        self.headers = headers
    }
}

/// `POST /api/v1/uploads/{id}/complete`.
public struct CompleteUploadRequest: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var partNumber: Int
        public var etag: String
        public var checksumCRC32C: String?
        public var checksumSHA256: String?

        public init(partNumber: Int, etag: String, checksumCRC32C: String? = nil, checksumSHA256: String? = nil) {
            self.partNumber = partNumber
            self.etag = etag
            self.checksumCRC32C = checksumCRC32C
            self.checksumSHA256 = checksumSHA256
        }
    }

    /// Empty for a single PUT. The server completes from the parts S3 lists, not from these.
    public var parts: [Part]

    public init(parts: [Part] = []) {
        self.parts = parts
    }
}

/// `GET /api/v1/download?path=…`: a short-lived presigned GET.
public struct DownloadResponse: Codable, Sendable, Equatable {
    public var url: String
    /// Seconds since the epoch when `url` stops working.
    public var expiresAt: Double
    public var file: FileMetadata

    public init(url: String, expiresAt: Double, file: FileMetadata) {
        self.url = url
        self.expiresAt = expiresAt
        self.file = file
    }
}

/// `POST /api/v1/move` and `POST /api/v1/trash`.
public struct MoveRequest: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var revision: Int64

    public init(from: String, to: String, revision: Int64) {
        self.from = from
        self.to = to
        self.revision = revision
    }
}

public struct TrashRequest: Codable, Sendable, Equatable {
    public var path: String
    public var revision: Int64

    public init(path: String, revision: Int64) {
        self.path = path
        self.revision = revision
    }
}

/// `POST /api/v1/folders`.
public struct CreateFolderRequest: Codable, Sendable, Equatable {
    public var path: String

    public init(path: String) {
        self.path = path
    }
}

/// `GET /api/v1/changes?after=N[&wait=S]`.
public struct ChangesResponse: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        public var seq: Int64
        /// The item was deleted; a folder's deletion is one entry, everything inside it deleted
        /// with it.
        public var deleted: Bool
        public var file: FileMetadata
        /// A folder's move: where it was. Everything inside it moved with it, keeping ids,
        /// revisions and contents (one entry for the folder, none for its items).
        public var movedFrom: String?

        public init(seq: Int64, deleted: Bool, file: FileMetadata, movedFrom: String? = nil) {
            self.seq = seq
            self.deleted = deleted
            self.file = file
            self.movedFrom = movedFrom
        }
    }

    public var changes: [Change]
    /// Pass back as `after` to continue.
    public var cursor: Int64

    public init(changes: [Change], cursor: Int64) {
        self.changes = changes
        self.cursor = cursor
    }
}

/// `POST /api/v1/batch/uploads`: begin many uploads in one request (at most 1,000). Each gets
/// its own answer, in order; one refusal does not fail the others.
public struct BatchBeginRequest: Codable, Sendable, Equatable {
    public var uploads: [BeginUploadRequest]

    public init(uploads: [BeginUploadRequest]) {
        self.uploads = uploads
    }
}

/// `POST /api/v1/batch/complete`: complete many uploads in one request (at most 1,000).
public struct BatchCompleteRequest: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var uploadId: String
        public var parts: [CompleteUploadRequest.Part]

        public init(uploadId: String, parts: [CompleteUploadRequest.Part] = []) {
            self.uploadId = uploadId
            self.parts = parts
        }
    }

    public var uploads: [Item]

    public init(uploads: [Item]) {
        self.uploads = uploads
    }
}

/// One answer of a batch: the value, or the error the single request would have had.
public struct BatchResult<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var value: Value?
    /// The HTTP status the single request would have had, with its error body.
    public var status: Int?
    public var error: ConflictBody?

    public init(value: Value) {
        self.value = value
    }

    public init(status: Int, error: ConflictBody) {
        self.status = status
        self.error = error
    }
}

public struct BatchResponse<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var results: [BatchResult<Value>]

    public init(results: [BatchResult<Value>]) {
        self.results = results
    }
}

/// `GET /api/v1/uploads/{id}/parts`: the parts S3 already holds for a multipart upload, so
/// that a client resuming after a crash sends only the others.
public struct UploadPartsResponse: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var partNumber: Int
        public var etag: String
        public var size: Int64
        /// Base64 CRC32C S3 verified, to compare with the file's bytes before reusing the part.
        public var checksumCRC32C: String?
        /// Base64 SHA-256 the part was verified against on arrival (signed into its URL).
        public var checksumSHA256: String?

        public init(partNumber: Int, etag: String, size: Int64, checksumCRC32C: String?, checksumSHA256: String? = nil) {
            self.partNumber = partNumber
            self.etag = etag
            self.size = size
            self.checksumCRC32C = checksumCRC32C
            self.checksumSHA256 = checksumSHA256
        }
    }

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }
}
