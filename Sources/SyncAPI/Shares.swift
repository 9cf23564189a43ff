/// `POST /api/v1/shares`.
public struct CreateShareRequest: Codable, Sendable, Equatable {
    public var path: String
    /// Seconds the link works; nil for the default (7 days), 0 for never (if the server allows).
    public var expiresInSeconds: Int?

    public init(path: String, expiresInSeconds: Int? = nil) {
        self.path = path
        self.expiresInSeconds = expiresInSeconds
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
    public var views: Int64

    public init(id: String, url: String, path: String, createdAt: Double, expiresAt: Double?, revoked: Bool, views: Int64) {
        self.id = id
        self.url = url
        self.path = path
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revoked = revoked
        self.views = views
    }
}
