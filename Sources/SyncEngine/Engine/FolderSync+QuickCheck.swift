import Foundation
import Glibc
import SyncAPI
import Synchronization

extension FolderSync {
    /// What the quick check found.
    enum QuickCheck {
        /// The folder and the server are as the journal left them, and the journal has nothing
        /// to do: the pass is over (this report).
        case settled(SyncReport)
        /// Something changed, or the journal has work: a full pass is due. `delta` is what the
        /// server's feed said (read already; nil when it was not read).
        case changed(delta: RemoteDelta?)
    }

    /// Whether a full pass would find nothing to do, found without holding any tree: a restart
    /// (or a periodic rescan) of a folder where nothing changed costs a walk of the folder beside
    /// a read of the journal, both in path order, one item at a time.
    ///
    /// Nothing to do means: the server's feed has no change since the journal's cursor; no
    /// intent, error or hash upgrade waits in the journal; every item the scanner would record
    /// is in the journal's local tree with the same kind, inode, and for a file the same size,
    /// mtime and ctime (the scanner would keep its hash), and nothing else is there; every local
    /// path is settled (synced and remote agree with it); and the synced and remote trees hold
    /// nothing more than what the ignore rules hide. The planner's input is then the journal's
    /// three trees, in which no path is unsettled: its plan is empty.
    ///
    /// Anything else (a difference, a folder that cannot be read, a download's leftover
    /// temporary file, the remote listing being due) is `changed`: the full pass decides.
    /// - Parameter ignore: the pass's rules (nil: the folder's `.syncignore` alone).
    func quickCheck(now: Date, dryRun: Bool, ignore: IgnoreRules? = nil) async throws -> QuickCheck {
        // The scanner refuses a root that is a link (or gone); so does this check, by leaving it
        // to the full pass, which says so.
        var rootInfo = stat()
        guard lstat(configuration.root, &rootInfo) == 0, rootInfo.st_mode & S_IFMT == S_IFDIR else { return .changed(delta: nil) }
        guard try !isRemoteListingDue(now: now), let known = try journal.remoteCursor(), try !journal.hasPendingWork() else {
            return .changed(delta: nil)
        }
        // This device's own steps coming back through the feed are no change.
        guard let delta = try await remote.changes(after: known).map(journal.withoutEchoes) else { return .changed(delta: nil) }
        guard delta.changes.isEmpty else { return .changed(delta: delta) }
        let ignore = ignore ?? FolderScanner.loadIgnoreRules(root: configuration.root)
        let problems: [ScanProblem]
        do {
            let walk = OrderedWalk(folder: try LocalFolder(root: configuration.root), ignore: ignore)
            // The walk runs on a thread of its own, beside this one's read of the journal.
            // Synced or remote paths the folder lacks are news unless the ignore rules hide them.
            let (settled, found) = try walk.runAside { nextItem in
                try journal.readSettled(ignore: ignore) { next in
                    while let row = try next() {
                        guard let (path, entry) = try nextItem(), row.path == path, row.settled, row.kind == entry.kind,
                            row.inode == entry.inode
                        else { return false }
                        if entry.kind == .file {
                            guard row.size == entry.size, row.mtimeNs == entry.mtimeNs, row.ctimeNs == entry.ctimeNs else { return false }
                        }
                    }
                    return try nextItem() == nil
                }
            }
            guard settled else { return .changed(delta: delta) }
            problems = found
        } catch {
            // A difference the walk stopped at, or a folder only a full scan may judge.
            return .changed(delta: delta)
        }
        if !dryRun && delta.cursor != known {
            var refresh = JournalChange()
            refresh.remoteCursor = delta.cursor
            try journal.apply(refresh)
        }
        var report = SyncReport()
        report.scope = .root
        report.quick = true
        report.scanProblems = problems
        report.held = remote.refusedPaths.map(HeldPath.init(refused:))
        reportHeld(report.held)
        if !dryRun {
            replanStreak.withLock { $0 = [:] }
            allowMassDelete.store(false, ordering: .relaxed)
        }
        return .settled(report)
    }

    /// Whether a full pass reads the whole remote tree instead of the feed: after the listing
    /// interval, and when the clock went back past the last listing (a clock set wrong, then
    /// right, must not put the check off for that long).
    func isRemoteListingDue(now: Date) throws -> Bool {
        try journal.remoteListedAt().map {
            let elapsed = now.timeIntervalSince($0)
            return elapsed >= configuration.remoteListingInterval || elapsed < 0
        } ?? true
    }

    /// The feed after `cursor`: the quick check's read of it when there was one.
    func prefetchedOrChanges(_ prefetched: RemoteDelta?, after cursor: String) async throws -> RemoteDelta? {
        if let prefetched { return prefetched }
        return try await remote.changes(after: cursor)
    }
}
