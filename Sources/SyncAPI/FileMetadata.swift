/// One item of a user's tree, as the API describes it.
public struct FileMetadata: Codable, Sendable, Equatable {
    /// The server's identity of the item; kept across moves.
    public var id: String
    /// Relative to the user's root, `/`-separated.
    public var path: String
    public var kind: ItemKind
    /// Increases with every change; mutations name the revision they were based on.
    public var revision: Int64
    public var size: Int64
    /// The content identity (``ContentIdentity``, lower-case hex; content stored before block
    /// hashes may still carry its plain SHA-256 until the server has rehashed it); nil for folders.
    public var sha256: String?
    /// Seconds since the epoch.
    public var modifiedAt: Double
    /// The dashboard's icon for it, by name (the server fills it in listings).
    public var category: FileCategory?

    public init(
        id: String,
        path: String,
        kind: ItemKind,
        revision: Int64,
        size: Int64,
        sha256: String?,
        modifiedAt: Double,
        category: FileCategory? = nil
    ) {
        self.category = category
        self.id = id
        self.path = path
        self.kind = kind
        self.revision = revision
        self.size = size
        self.sha256 = sha256
        self.modifiedAt = modifiedAt
    }
}

/// `GET /api/v1/files`: the whole tree and the change-feed cursor it is current to.
public struct FileListing: Codable, Sendable, Equatable {
    public var files: [FileMetadata]
    public var cursor: Int64

    public init(files: [FileMetadata], cursor: Int64) {
        self.files = files
        self.cursor = cursor
    }
}

/// The body of a 409: what is at the path now (nil: nothing).
public struct ConflictBody: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var current: FileMetadata?

    public init(code: String = "revision_conflict", message: String, current: FileMetadata?) {
        self.code = code
        self.message = message
        self.current = current
    }
}

/// `GET /api/v1/preview?path=`: a short-lived URL that shows the file inline, and as what.
public struct PreviewResponse: Codable, Sendable, Equatable {
    /// image, pdf, video, audio or text.
    public var category: FileCategory
    public var url: String
    public var contentType: String
    public var expiresAt: Double

    public init(category: FileCategory, url: String, contentType: String, expiresAt: Double) {
        self.category = category
        self.url = url
        self.contentType = contentType
        self.expiresAt = expiresAt
    }
}
