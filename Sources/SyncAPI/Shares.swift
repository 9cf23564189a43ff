/// `POST /api/v1/shares`.
public struct CreateShareRequest: Codable, Sendable, Equatable {
    public var path: String
    /// Seconds the link works; nil for the default (7 days), 0 for never (if the server allows).
    public var expiresInSeconds: Int?
    /// A password visitors must give before the link shows anything (6 to 256 characters); nil:
    /// none.
    public var password: String?
    /// A file request instead of a link: people without an account drop files into the folder
    /// at `path` through it and see nothing of it.
    public var request: FileRequestSettings?

    public init(path: String, expiresInSeconds: Int? = nil, password: String? = nil, request: FileRequestSettings? = nil) {
        self.path = path
        self.expiresInSeconds = expiresInSeconds
        self.password = password
        self.request = request
    }

    /// The longest password a link takes, in characters.
    public static let maxPasswordLength = 256
}

/// What a file request asks for.
public struct FileRequestSettings: Codable, Sendable, Equatable {
    /// What the uploader is asked for ("Slides for Friday"): 1 to 200 characters on one line.
    public var title: String
    /// The largest file the request takes, in bytes (1 B to 5 TiB); nil: any the owner has room for.
    public var maxFileBytes: Int64?

    public init(title: String, maxFileBytes: Int64? = nil) {
        self.title = title
        self.maxFileBytes = maxFileBytes
    }
}

/// A share link as its owner sees it.
public struct ShareInfo: Codable, Sendable, Equatable {
    public var id: String
    /// The public link (`/s/<token>` on the server).
    public var url: String
    public var path: String
    public var createdAt: Double
    /// Seconds since the epoch; nil: never.
    public var expiresAt: Double?
    public var revoked: Bool
    /// Times the link's page was shown.
    public var views: Int64
    /// Times the file was downloaded through the link.
    public var downloads: Int64
    /// Whether visitors must give a password.
    public var hasPassword: Bool
    /// Set for a file request (`/r/<token>`): what it asks for.
    public var request: FileRequestSettings?
    /// Files received through a file request.
    public var uploads: Int64

    public init(
        id: String,
        url: String,
        path: String,
        createdAt: Double,
        expiresAt: Double?,
        revoked: Bool,
        views: Int64,
        downloads: Int64 = 0,
        hasPassword: Bool = false,
        request: FileRequestSettings? = nil,
        uploads: Int64 = 0
    ) {
        self.id = id
        self.url = url
        self.path = path
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revoked = revoked
        self.views = views
        self.downloads = downloads
        self.hasPassword = hasPassword
        self.request = request
        self.uploads = uploads
    }

    /// Reads links from servers before downloads and passwords as having neither.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        url = try container.decode(String.self, forKey: .url)
        path = try container.decode(String.self, forKey: .path)
        createdAt = try container.decode(Double.self, forKey: .createdAt)
        expiresAt = try container.decodeIfPresent(Double.self, forKey: .expiresAt)
        revoked = try container.decode(Bool.self, forKey: .revoked)
        views = try container.decode(Int64.self, forKey: .views)
        downloads = try container.decodeIfPresent(Int64.self, forKey: .downloads) ?? 0
        hasPassword = try container.decodeIfPresent(Bool.self, forKey: .hasPassword) ?? false
        request = try container.decodeIfPresent(FileRequestSettings.self, forKey: .request)
        uploads = try container.decodeIfPresent(Int64.self, forKey: .uploads) ?? 0
    }
}

/// One visit of a link (`GET /api/v1/shares/{id}/events`), newest first.
public struct ShareEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// The page was shown.
        case view
        /// The file was downloaded.
        case download
        /// A visitor gave a wrong password.
        case wrongPassword = "wrong_password"
        /// A file came in through a file request.
        case upload
    }

    /// Seconds since the epoch.
    public var at: Double
    public var kind: Kind

    public init(at: Double, kind: Kind) {
        self.at = at
        self.kind = kind
    }
}
