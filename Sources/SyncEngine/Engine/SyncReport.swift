/// What one sync pass did.
public struct SyncReport: Sendable {
    /// Steps that finished.
    public var done: [SyncAction] = []
    /// The same, with how long each took, the bytes moved (transfers) and the server's
    /// revision of the item afterwards.
    public var steps: [Step] = []

    public struct Step: Sendable {
        public var action: SyncAction
        public var duration: Duration
        public var bytes: Int64?
        public var remoteRevision: Int64?
    }
    /// Steps that failed, with why; they are retried on a later pass after a backoff.
    public var failed: [(action: SyncAction, error: String)] = []
    /// Steps skipped because their path waits for a retry.
    public var deferred: [SyncAction] = []
    /// Set when the mass-delete brake held deletions back.
    public var brake: BrakeReport?
    /// What the scan skipped (links, special files, bad names).
    public var scanProblems: [ScanProblem] = []

    /// Whether the pass found nothing to do and nothing is held or failing.
    public var isIdle: Bool { done.isEmpty && failed.isEmpty && deferred.isEmpty && brake == nil }
}
