public import S3Client

/// A failure that says nothing about the path it hit: the server or the storage could not be
/// reached, or answered that it is overloaded or down. Such a path is tried again soon (at most
/// ``FolderSync/Configuration/transientRetryCap`` later), however often it failed during the
/// outage: when the network comes back, waiting files go within a minute, not an hour.
public protocol TransientFailure: Error {
    var isTransient: Bool { get }
}

extension S3Error: TransientFailure {
    /// No answer, or S3's 5xx / 429 / SlowDown.
    public var isTransient: Bool {
        kind == .transport || code == "SlowDown" || statusCode.map { $0 == 429 || $0 >= 500 } ?? false
    }
}
