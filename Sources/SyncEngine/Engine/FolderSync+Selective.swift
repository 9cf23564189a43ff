import Foundation
import Glibc
import Logging
import SyncAPI
import Synchronization

/// Selective sync: folders this device does not keep (``Configuration/excludedFolders``).
///
/// An excluded folder is in one of two states, which the journal tells apart:
/// - **Leaving** (the local or synced tree still holds rows inside it): it syncs as before, except
///   that the planner sees nothing of it the folder lacks. Nothing there is downloaded, and a
///   local copy removed by hand is not a deletion on the server. Once every local item inside is
///   on the server as it is, and the folder is still as the pass scanned it, its local and synced
///   rows are dropped in one transaction: it is excluded.
/// - **Excluded**: hidden on both sides as an ignored path is (``IgnoreRules/excluding(_:)``).
///   A local folder at its path — the copy just left, one that a crash kept after its rows
///   went, or one made again by hand — is scanned. If every file in it is the file the server
///   holds at that path, it is deleted, each file only if unchanged since that scan. Otherwise
///   it is renamed "NAME (selective sync conflict)" and syncs under that name: nothing is merged
///   into the excluded folder, and nothing is lost.
///
/// Nothing is ever deleted on the server for an exclusion; including the folder again
/// downloads it (the journal's remote tree kept it all along).
extension FolderSync {
    struct Exclusions {
        /// The ignore rules with the excluded folders hidden.
        var rules: IgnoreRules
        /// The rules alone: how the content of a folder that leaves is judged.
        var base: IgnoreRules
        /// Excluded folders whose local copy is still leaving.
        var leaving: [RelativePath]
        /// Local folders renamed out of an excluded folder's way this pass.
        var renamed: [RelativePath]
    }

    /// The pass's rules, after finishing what can be finished: a leaving folder fully on the
    /// server is excluded now, and the local copy at an excluded folder's path is removed (or
    /// renamed). A dry run changes nothing.
    func exclusions(dryRun: Bool) throws -> Exclusions {
        let base = FolderScanner.loadIgnoreRules(root: configuration.root)
        var exclusions = Exclusions(rules: base, base: base, leaving: [], renamed: [])
        var excluded: [RelativePath] = []
        for folder in Self.outermost(try configuration.excludedFolders()) {
            // Inside an ignored folder: nothing there syncs anyway, and nothing is touched.
            if base.hides(folder, isFolder: true) {
                excluded.append(folder)
                continue
            }
            if try journal.holdsLocalCopy(of: folder) {
                let finished = try !dryRun && finishLeaving(folder, base: base)
                if !finished {
                    exclusions.leaving.append(folder)
                    continue
                }
            }
            excluded.append(folder)
            if !dryRun, let renamed = clearLocalCopy(folder, base: base) { exclusions.renamed.append(renamed) }
        }
        exclusions.rules = base.excluding(excluded)
        return exclusions
    }

    /// Folders none of which is inside another, the root left out.
    static func outermost(_ folders: [RelativePath]) -> [RelativePath] {
        var out: [RelativePath] = []
        for folder in Set(folders).sorted() where !out.contains(where: { folder.isInside($0) }) { out.append(folder) }
        return out
    }

    /// Synced rows of a leaving folder's items the folder no longer holds (deleted or moved out
    /// by hand): they are forgotten, so that they are never planned as deletions on the server,
    /// now or once the folder is included again (then they download).
    static func forgettingWhatLeft(_ leaving: [RelativePath], local: LocalTree, synced: inout SyncedTree, refresh: inout JournalChange) {
        for folder in leaving {
            for path in synced.subtree(folder) where local[path] == nil {
                synced[path] = nil
                refresh.synced[path] = .some(nil)
            }
        }
    }

    /// In a leaving folder the planner sees only what the folder holds: what the server has
    /// there and the folder lacks is neither downloaded nor (once synced) deleted.
    static func hidingWhatLeft(_ leaving: [RelativePath], local: LocalTree, remote: inout RemoteTree, synced: inout SyncedTree) {
        for folder in leaving {
            for path in remote.subtree(folder) where local[path] == nil { remote[path] = nil }
            for path in synced.subtree(folder) where local[path] == nil { synced[path] = nil }
        }
    }

