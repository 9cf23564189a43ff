/// What one sync pass did.
public struct SyncReport: Sendable {
    /// Steps that finished.
    public var done: [SyncAction] = []
    /// A dry run's plan: the steps a pass would take, none of them taken.
    public var planned: [SyncAction] = []
    /// The same, with how long each took, the bytes moved (transfers) and the server's
    /// revision of the item afterwards.
    public var steps: [Step] = []

    public struct Step: Sendable {
        public var action: SyncAction
        public var duration: Duration
        public var bytes: Int64?
        public var remoteRevision: Int64?

        public init(action: SyncAction, duration: Duration, bytes: Int64? = nil, remoteRevision: Int64? = nil) {
            self.action = action
            self.duration = duration
            self.bytes = bytes
            self.remoteRevision = remoteRevision
        }
    }
    /// Steps that failed, with why; they are retried on a later pass after a backoff.
    public var failed: [(action: SyncAction, error: String)] = []
    /// Steps the server or the folder answered with news rather than a failure (a 409 with the
    /// item the server has now, a file changed since the scan), with what was said: their paths
    /// are planned again at once, in the pass ``replan`` asks for. No error, no back-off.
    public var replanned: [(action: SyncAction, reason: String)] = []
    /// Set when a step learned something the plan did not know: run this pass now, before
    /// waiting for anything (its local scope; the remote side is in the journal already).
    public var replan: RescanCoalescer.Request?
    /// Steps skipped because their path waits for a retry.
    public var deferred: [SyncAction] = []
    /// Set when the mass-delete brake held deletions back.
    public var brake: BrakeReport?
    /// What the scan skipped (links, special files, bad names).
    public var scanProblems: [ScanProblem] = []
    /// What the pass rescanned: `scanProblems` is complete for these subtrees (or the folder).
    public var scope: RescanCoalescer.Request = .root
    /// Remote items this device does not sync: behind a link in the folder, or at a path that
    /// could name something outside it. Not retried: they wait for the user (or the server).
    public var held: [HeldPath] = []
    /// The quick check found the folder and the server as the journal left them, with nothing
    /// to do: no tree was read, nothing planned.
    public var quick = false
    /// The journal rows the pass planned on when it read only part of the trees
    /// (``FolderSync/startPartial(subtrees:settledBefore:)``); nil: the whole trees.
    public var partialRows: Int?
    public var partial: Bool { partialRows != nil }

    public init() {}

    /// Whether the pass found nothing to do and nothing is held or failing.
    public var isIdle: Bool { done.isEmpty && failed.isEmpty && deferred.isEmpty && brake == nil && replan == nil }
}

/// Remote items held back from this device, and why (see ``SyncReport/held``).
public struct HeldPath: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A symbolic link stands at `path` in the folder.
        case symlink
        /// A FIFO, socket or device stands at `path`.
        case specialFile
        /// The server's path could name something outside the folder (`..`, absolute, NUL,
        /// a name over 255 bytes, over 4096 in all).
        case refusedPath
    }

    /// The link (or the refused path, shown escaped).
    public var path: String
    public var reason: Reason
    /// The steps held (items at or under `path`).
    public var steps: Int
    /// Whether the remote item at `path` is a folder.
    public var remoteIsFolder: Bool

    public init(path: String, reason: Reason, steps: Int, remoteIsFolder: Bool) {
        self.path = path
        self.reason = reason
        self.steps = steps
        self.remoteIsFolder = remoteIsFolder
    }

    /// What happened and what to do, for the log and `syncd status`.
    public var description: String {
        let items = steps == 1 ? "1 remote item" : "\(steps) remote items"
        switch reason {
        case .symlink, .specialFile:
            let what = reason == .symlink ? "a symbolic link" : "a special file (FIFO, socket or device)"
            let remote = remoteIsFolder ? "a folder" : "a file"
            return "\(what) stands where the server has \(remote); \(items) there are not synced to this device "
                + "(nothing is written through it). Move it away or rename it to sync them."
        case .refusedPath:
            return "the server sent a path that cannot be a file in this folder (\"..\", absolute, NUL, a name over "
                + "\(RelativePath.maxComponentBytes) bytes or a path over \(RelativePath.maxBytes)); not synced"
        }
    }
}
