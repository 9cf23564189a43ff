/// One stored version of a file (`GET /api/v1/versions?path=…`).
public struct VersionInfo: Codable, Sendable, Equatable {
    public var revision: Int64
    public var size: Int64
    public var sha256: String?
    public var modifiedAt: Double

    public init(revision: Int64, size: Int64, sha256: String?, modifiedAt: Double) {
        self.revision = revision
        self.size = size
        self.sha256 = sha256
        self.modifiedAt = modifiedAt
    }
}

/// `POST /api/v1/versions/restore`: make an old version the current one (a new revision).
public struct RestoreVersionRequest: Codable, Sendable, Equatable {
    public var path: String
    /// The version to bring back.
    public var revision: Int64
    /// The current revision the caller saw.
    public var baseRevision: Int64

    public init(path: String, revision: Int64, baseRevision: Int64) {
        self.path = path
        self.revision = revision
        self.baseRevision = baseRevision
    }
}

/// An item in the trash (`GET /api/v1/trash`).
public struct TrashedItem: Codable, Sendable, Equatable {
    public var id: String
    public var path: String
    public var kind: ItemKind
    public var size: Int64
    public var trashedAt: Double
    /// The dashboard's icon for it, by name.
    public var category: FileCategory?

    public init(id: String, path: String, kind: ItemKind, size: Int64, trashedAt: Double, category: FileCategory? = nil) {
        self.category = category
        self.id = id
        self.path = path
        self.kind = kind
        self.size = size
        self.trashedAt = trashedAt
    }
}

/// `POST /api/v1/trash/restore`: put a trashed item (with what was trashed with it) back.
public struct RestoreTrashRequest: Codable, Sendable, Equatable {
    public var id: String

    public init(id: String) {
        self.id = id
    }
}
