import SyncAPI

/// Plans the actions that bring the local folder, the server and the synced tree together.
///
/// Pure: no I/O, no clock (the policy carries `now`), no randomness. Which side changed an item
/// is read against the synced tree (the merge base). Moves are detected by identity (file id
/// remotely; locally the inode, and for a file the same content too, since inodes are reused)
/// and planned as one move, folders included; everything else is
/// decided path by path, with the rule that a version changed on one side is never deleted
/// because of the other: both changed means keep both.
///
/// - Parameter syncedFileCount: the files in the whole synced tree, for the brake, when the
///   trees given are only part of the folder (counted from `synced` when nil).
public func plan(local: LocalTree, remote: RemoteTree, synced: SyncedTree, policy: SyncPolicy, syncedFileCount: Int? = nil) -> Plan {
    var planner = Planner(local: local, remote: remote, synced: synced, policy: policy, syncedFileCount: syncedFileCount)
    return planner.run()
}

/// The working state of one planning pass: the three trees as the planned moves and conflict
/// renames will have left them, and the actions so far.
struct Planner {
    var local: LocalTree
    var remote: RemoteTree
    var synced: SyncedTree
    let policy: SyncPolicy
    let syncedFileCount: Int

    var moves: [SyncAction] = []
    var conflicts: [SyncAction] = []
    /// The unsettled paths the conflict check found, for the merge when no conflict changed
    /// the trees in between (``unsettledPaths()`` walks all three trees).
    var unsettled: [RelativePath]?

    init(local: LocalTree, remote: RemoteTree, synced: SyncedTree, policy: SyncPolicy, syncedFileCount: Int? = nil) {
        self.local = local
        self.remote = remote
        self.synced = synced
        self.policy = policy
        if let syncedFileCount {
            self.syncedFileCount = syncedFileCount
        } else {
            var files = 0
            for entry in synced.entries.values where entry.kind == .file { files += 1 }
            self.syncedFileCount = files
        }
    }

    mutating func run() -> Plan {
        // A settled path is where it was on both sides, with its identity: only unsettled
        // synced paths can have moved. When no move was found the trees are as they came, and
        // the conflict check and the merge walk the same unsettled paths.
        let before = unsettledPaths()
        if !planMoves(candidates: before.filter { synced[$0] != nil }) { unsettled = before }
        if policy.mode == .sync { planConflicts() }
        return merge()
    }

    // MARK: Moves

    /// A move seen on one or both sides, from a synced path.
    struct Move {
        var from: RelativePath
        var toLocal: RelativePath?
        var toRemote: RelativePath?
    }

    /// Finds moves by identity, keeps only the outermost of nested ones (a moved folder's
    /// contents move with it), and plans each as one action on the other side when that side
    /// still has the item where it was and nothing in the way. A move that cannot be planned
    /// so is left to the path-by-path merge, which sees a deletion and a creation: slower, never
    /// lossy.
    /// - Parameter candidates: the synced paths that may have moved (every unsettled one).
    /// - Returns: whether any move was found (the trees may have changed).
    mutating func planMoves(candidates: [RelativePath]) -> Bool {
        // ext4 hands a freed inode to the next file created, anywhere: a file at a new path
        // with a synced file's inode is that file moved only if its content is the same too.
        // A folder keeps its inode through a rename whatever happens inside it.
        let localMoves = Self.outermost(
            Self.detectMoves(
                synced: synced,
                candidates: candidates,
                identity: { $0.inode },
                current: local.entries,
                currentIdentity: { $0.inode },
                sameItem: Self.sameLocalItem
            )
        )
        let remoteMoves =
            policy.mode == .sync
            ? Self.outermost(
                Self.detectMoves(
                    synced: synced,
                    candidates: candidates,
                    identity: { $0.fileId },
                    current: remote.entries,
                    currentIdentity: { $0.fileId },
                    sameItem: { _, _ in true }
                )
            )
            : [:]
        // Folders that are themselves move destinations are never created in place of the move.
        let destinations = Set(localMoves.values).union(remoteMoves.values)
        var pending: [Move] = Set(localMoves.keys).union(remoteMoves.keys).map {
            Move(from: $0, toLocal: localMoves[$0], toRemote: remoteMoves[$0])
        }
        pending.sort { ($0.from.depth, $0.from) < ($1.from.depth, $1.from) }
        let found = !pending.isEmpty

        // A move waits while the side that carries it out still has, at its destination or at a
        // folder above it, an item another pending move takes away: that move goes first (and
        // the folder replacing it is created), so nothing is moved into an item on its way out.
        // Passes repeat while one makes progress; moves still waiting (a cycle, such as swapped
        // names) are left to the path-by-path merge.
        var progress = true
        while progress {
            progress = false
            var index = 0
            while index < pending.count {
                if Self.waits(pending[index], for: pending) {
                    index += 1
                    continue
                }
                let move = pending.remove(at: index)
                progress = true
                planMove(move, &pending, destinations: destinations)
            }
        }
        return found
    }

