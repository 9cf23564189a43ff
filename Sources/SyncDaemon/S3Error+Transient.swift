public import S3Client
public import SyncEngine

extension S3Error: TransientFailure {
    /// No answer, or S3's 5xx / 429 / SlowDown: the path is tried again soon, not backed off
    /// for an hour.
    public var isTransient: Bool {
        kind == .transport || code == "SlowDown" || statusCode.map { $0 == 429 || $0 >= 500 } ?? false
    }
}
