public import Foundation

extension FolderSync {
    public struct Configuration: Sendable {
        /// The synced folder.
        public var root: String
        public var mode: SyncPolicy.Mode
        public var brake: SyncPolicy.DeleteBrake
        /// Names this machine in conflicted copies.
        public var hostName: String
        public var timeZone: TimeZone
        /// Uploads and downloads in flight at once.
        public var transferConcurrency: Int
        /// Retry backoff for a failing path: base * 2^(attempts-1), capped.
        public var retryBase: TimeInterval
        public var retryCap: TimeInterval
        /// The cap for a path whose last failure was a ``TransientFailure``.
        public var transientRetryCap: TimeInterval
        /// How often a full pass reads the whole remote tree instead of the change feed from the
        /// journal's cursor (the feed is exact; the listing is a periodic check of it), in
        /// seconds since the journal last recorded one: a restart within it costs what changed,
        /// not the tree.
        public var remoteListingInterval: TimeInterval = 3600
        /// Whether a full pass first looks for nothing to do without reading any tree
        /// (``FolderSync/quickCheck(now:dryRun:)``); off only to compare it with the planner.
        var quickCheck = true
        /// Whether a hinted pass may plan on part of the trees (``FolderSync/startPartial(subtrees:settledBefore:)``);
        /// off only to compare it with the whole trees.
        var partialTrees = true
        /// Draws the jitter of each retry time (0.5...1; see ``RetrySchedule/retryAt(now:attempts:transient:jitter:)``).
        public var jitter: @Sendable () -> Double = { Double.random(in: 0.5...1) }
        /// Folders this device does not keep (selective sync), read at the start of every pass:
        /// see `FolderSync+Selective.swift`.
        /// A list that cannot be read fails the pass (read as empty, it would bring every
        /// excluded folder back).
        public var excludedFolders: @Sendable () throws -> [RelativePath] = { [] }

        /// When failed steps are tried again.
        public var retry: RetrySchedule { RetrySchedule(base: retryBase, cap: retryCap, transientCap: transientRetryCap) }

        public init(
            root: String,
            mode: SyncPolicy.Mode = .sync,
            brake: SyncPolicy.DeleteBrake = .init(),
            hostName: String,
            timeZone: TimeZone = .current,
            transferConcurrency: Int = 4,
            retryBase: TimeInterval = 5,
            retryCap: TimeInterval = 3600,
            transientRetryCap: TimeInterval = 60
        ) {
            self.root = root
            self.mode = mode
            self.brake = brake
            self.hostName = hostName
            self.timeZone = timeZone
            self.transferConcurrency = max(1, transferConcurrency)
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.transientRetryCap = min(transientRetryCap, retryCap)
        }
    }
}