    /// The side that carries a move out, and the path there that the move leaves and the one it fills.
    private static func footprint(_ move: Move) -> (onLocal: Bool, from: RelativePath, to: RelativePath)? {
        switch (move.toLocal, move.toRemote) {
        case (let l?, let r?): l == r ? nil : (true, l, r)
        case (let l?, nil): (false, move.from, l)
        case (nil, let r?): (true, move.from, r)
        case (nil, nil): nil
        }
    }

    /// Whether another pending move first takes away the item at the move's destination or at a folder above it.
    private static func waits(_ move: Move, for pending: [Move]) -> Bool {
        guard let mine = footprint(move) else { return false }
        return pending.contains { other in
            guard let theirs = footprint(other), theirs.onLocal == mine.onLocal, theirs.from != mine.from else { return false }
            return mine.to == theirs.from || mine.to.isInside(theirs.from)
        }
    }

    /// Plans one move as an action on the side that has not made it yet (or records it when both
    /// made it alike), or leaves it to the merge when that side no longer allows it.
    private mutating func planMove(_ move: Move, _ pending: inout [Move], destinations: Set<RelativePath>) {
        guard let base = synced[move.from] else { return }
        // A destination the merge base still holds is left to the path-by-path merge.
        if let l = move.toLocal, synced[l] != nil { return }
        if let r = move.toRemote, synced[r] != nil { return }
        switch (move.toLocal, move.toRemote) {
        case (let l?, let r?) where l == r:
            moves.append(.recordMove(from: move.from, to: l))
            synced.move(move.from, to: l)
            rebase(&pending, synced: (move.from, l))
        case (let l?, let r?):
            // Moved to two places: the server's move wins, the local item follows it.
            guard local[l]?.inode == base.inode, local[r] == nil, !r.isInside(l), makeParent(of: r, local: true, avoiding: destinations) else {
                return
            }
            moves.append(.moveLocal(from: l, to: r))
            local.move(l, to: r)
            synced.move(move.from, to: r)
            rebase(&pending, synced: (move.from, r), local: (l, r))
        case (let l?, nil):
            guard remote[move.from]?.fileId == base.fileId, remote[l] == nil, !l.isInside(move.from),
                makeParent(of: l, local: false, avoiding: destinations)
            else { return }
            moves.append(.moveRemote(from: move.from, to: l))
            remote.move(move.from, to: l)
            synced.move(move.from, to: l)
            rebase(&pending, synced: (move.from, l), remote: (move.from, l))
        case (nil, let r?):
            guard local[move.from]?.inode == base.inode, local[r] == nil, !r.isInside(move.from),
                makeParent(of: r, local: true, avoiding: destinations)
            else { return }
            moves.append(.moveLocal(from: move.from, to: r))
            local.move(move.from, to: r)
            synced.move(move.from, to: r)
            rebase(&pending, synced: (move.from, r), local: (move.from, r))
        case (nil, nil):
            return
        }
    }

    /// Rewrites the paths of the moves not yet planned after one was.
    private func rebase(
        _ pending: inout [Move],
        synced: (RelativePath, RelativePath)? = nil,
        local: (RelativePath, RelativePath)? = nil,
        remote: (RelativePath, RelativePath)? = nil
    ) {
        func moved(_ path: RelativePath?, _ change: (RelativePath, RelativePath)?) -> RelativePath? {
            guard let path, let (from, to) = change, path == from || path.isInside(from) else { return path }
            return path.rebased(from: from, to: to)
        }
        for i in pending.indices {
            pending[i].from = moved(pending[i].from, synced)!
            pending[i].toLocal = moved(pending[i].toLocal, local)
            pending[i].toRemote = moved(pending[i].toRemote, remote)
        }
    }

    /// Makes sure the folder a move goes into exists on the side that carries the move out. A
    /// folder missing there that the other side just created (a file moved into a new folder)
    /// is created first, as part of the move; anything else missing leaves the move to the
    /// path-by-path merge. The created folders enter the working trees as if already synced.
    private mutating func makeParent(of path: RelativePath, local onLocal: Bool, avoiding destinations: Set<RelativePath>) -> Bool {
        var missing: [RelativePath] = []
        var cursor = path.parent
        while let folder = cursor {
            let here = onLocal ? local[folder].map(\.kind) : remote[folder].map(\.kind)
            if here == .folder { break }
            let there = onLocal ? remote[folder].map(\.kind) : local[folder].map(\.kind)
            guard here == nil, there == .folder, synced[folder] == nil, !destinations.contains(folder) else { return false }
            missing.append(folder)
            cursor = folder.parent
        }
        for folder in missing.reversed() {
            if onLocal {
                let r = remote[folder]!
                moves.append(.createLocalFolder(folder))
                local[folder] = LocalEntry(kind: .folder, inode: 0)
                synced[folder] = SyncedEntry(kind: .folder, contentHash: nil, size: 0, inode: 0, fileId: r.fileId, revision: r.revision)
            } else {
                let l = local[folder]!
                let planned = "planned:" + folder.string
                moves.append(.createRemoteFolder(folder))
                remote[folder] = RemoteEntry(kind: .folder, fileId: planned, revision: 0)
                synced[folder] = SyncedEntry(kind: .folder, contentHash: nil, size: 0, inode: l.inode, fileId: planned, revision: 0)
            }
        }
        return true
    }

