import SyncAPI

/// A hinted pass on part of the trees: when the journal was settled at the end of the last
/// pass, what a pass over a few changed paths can plan depends only on those paths, what they
/// contain, the folders above them, and where their items' identities are elsewhere. The pass
/// loads that much of the journal (``PartialTrees``) instead of three whole trees, so a change
/// in a folder of a million files costs what it touches.
///
/// The plan is the one the whole trees give (`PartialTreesTests` checks it over random trees
/// and changes). Where that would need more than the rows loaded, the pass reads the whole
/// trees instead: the first pass of a run, a pass after one that left anything unsettled
/// (failed, deferred, held, braked, replanned), pending errors or intents, no change feed,
/// ignore rules changed since the last pass, more than ``partialRootLimit`` subtrees, feed
/// changes or new items to follow, an inode 0; and, once planned, a plan that could brake (the
/// brake weighs the whole synced tree) or that names a conflicted copy (its name must be free
/// in the whole folder).
extension FolderSync {
    /// Past this many subtrees, feed changes or new items the pass reads whole trees (each
    /// costs a few indexed reads; the whole trees cost one sequential read).
    static let partialRootLimit = 1000

    /// The hinted subtrees and what the feed names since the journal's cursor, loaded; nil
    /// trees when the pass must read whole trees (with the feed's answer when it was read, for
    /// the pass to use).
    func startPartial(subtrees: [RelativePath], settledBefore: Bool) async throws -> (trees: PartialTrees?, delta: RemoteDelta?) {
        guard configuration.partialTrees, settledBefore, subtrees.count <= Self.partialRootLimit, try !journal.hasPendingWork(),
            let cursor = try journal.remoteCursor(), let answer = try await remote.changes(after: cursor)
        else { return (nil, nil) }
        // This device's own steps coming back through the feed are no change.
        let delta = try journal.withoutEchoes(answer)
        // The rules file changes what is visible everywhere.
        let rules = RelativePath(unchecked: IgnoreRules.fileName)
        guard delta.changes.count <= Self.partialRootLimit, !subtrees.contains(rules),
            !delta.changes.contains(where: { $0.path == rules || $0.movedFrom == rules })
        else { return (nil, delta) }
        let trees = try journal.read { db -> PartialTrees? in
            var trees = PartialTrees()
            for subtree in subtrees { try trees.include(subtree, db) }
            for change in delta.changes {
                if let path = change.path { try trees.include(path, db) }
                if let from = change.movedFrom { try trees.include(from, db) }
                try trees.follow(fileId: change.fileId, db)
                if trees.roots.count > Self.partialRootLimit { return nil }
            }
            return trees
        }
        return (trees, delta)
    }

    /// Grows `trees` until every path that is not settled, as the planner will see it (the
    /// folder as scanned, the feed applied), has its subtree loaded and every identity found
    /// there looked up. Returns false past ``partialRootLimit`` subtrees.
    ///
    /// - Parameter scanned: the subtrees the pass scanned, and what it found there (elsewhere
    ///   the pass sees the folder as the journal has it).
    func closePartial(_ trees: inout PartialTrees, scanned: (subtrees: [RelativePath], tree: LocalTree), delta: RemoteDelta) throws -> Bool {
        func isScanned(_ path: RelativePath) -> Bool { scanned.subtrees.contains { path == $0 || path.isInside($0) } }
        return try journal.read { db -> Bool in
            var examined = 0
            repeat {
                examined = trees.roots.count
                let remote = delta.applied(to: trees.remote).tree
                var paths = Set(trees.local.paths)
                paths.formUnion(scanned.tree.paths)
                paths.formUnion(trees.remote.paths)
                paths.formUnion(remote.paths)
                paths.formUnion(trees.synced.paths)
                for path in paths {
                    let l = isScanned(path) ? scanned.tree[path] : trees.local[path]
                    let r = remote[path]
                    let s = trees.synced[path]
                    if Planner.isSettled(local: l, remote: r, synced: s) { continue }
                    try trees.include(path, db)
                    for inode in [l?.inode, s?.inode, trees.local[path]?.inode] {
                        // Inode 0 (some FUSE filesystems) identifies nothing: the whole trees.
                        guard let inode else { continue }
                        if inode == 0 { return false }
                        try trees.follow(inode: inode, db)
                    }
                    for fileId in [r?.fileId, s?.fileId, trees.remote[path]?.fileId] { if let fileId { try trees.follow(fileId: fileId, db) } }
                    if trees.roots.count > Self.partialRootLimit { return false }
                }
            } while trees.roots.count != examined
            return true
        }
    }

    /// Looks up where the journal holds each inode (a moved item's source). Returns false
    /// when the whole trees serve better (many new items, an inode 0).
    func followInodes(_ inodes: Set<UInt64>, in trees: inout PartialTrees) throws -> Bool {
        guard inodes.count <= Self.partialRootLimit, !inodes.contains(0) else { return false }
        return try journal.read { db -> Bool in
            for inode in inodes {
                try trees.follow(inode: inode, db)
                if trees.roots.count > Self.partialRootLimit { return false }
            }
            return true
        }
    }
}
