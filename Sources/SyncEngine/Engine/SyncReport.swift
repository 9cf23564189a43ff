/// What one sync pass did.
public struct SyncReport: Sendable {
    /// Steps that finished.
    public var done: [SyncAction] = []
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
