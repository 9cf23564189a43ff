/// Where the bytes live (`GET /api/v1/storage`): the origin (`scheme://host[:port]`) of every
/// presigned URL this server hands out. A daemon sends PUTs and GETs only there.
public struct StorageInfo: Codable, Sendable, Equatable {
    /// E.g. `https://my-bucket.s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:8333`.
    public var origin: String

    public init(origin: String) {
        self.origin = origin
    }
}