    /// Excludes `folder` if every local item in it is on the server as it is and the folder is
    /// still as the journal recorded it: its local and synced rows go, then its local copy.
    /// - Returns: whether it did.
    func finishLeaving(_ folder: RelativePath, base: IgnoreRules) throws -> Bool {
        let trees = try journal.subtree(folder)
        func held(_ why: String) -> Bool {
            leavingHolds.withLock { $0[folder] = why }
            return false
        }
        for (path, entry) in trees.local.entries.sorted(by: { $0.key < $1.key }) {
            guard let synced = trees.synced[path], let remote = trees.remote[path], synced.kind == entry.kind,
                synced.contentHash == entry.contentHash, synced.inode == entry.inode, remote.kind == synced.kind,
                remote.fileId == synced.fileId, remote.revision == synced.revision, remote.contentHash == synced.contentHash
            else { return held("\(path) is not on the server as it is here yet") }
        }
        guard let scan = try? FolderScanner(root: configuration.root, ignore: base).scan(subtree: folder, previous: trees.local) else {
            return held("\(folder) cannot be read")
        }
        if let problem = scan.problems.first(where: Self.blocks) { return held(problem.description) }
        guard scan.tree.entries == trees.local.entries else { return held("\(folder) changed since the last scan") }
        leavingHolds.withLock { $0[folder] = nil }
        var change = JournalChange()
        for path in trees.local.paths { change.local[path] = .some(nil) }
        for path in trees.synced.paths { change.synced[path] = .some(nil) }
        try journal.apply(change)
        logger.notice(
            "\(folder) is excluded from this device: everything in it is on the server, and its local copy is removed",
            metadata: ["folder": "\(configuration.root)"]
        )
        _ = clearLocalCopy(folder, base: base, scanned: scan.tree)
        return true
    }

    /// Whether a scan problem keeps a folder from being judged: an item that could not be read,
    /// or changed while read. Links, special files and names that are not UTF-8 never sync; they
    /// stay, and so do the folders holding them.
    static func blocks(_ problem: ScanProblem) -> Bool {
        problem.kind == .unreadable || problem.kind == .changing
    }

    /// Removes what is at an excluded folder's path when the server holds every file there as
    /// it is, and renames it out of the way otherwise. A folder the server lacks altogether is
    /// left alone: excluded, it is not synced, as an ignored one. Failures are logged, never
    /// thrown: one folder that cannot be cleared does not stop the pass.
    /// - Parameter scanned: the folder as just scanned (nil: scanned here).
    /// - Returns: the new name, when it was renamed.
    func clearLocalCopy(_ folder: RelativePath, base: IgnoreRules, scanned: LocalTree? = nil) -> RelativePath? {
        let metadata: Logger.Metadata = ["folder": "\(configuration.root)"]
        do {
            let local = try LocalFolder(root: configuration.root)
            guard (try? local.status(folder)) != nil else { return nil }
            let remote = try journal.subtree(folder).remote
            guard !remote.entries.isEmpty else { return nil }
            let tree: LocalTree
            if let scanned {
                tree = scanned
            } else {
                let scan = try FolderScanner(root: configuration.root, ignore: base).scan(subtree: folder, previous: LocalTree())
                if let problem = scan.problems.first(where: Self.blocks) {
                    logger.notice("\(folder) is excluded, but its local copy cannot be judged (\(problem)): left as it is", metadata: metadata)
                    return nil
                }
                tree = scan.tree
            }
            let isCopy = tree.entries.allSatisfy { path, entry in
                entry.kind == .folder || (remote[path]?.kind == .file && remote[path]?.contentHash == entry.contentHash)
            }
            guard isCopy else {
                let target = try freeConflictName(for: folder, in: local)
                try local.move(folder, to: target)
                logger.warning(
                    "\(folder) is excluded from this device, but the folder there holds files the server does not have: renamed to \(target), which syncs",
                    metadata: metadata
                )
                return target
            }
            var kept = 0
            // Deepest first: a folder's content goes before it.
            for path in tree.paths.sorted(by: >) {
                let entry = tree[path]!
                do {
                    // Unchanged since the scan, its ctime too (a rewrite in place that keeps the
                    // size and mtime still moves it).
                    if entry.kind == .file, let now = try local.status(path), now.ctimeNs != entry.ctimeNs {
                        throw LocalFileError(.changedSinceScan, "\(path) changed since the last scan")
                    }
                    try local.remove(path, scanned: entry)
                } catch {
                    // Changed since the scan (it stays, and is judged again next pass), or a
                    // folder holding ignored items.
                    kept += 1
                    if entry.kind == .file { logger.notice("\(path) is kept: \(error)", metadata: metadata) }
                }
            }
            let files = tree.entries.values.filter { $0.kind == .file }
            if !files.isEmpty {
                let freed = ByteCount.human(files.reduce(0) { $0 + $1.size })
                let left = kept > 0 ? "; \(kept) items kept" : ""
                logger.notice("\(folder): local copy of an excluded folder removed (\(files.count) files, \(freed))\(left)", metadata: metadata)
            }
        } catch {
            logger.error("\(folder) is excluded, but its local copy could not be cleared: \(error)", metadata: metadata)
        }
        return nil
    }

    /// "NAME (selective sync conflict)", or with a number, free both in the folder and on the server.
    private func freeConflictName(for folder: RelativePath, in local: LocalFolder) throws -> RelativePath {
        for n in 1...1000 {
            let name = folder.name + (n == 1 ? " (selective sync conflict)" : " (selective sync conflict \(n))")
            guard let candidate = RelativePath(folder.parent.map { $0.string + "/" + name } ?? name) else { break }
            if (try? local.status(candidate)) == nil, try journal.subtree(candidate).remote.entries.isEmpty,
                !((try? configuration.excludedFolders()) ?? []).contains(candidate)
            {
                return candidate
            }
        }
        throw EngineError("no free name beside \(folder) for its selective sync conflict")
    }
}
