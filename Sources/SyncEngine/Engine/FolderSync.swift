import Concurrently
public import Foundation
public import Logging
import SyncAPI
import Synchronization

/// The engine for one folder: scan, fetch the remote state, plan, check the brake, execute
/// through the remote port, journal every finished step.
///
/// A pass starts from what the journal and the two sides say now, never from memory, so a
/// pass abandoned at any instant (a crash, `kill -9`) is followed by one that converges.
public final class FolderSync: Sendable {
    /// Where a test may stop a pass dead, as a crash would.
    public enum FaultPoint: Sendable {
        /// The step is about to touch the server or the folder.
        case beforeStep
        /// The step is done on the server or in the folder, not yet in the journal.
        case beforeJournal
    }

    public typealias FaultInjector = @Sendable (SyncAction, FaultPoint) throws -> Void

    public let configuration: Configuration
    let journal: Journal
    let remote: any RemotePort
    let logger: Logger
    let faults: FaultInjector?
    let allowMassDelete = Atomic<Bool>(false)
    let progressState = Mutex(PassProgress())
    /// What was held last pass (``SyncReport/held``), so that each is logged once, not each pass.
    let heldLastPass = Mutex<Set<String>>([])
    /// Paths planned again at once in consecutive passes (``replan(_:after:state:report:)``).
    let replanStreak = Mutex<[RelativePath: Int]>([:])
    /// The block digests of what the scans hashed, for the uploads that follow (memory only).
    let blockDigests = BlockDigestCache()
    /// Whether the last pass ended with nothing unsettled that it knew of (nothing failed,
    /// deferred, held, braked or replanned): the next hinted pass may then load only what it
    /// touches.
    let settledAfterLastPass = Atomic<Bool>(false)
    /// The ignore rules' text at the last pass.
    let lastIgnoreText = Mutex<String?>(nil)
    /// What keeps each leaving excluded folder's local copy here, as the last try found.
    let leavingHolds = Mutex<[RelativePath: String]>([:])

    /// Why `folder` (excluded, its local copy still here) has not left yet: the first item in
    /// it the server lacks, or one that cannot be read; nil when nothing was found holding it.
    public func leavingHold(_ folder: RelativePath) -> String? {
        leavingHolds.withLock { $0[folder] }
    }

    /// Where the current (or last) pass is: for status displays.
    public struct PassProgress: Sendable, Equatable {
        /// A pass is running.
        public var running = false
        /// Steps the running pass planned, and how many of them ended (done or failed).
        public var planned = 0
        public var ended = 0
    }

    public var progress: PassProgress { progressState.withLock { $0 } }

    public init(
        configuration: Configuration,
        journal: Journal,
        remote: any RemotePort,
        logger: Logger = Logger(label: "syncd.engine"),
        faults: FaultInjector? = nil
    ) {
        self.configuration = configuration
        self.journal = journal
        self.remote = remote
        self.logger = logger
        self.faults = faults
    }

    /// Lets the next pass carry out deletions the brake held (`syncd resume --allow-deletes`).
    public func allowHeldDeletions() {
        allowMassDelete.store(true, ordering: .relaxed)
    }

    /// One full pass. Throws when the folder itself is unusable (gone, not a folder) or the
    /// server cannot be listed; a failing step is recorded and retried later instead.
    ///
    /// - Parameter scope: what to rescan locally: everything, or only the subtrees the watcher
    ///   hinted at (the rest of the local tree is taken from the journal).
    /// - Parameter dryRun: plan only (`syncd run --dry-run`): the folder, the server and the
    ///   journal are read, never changed; the plan is in ``SyncReport/planned``.
    public func pass(scope: RescanCoalescer.Request = .root, now: Date = Date(), dryRun: Bool = false) async throws -> SyncReport {
        try await pass(scope: scope, now: now, dryRun: dryRun, mayReadPart: true)
    }