    /// Whether a local item with a synced item's inode is that item: a folder always, a file
    /// only with the same size and content. A file renamed and then changed before the scan is
    /// therefore a deletion and a creation (the old version goes to the server's trash, the new
    /// one is uploaded): nothing is lost, and no upload is based on a revision the move made stale.
    static func sameLocalItem(_ base: SyncedEntry, _ entry: LocalEntry) -> Bool {
        entry.kind == .folder || (entry.size == base.size && entry.contentHash != nil && entry.contentHash == base.contentHash)
    }

    /// Synced paths (of `candidates`) whose identity now lives at another path, of the same
    /// kind, where `sameItem` agrees that the entry there is the synced one.
    static func detectMoves<Entry, ID: Hashable>(
        synced: SyncedTree,
        candidates: [RelativePath],
        identity: (SyncedEntry) -> ID,
        current: [RelativePath: Entry],
        currentIdentity: (Entry) -> ID,
        sameItem: (SyncedEntry, Entry) -> Bool
    ) -> [RelativePath: RelativePath] where Entry: KindedEntry {
        // The identity map is built when the first synced item is not at its path with its
        // identity (moved, deleted, replaced): in most passes none is, and it is never built.
        var index: (byIdentity: [ID: RelativePath], ambiguous: Set<ID>)?
        func identities() -> (byIdentity: [ID: RelativePath], ambiguous: Set<ID>) {
            if let index { return index }
            var byIdentity: [ID: RelativePath] = [:]
            var ambiguous: Set<ID> = []
            for (path, entry) in current {
                let id = currentIdentity(entry)
                if byIdentity.updateValue(path, forKey: id) != nil { ambiguous.insert(id) }  // hard links
            }
            index = (byIdentity, ambiguous)
            return (byIdentity, ambiguous)
        }
        var moves: [RelativePath: RelativePath] = [:]
        for path in candidates {
            guard let base = synced[path] else { continue }
            let id = identity(base)
            if let here = current[path], currentIdentity(here) == id, here.kind == base.kind { continue }
            let (byIdentity, ambiguous) = identities()
            guard !ambiguous.contains(id), let destination = byIdentity[id], destination != path,
                let there = current[destination], there.kind == base.kind, sameItem(base, there)
            else { continue }
            moves[path] = destination
        }
        return moves
    }

    /// Drops moves that only follow a moved ancestor folder.
    static func outermost(_ moves: [RelativePath: RelativePath]) -> [RelativePath: RelativePath] {
        moves.filter { from, to in
            !from.ancestors.contains { ancestor in
                guard let ancestorTo = moves[ancestor] else { return false }
                return from.rebased(from: ancestor, to: ancestorTo) == to
            }
        }
    }

    // MARK: Conflicts

    /// Where both sides changed an item in different ways, the local version moves aside to a
    /// conflicted copy (a folder with everything in it), freeing the path for the remote one.
    mutating func planConflicts() {
        let paths = unsettled ?? unsettledPaths()
        // A conflict moves the local version aside: the merge must look at the trees again.
        defer { unsettled = conflicts.isEmpty ? paths : nil }
        for path in paths {
            guard let l = local[path] else { continue }
            let r = remote[path]
            let s = synced[path]
            let lc = Self.change(kind: l.kind, hash: l.contentHash, base: s)
            let rc = Self.change(kind: r?.kind, hash: r?.contentHash, base: s)
            let bothNew =
                lc.isNewVersion && rc.isNewVersion
                && !(l.kind == r!.kind && (l.kind == .folder || l.contentHash == r!.contentHash))
            // A folder turned into a file on one side while the other side changed something
            // inside it: replacing the folder would delete those changes.
            let replacedOverChanges =
                (rc == .replaced && l.kind == .folder && hasNewVersion(inside: path, local: true))
                || (lc == .replaced && l.kind == .file && hasNewVersion(inside: path, local: false))
            guard bothNew || replacedOverChanges else { continue }
            let copy = ConflictName.copy(of: path, host: policy.hostName, at: policy.now, timeZone: policy.timeZone) { candidate in
                local[candidate] != nil || remote[candidate] != nil || synced[candidate] != nil
            }
            conflicts.append(.keepBothConflict(path, copy: copy))
            local.move(path, to: copy)
        }
    }

    /// Whether one side holds a new version (created, modified, replaced) strictly inside `folder`.
    func hasNewVersion(inside folder: RelativePath, local isLocal: Bool) -> Bool {
        if isLocal {
            return local.entries.contains { path, entry in
                path.isInside(folder) && Self.change(kind: entry.kind, hash: entry.contentHash, base: synced[path]).isNewVersion
            }
        }
        return remote.entries.contains { path, entry in
            path.isInside(folder) && Self.change(kind: entry.kind, hash: entry.contentHash, base: synced[path]).isNewVersion
        }
    }
}

/// Entries that have a kind, for move detection over either side's tree.
protocol KindedEntry {
    var kind: ItemKind { get }
}

extension LocalEntry: KindedEntry {}
extension RemoteEntry: KindedEntry {}
