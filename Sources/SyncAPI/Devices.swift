/// A device of the caller (`GET /api/v1/devices`).
public struct DeviceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Double
    public var lastSeenAt: Double?
    public var revoked: Bool
    /// Whether this is the device making the request.
    public var current: Bool

    public init(id: String, name: String, createdAt: Double, lastSeenAt: Double?, revoked: Bool, current: Bool) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.revoked = revoked
        self.current = current
    }
}