    /// - Parameter mayReadPart: false when the pass must read the whole trees (it is the
    ///   second try of one that could not finish on part of them).
    private func pass(scope: RescanCoalescer.Request, now: Date, dryRun: Bool, mayReadPart: Bool) async throws -> SyncReport {
        progressState.withLock { $0 = PassProgress(running: true) }
        defer { progressState.withLock { $0.running = false } }
        // A dry run leaves it as it is; any other pass sets it again only if it ends settled.
        let settledBefore = dryRun ? settledAfterLastPass.load(ordering: .relaxed) : settledAfterLastPass.exchange(false, ordering: .relaxed)
        // A folder and a server as the journal left them need no trees at all.
        var prefetched: RemoteDelta?
        // Excluded folders: what leaves now, and the rules that hide what left.
        let exclusions = try exclusions(dryRun: dryRun)
        let ignore = exclusions.rules
        var scope = scope
        if case .subtrees(let subtrees) = scope {
            // Nothing under an excluded folder is looked at; a folder renamed out of its way is.
            let kept = subtrees.filter { path in !ignore.excluded.contains { path == $0 || path.isInside($0) } }
            scope = .subtrees(kept + exclusions.renamed.filter { path in !kept.contains { path == $0 || path.isInside($0) } })
        }
        if case .root = scope, configuration.quickCheck, exclusions.leaving.isEmpty {
            switch try await quickCheck(now: now, dryRun: dryRun, ignore: ignore) {
            case .settled(let report):
                if !dryRun { settledAfterLastPass.store(true, ordering: .relaxed) }
                return report
            case .changed(let delta): prefetched = delta
            }
        }
        var report = SyncReport()
        // Files still under the legacy hash are rehashed by a full scan (HashUpgrade).
        scope = try journal.legacyLocalHashes().isEmpty ? scope : .root
        report.scope = scope
        // Rules changed since the last pass change what is visible anywhere in the trees.
        let sameRules = lastIgnoreText.withLock { last in
            defer { if !dryRun { last = ignore.key } }
            return last == ignore.key && exclusions.leaving.isEmpty
        }
        // A hinted pass after a settled one reads only what it touches (nil: whole trees).
        var partial: PartialTrees?
        if case .subtrees(let subtrees) = scope {
            let start = try await startPartial(subtrees: subtrees, settledBefore: settledBefore && mayReadPart && sameRules)
            partial = start.trees
            prefetched = start.delta ?? prefetched
        }
        var previous = try partial.map { (local: $0.local, remote: $0.remote, synced: $0.synced) } ?? journal.trees()
        let scanner = FolderScanner(root: configuration.root, ignore: ignore, digests: blockDigests)
        var refresh = JournalChange()
        var localTree: LocalTree
        // What this pass looked at in the folder (nil: all of it).
        var scannedSubtrees: [RelativePath]?
        switch scope {
        case .root:
            let scan = try scanner.scan(previous: previous.local)
            for temporary in scan.staleTemporaries where !dryRun { try LocalFolder(root: configuration.root).removeTemporary(temporary) }
            report.scanProblems = scan.problems
            refresh.replaceLocal(under: nil, with: scan.tree, previous: previous.local)
            localTree = scan.tree
        case .subtrees(let subtrees):
            localTree = previous.local
            var scanned: [RelativePath] = []
            var arrived = Set<UInt64>()
            func rescan(_ subtree: RelativePath) throws {
                let scan = try scanner.scan(subtree: subtree, previous: previous.local)
                report.scanProblems += scan.problems
                for path in localTree.subtree(subtree) { localTree[path] = nil }
                for (path, entry) in scan.tree.entries {
                    localTree[path] = entry
                    if previous.local[path]?.inode != entry.inode { arrived.insert(entry.inode) }
                }
                refresh.replaceLocal(under: subtree, with: scan.tree, previous: previous.local)
                scanned.append(subtree)
            }
            for subtree in subtrees { try rescan(subtree) }
            defer { scannedSubtrees = scanned }
            func isScanned(_ path: RelativePath) -> Bool { scanned.contains { path == $0 || path.isInside($0) } }
            // Rows loaded since `previous` was taken from the partial trees join it, and the
            // folder as the journal has it outside what was scanned.
            func adopt(_ trees: PartialTrees) {
                for (path, entry) in trees.local.entries where previous.local[path] == nil {
                    previous.local[path] = entry
                    if !isScanned(path) { localTree[path] = entry }
                }
                for (path, entry) in trees.remote.entries where previous.remote[path] == nil { previous.remote[path] = entry }
                for (path, entry) in trees.synced.entries where previous.synced[path] == nil { previous.synced[path] = entry }
            }
            // Too much to follow: the whole trees, with what was scanned.
            func wholeTrees() throws {
                var scannedTree = LocalTree()
                for subtree in scanned { for path in localTree.subtree(subtree) { scannedTree[path] = localTree[path] } }
                partial = nil
                previous = try journal.trees()
                localTree = previous.local
                for subtree in scanned { for path in localTree.subtree(subtree) { localTree[path] = nil } }
                for (path, entry) in scannedTree.entries { localTree[path] = entry }
            }
            if var trees = partial {
                if try followInodes(arrived, in: &trees) {
                    adopt(trees)
                    partial = trees
                } else {
                    try wholeTrees()
                }
            }
            // An item new in a rescanned subtree with the inode of an entry outside them was
            // moved from there (or is a hard link). That source may not be hinted yet (a lone
            // IN_MOVED_FROM waits for quiet; a folder made just before the move had no watch
            // yet), and its stale entry would hide the move (the inode seen twice): the pass
            // would upload a new item and delete the old one. Its source is looked at now.
            if !arrived.isEmpty {
                let sources = localTree.entries.compactMap { path, entry in !isScanned(path) && arrived.contains(entry.inode) ? path : nil }
                for source in sources.sorted() where !isScanned(source) { try rescan(source) }
            }
            if var trees = partial, let delta = prefetched {
                var scannedTree = LocalTree()
                for subtree in scanned { for path in localTree.subtree(subtree) { scannedTree[path] = localTree[path] } }
                if try closePartial(&trees, scanned: (scanned, scannedTree), delta: delta) {
                    adopt(trees)
                    partial = trees
                } else {
                    try wholeTrees()
                }
            }
        }
        // The remote side: what changed since the journal's cursor, when the remote can say;
        // the whole tree without a cursor, and on a full pass once the listing interval has
        // passed (which also repairs anything a delta could have missed).
        var fetchedRemote: RemoteTree
        var arrived: [RelativePath]?
        var listingDue = false
        if case .root = scope { listingDue = try isRemoteListingDue(now: now) }
        // The quick check's read of the feed, from the same cursor (nothing else moves it).
        if !listingDue, let known = try journal.remoteCursor(), let delta = try await prefetchedOrChanges(prefetched, after: known) {
            let (tree, rows) = delta.applied(to: previous.remote)
            fetchedRemote = tree
            for (path, row) in rows { refresh.remote[path] = row }
            arrived = Array(rows.keys)
            refresh.remoteCursor = delta.cursor
        } else {
            let (tree, cursor) = try await remote.snapshot()
            refresh.remoteListedAt = now
            fetchedRemote = tree
            refresh.replaceRemote(with: tree, previous: previous.remote)
            refresh.remoteCursor = cursor
        }
        let refused = Self.dropMalformed(&fetchedRemote, arrived: arrived, refresh: &refresh) + remote.refusedPaths.map(HeldPath.init(refused:))
        let (remoteTree, upgradedSynced) = try upgradingHashes(local: localTree, remote: fetchedRemote, synced: previous.synced, refresh: &refresh)
        // Moves of ours the server made while the answer never came (a reset, a crash).
        let moves = MoveIntent.resolve(try journal.moveIntents(), local: localTree, remote: remoteTree, synced: upgradedSynced)
        var syncedTree = moves.synced
        for (path, row) in moves.rows { refresh.synced[path] = row }
        refresh.settledMoves = moves.done
        if !moves.rows.isEmpty {
            logger.info(
                "moves of this device that the server made, their answers lost, are taken as synced: \(moves.rows.keys.sorted().prefix(5))",
                metadata: ["folder": "\(configuration.root)"]
            )
        }
        // Uploads of ours the server committed while the journal missed the answer (a crash).
        let intents = UploadIntent.resolve(try journal.uploadIntents(), local: localTree, remote: remoteTree, synced: syncedTree)
        for (path, entry) in intents.synced {
            syncedTree[path] = entry
            refresh.synced[path] = entry
            logger.info(
                "\(path): the server holds this device's upload (revision \(entry.revision)) that a crash kept from the journal",
                metadata: ["folder": "\(configuration.root)"]
            )
        }
        refresh.settledIntents = intents.done
        // Downloads of ours installed while the journal missed them (a crash).
        let downloads = DownloadIntent.resolve(try journal.downloadIntents(), local: localTree) { path in
            scannedSubtrees.map { $0.contains { path == $0 || path.isInside($0) } } ?? true
        }
        for (path, entry) in downloads.synced {
            syncedTree[path] = entry
            refresh.synced[path] = entry
            logger.info(
                "\(path): the folder holds this device's download (revision \(entry.revision)) that a crash kept from the journal",
                metadata: ["folder": "\(configuration.root)"]
            )
        }
        refresh.settledDownloads = downloads.done
        Self.forgettingWhatLeft(exclusions.leaving, local: localTree, synced: &syncedTree, refresh: &refresh)
        if !dryRun { try journal.apply(refresh) }

        let allowDeletes = allowMassDelete.load(ordering: .relaxed)
        let policy = SyncPolicy(
            mode: configuration.mode,
            brake: configuration.brake,
            allowMassDelete: allowDeletes,
            hostName: configuration.hostName,
            now: now,
            timeZone: configuration.timeZone
        )
        // Ignored paths are left alone on both sides (the scan already left them out locally).
        // On part of the trees the brake cannot weigh deletions against the whole synced tree
        // (as visible through the rules), and a conflicted copy's name must be free in the
        // whole folder: planned with no files at all, a plan that could brake, or one with a
        // conflict, is made again on the whole trees (what this pass learned is in the
        // journal already).
        var visibleRemote = ignore.visible(remoteTree) { $0.kind == .folder }
        var visibleSynced = ignore.visible(syncedTree) { $0.kind == .folder }
        Self.hidingWhatLeft(exclusions.leaving, local: localTree, remote: &visibleRemote, synced: &visibleSynced)
        let plan = SyncEngine.plan(
            local: localTree,
            remote: visibleRemote,
            synced: visibleSynced,
            policy: policy,
            syncedFileCount: partial.map { _ in 0 }
        )
        if partial != nil, plan.brake != nil || plan.actions.contains(where: \.isConflict) {
            return try await pass(scope: scope, now: now, dryRun: dryRun, mayReadPart: false)
        }
        report.partialRows = partial?.rowsRead
        report.brake = plan.brake
        let folder = try LocalFolder(root: configuration.root)
        let (runnable, held) = Self.holdObstructed(plan.actions, folder: folder, remote: remoteTree)
        report.held = refused + held
        reportHeld(report.held)
        if dryRun {
            report.planned = runnable
            return report
        }
        progressState.withLock { $0.planned = runnable.count }
        if let brake = plan.brake {
            logger.warning("mass-delete brake: \(brake)", metadata: ["folder": "\(configuration.root)"])
        } else if allowDeletes {
            allowMassDelete.store(false, ordering: .relaxed)
        }

        let waiting = Dictionary(try journal.errors().map { ($0.path, $0.retryAt) }) { a, _ in a }
        try clearErrors(ofHeld: plan.actions, runnable: runnable, waiting: waiting)
        // A path with nothing left to do (the sides agree now, or it is gone) waits no more:
        // its error would keep the status from `idle` for ever.
        let planned = Set(plan.actions.map(\.primaryPath))
        var settled = JournalChange()
        settled.clearedErrors = waiting.keys.filter { !planned.contains($0) }.sorted()
        if !settled.clearedErrors.isEmpty { try journal.apply(settled) }
        var state = Trees(local: localTree, remote: remoteTree, synced: syncedTree)
        try await execute(runnable, state: &state, waiting: waiting, now: now, folder: folder, report: &report)
        let endsSettled =
            report.failed.isEmpty && report.deferred.isEmpty && report.held.isEmpty && report.brake == nil && report.replan == nil
            && report.replanned.isEmpty
        settledAfterLastPass.store(endsSettled, ordering: .relaxed)
        // A leaving folder whose last local changes this pass sent is excluded now.
        for folder in exclusions.leaving { _ = try finishLeaving(folder, base: exclusions.base) }
        return report
    }

    /// The three trees as the steps done so far left them.
    struct Trees: Sendable {
        var local: LocalTree
        var remote: RemoteTree
        var synced: SyncedTree
    }
}

/// Thrown by a test's fault injector: the pass stops dead, nothing is cleaned up.
public struct SimulatedCrash: Error, Sendable {
    public init() {}
}
