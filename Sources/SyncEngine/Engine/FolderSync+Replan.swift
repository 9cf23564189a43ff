import Logging
import SyncAPI
import Synchronization

/// A step refused with news is planned again at once, not retried after a back-off: a 409 says
/// what the server has now, "changed since the last scan" says the scan is out of date.
extension FolderSync {
    /// Immediate re-plans of one path in consecutive passes before its refusal counts as a
    /// failure (recorded, backed off): a server that keeps answering 409, a file that is
    /// rewritten faster than it can be sent.
    static let replanLimit = 3

    /// Takes in what a refused step learned, when it is news: the server's current item goes
    /// into the remote tree (state and journal, one transaction), and the report asks for
    /// another pass now. Returns false when the error is a failure to record and back off.
    func replan(_ action: SyncAction, after error: any Error, state: inout Trees, report: inout SyncReport) throws -> Bool {
        let path = action.primaryPath
        let request: RescanCoalescer.Request
        var change = JournalChange()
        switch error {
        // A port that names a path that cannot be inside the folder is not news but a failure:
        // the journal never keeps such a path (a delta pass checks only what the feed named).
        case let conflict as RemoteConflict where conflict.currentPath.isWellFormed:
            let at = conflict.currentPath
            if let current = conflict.current {
                // The item may have come from elsewhere (moved there on the server): it is not
                // there any more; and a file has nothing under it.
                for (p, entry) in state.remote.entries where entry.fileId == current.fileId && p != at {
                    for q in state.remote.subtree(p) { change.remote[q] = .some(nil) }
                }
                // The journal's rows too: a pass on part of the trees may not hold them.
                let elsewhere = try journal.read { db in
                    var trees = PartialTrees()
                    try trees.follow(fileId: current.fileId, db)
                    return trees.remote
                }
                for (p, entry) in elsewhere.entries where entry.fileId == current.fileId && p != at {
                    for q in elsewhere.subtree(p) { change.remote[q] = .some(nil) }
                }
                if current.kind != .folder {
                    for p in state.remote.subtree(at) where p != at { change.remote[p] = .some(nil) }
                }
                change.remote[at] = current
            } else {
                for p in state.remote.subtree(at) { change.remote[p] = .some(nil) }
            }
            request = .subtrees([])
        case let local as LocalFileError where local.code == .changedSinceScan:
            request = path.parent.map { .subtrees([$0]) } ?? .root
        default:
            return false
        }
        let streak = replanStreak.withLock { streaks in
            streaks[path, default: 0] += 1
            return streaks[path] ?? 0
        }
        guard streak <= Self.replanLimit else { return false }
        if !change.remote.isEmpty {
            try journal.apply(change)
            change.applyInMemory(&state)
        }
        report.replan = report.replan.map { $0.merged(with: request) } ?? request
        report.replanned.append((action, "\(error)"))
        logger.notice("\(action): \(error); planned again now", metadata: ["folder": "\(configuration.root)"])
        return true
    }
}

extension RescanCoalescer.Request {
    /// What covers both requests.
    func merged(with other: Self) -> Self {
        guard case .subtrees(let mine) = self, case .subtrees(let theirs) = other else { return .root }
        var outermost: [RelativePath] = []
        for folder in Set(mine + theirs).sorted() where !(outermost.last.map { folder == $0 || folder.isInside($0) } ?? false) {
            outermost.append(folder)
        }
        return .subtrees(outermost)
    }
}
