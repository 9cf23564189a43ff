import Foundation
import Logging
import SyncAPI
import Synchronization

/// Steps this device does not take: remote items behind a link (or special file) in the folder,
/// and server paths that could name something outside it. They are held before execution and
/// reported once, instead of failing and backing off forever.
extension FolderSync {
    /// Removes from `tree` (and from `refresh`'s rows) every path that is not a path inside the
    /// folder: the remote port may be hostile or wrong.
    /// - Parameter arrived: the paths the remote named this pass, when the rest of `tree` came
    ///   from the journal (which never keeps a malformed path); nil: look at every path.
    static func dropMalformed(_ tree: inout RemoteTree, arrived: [RelativePath]? = nil, refresh: inout JournalChange) -> [HeldPath] {
        let bad = (arrived ?? Array(tree.paths)).filter { !$0.isWellFormed && tree[$0] != nil }
        // Their rows go from the journal too (a delete, not just nothing written).
        for path in bad {
            tree[path] = nil
            refresh.remote[path] = .some(nil)
        }
        for path in refresh.remote.keys where !path.isWellFormed { refresh.remote[path] = .some(nil) }
        return bad.map { HeldPath(refused: $0.string) }
    }

    /// The planned steps split in those to run and those held because a link or special file
    /// stands at or above where they would write.
    static func holdObstructed(_ actions: [SyncAction], folder: LocalFolder, remote: RemoteTree) -> (runnable: [SyncAction], held: [HeldPath]) {
        var cache = LocalFolder.ObstructionCache()
        var runnable: [SyncAction] = []
        var held: [RelativePath: (kind: FileStatus.Kind, steps: Int)] = [:]
        // A later step on a path whose earlier step is held waits too (the download after a
        // held conflict copy would replace the local version that copy was to keep).
        var heldPaths: [RelativePath: LocalFolder.Obstruction] = [:]
        for action in actions {
            var obstruction = heldPaths[action.primaryPath]
            for target in action.localTargets where obstruction == nil {
                obstruction = folder.obstruction(for: target.path, includingItself: target.itself, cache: &cache)
            }
            if let obstruction {
                heldPaths[action.primaryPath] = obstruction
                held[obstruction.path, default: (obstruction.kind, 0)].steps += 1
            } else {
                runnable.append(action)
            }
        }
        let report = held.sorted { $0.key < $1.key }.map { path, value in
            HeldPath(
                path: path.string,
                reason: value.kind == .symlink ? .symlink : .specialFile,
                steps: value.steps,
                remoteIsFolder: remote[path]?.kind == .folder || remote.entries.keys.contains { $0.isInside(path) }
            )
        }
        return (runnable, report)
    }

    /// Logs what is newly held (once: not again each pass while it stays held).
    func reportHeld(_ held: [HeldPath]) {
        let now = Set(held.map { "\($0.path)\u{0}\($0.reason)" })
        let new = heldLastPass.withLock { last in
            defer { last = now }
            return now.subtracting(last)
        }
        for item in held where new.contains("\(item.path)\u{0}\(item.reason)") {
            logger.warning("\(item.path): \(item)", metadata: ["folder": "\(configuration.root)", "path": "\(item.path)"])
        }
    }

    /// A held step is not retried, so a retry error recorded before it was held would stay.
    func clearErrors(ofHeld actions: [SyncAction], runnable: [SyncAction], waiting: [RelativePath: Date]) throws {
        guard actions.count != runnable.count else { return }
        let stale = Set(actions.map(\.primaryPath)).subtracting(runnable.map(\.primaryPath)).filter { waiting[$0] != nil }
        guard !stale.isEmpty else { return }
        var clear = JournalChange()
        clear.clearedErrors = stale.sorted()
        try journal.apply(clear)
    }
}

extension HeldPath {
    /// A server path refused as a path in the folder, shown escaped.
    init(refused raw: String) {
        self.init(path: String(reflecting: String(raw.prefix(300))), reason: .refusedPath, steps: 1, remoteIsFolder: false)
    }
}

extension SyncAction {
    /// Where a step writes in the folder: each path's parents must be real folders, and the
    /// path itself too when `itself` (what a step creates or replaces there).
    var localTargets: [(path: RelativePath, itself: Bool)] {
        switch self {
        case .download(let p), .createLocalFolder(let p): [(p, true)]
        case .moveLocal(let from, let to): [(from, false), (to, true)]
        case .keepBothConflict(let p, let copy): [(p, false), (copy, true)]
        case .deleteLocal(let p, _): [(p, false)]
        case .upload, .createRemoteFolder, .moveRemote, .deleteRemote, .recordSynced, .forget, .recordMove: []
        }
    }
}
