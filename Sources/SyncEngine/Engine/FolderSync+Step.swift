import Foundation

/// One step: do it on the server or in the folder, then journal it in one transaction (shared
/// with the steps finishing beside it, ``Journal/commit(_:)``). Every
/// effect in the folder goes through ``LocalFolder`` (no link followed, nothing outside the root).
extension FolderSync {
    typealias StepResult = JournalChange

    func perform(_ action: SyncAction, in t: Trees, folder: LocalFolder) async throws -> StepResult {
        try faults?(action, .beforeStep)
        var change = JournalChange()
        switch action {
        case .upload(let path, let planned):
            guard let l = t.local[path], let hash = l.contentHash else { throw EngineError("no local file at \(path) to upload") }
            // The plan's base is the revision it saw; an earlier step of this pass (a move of the
            // item or its folder) may have given the item a newer one, which is the one to replace.
            let base = planned == nil ? nil : t.remote[path]?.revision ?? planned
            let r = try await folder.withUploadSource(path, scanned: l, digests: blockDigests) { source in
                try await journal.commitUploadIntent(UploadIntent(path: path, contentHash: hash, size: l.size, baseRevision: base))
                return try await remote.upload(source, baseRevision: base)
            }
            try faults?(action, .beforeJournal)
            change.remote[path] = r
            change.synced[path] = Self.merged(l, r)
            change.finishedUploads.append(path)
            change.settledIntents.append((path, nil))

        case .createRemoteFolder(let path):
            guard let l = t.local[path] else { throw EngineError("no local folder at \(path)") }
            let r = try await remote.createFolder(path)
            try faults?(action, .beforeJournal)
            change.remote[path] = r
            change.synced[path] = Self.merged(l, r)

        case .download(let path):
            guard let r = t.remote[path], let hash = r.contentHash else { throw EngineError("no remote file at \(path) to download") }
            let temporary = try folder.makeTemporary(beside: path)
            let l: LocalEntry
            do {
                try await remote.download(path, entry: r, to: temporary.path)
                try await journal.commitDownloadIntent(DownloadIntent(path: path, contentHash: hash, fileId: r.fileId, revision: r.revision))
                l = try folder.install(temporary, at: path, expectedHash: hash, replacing: t.local[path])
            } catch {
                folder.discard(temporary)
                throw error
            }
            try faults?(action, .beforeJournal)
            change.local[path] = l
            change.synced[path] = Self.merged(l, r)
            change.settledDownloads = [path]

        case .createLocalFolder(let path):
            guard let r = t.remote[path] else { throw EngineError("no remote folder at \(path)") }
            let l = try folder.makeFolder(path)
            try faults?(action, .beforeJournal)
            change.local[path] = l
            change.synced[path] = Self.merged(l, r)

        case .moveRemote(let from, let to):
            guard let r = t.remote[from] else { throw EngineError("no remote item at \(from) to move") }
            try journal.recordMoveIntent(MoveIntent(fileId: r.fileId, from: from, to: to, revision: r.revision))
            let moved = try await remote.move(from, to: to, revision: r.revision)
            try faults?(action, .beforeJournal)
            change.settledMoves.append(r.fileId)
            Self.move(t.remote, from: from, to: to, root: moved, into: &change.remote)
            if let base = t.synced.entries.first(where: { $0.value.fileId == r.fileId })?.key {
                change.moveSynced(t.synced, from: base, to: to)
                if var root = change.synced[to] ?? nil {
                    root.revision = moved.revision
                    change.synced[to] = root
                }
            }

        case .moveLocal(let from, let to):
            guard let l = t.local[from] else { throw EngineError("no local item at \(from) to move") }
            try folder.checkUnchanged(from, replacing: l)
            try folder.move(from, to: to)
            try faults?(action, .beforeJournal)
            Self.move(t.local, from: from, to: to, root: l, into: &change.local)
            // An inode can stand in the synced tree twice for a while (a deleted file's, reused
            // by a new one): the synced item is the one the server moved, found by its file id.
            let moved = t.remote[to]?.fileId
            if let base = t.synced.entries.first(where: { $0.value.fileId == moved && $0.value.inode == l.inode })?.key
                ?? t.synced.entries.first(where: { $0.value.inode == l.inode })?.key
            {
                change.moveSynced(t.synced, from: base, to: to)
            }

        case .keepBothConflict(let path, let copy):
            guard let l = t.local[path] else { throw EngineError("no local item at \(path)") }
            try folder.move(path, to: copy)
            try faults?(action, .beforeJournal)
            Self.move(t.local, from: path, to: copy, root: l, into: &change.local)

        case .deleteRemote(let path, _):
            guard let r = t.remote[path] else { throw EngineError("no remote item at \(path) to delete") }
            try await remote.delete(path, revision: r.revision)
            try faults?(action, .beforeJournal)
            for p in t.remote.subtree(path) { change.remote[p] = .some(nil) }
            for p in t.synced.subtree(path) { change.synced[p] = .some(nil) }

        case .deleteLocal(let path, _):
            // Contents first; each item only if it is still exactly what the scan saw.
            for p in t.local.subtree(path).sorted(by: >) {
                guard let l = t.local[p] else { continue }
                try folder.remove(p, scanned: l)
            }
            try faults?(action, .beforeJournal)
            for p in t.local.subtree(path) { change.local[p] = .some(nil) }
            for p in t.synced.subtree(path) { change.synced[p] = .some(nil) }

        case .recordSynced(let path):
            guard let l = t.local[path], let r = t.remote[path] else { throw EngineError("\(path) is not on both sides") }
            change.synced[path] = Self.merged(l, r)

        case .forget(let path):
            change.synced[path] = .some(nil)

        case .recordMove(let from, let to):
            change.moveSynced(t.synced, from: from, to: to)
        }
        change.clearedErrors = [action.primaryPath]
        if let entry = Activity.of(action, at: Date(), from: t, change: change) { change.activity = [entry] }
        try await journal.commit(change)
        return change
    }

    static func merged(_ l: LocalEntry, _ r: RemoteEntry) -> SyncedEntry {
        SyncedEntry(kind: l.kind, contentHash: l.contentHash, size: l.size, inode: l.inode, fileId: r.fileId, revision: r.revision)
    }

    /// Rows for a subtree moved in one tree: old paths deleted, new paths set, the root replaced.
    static func move<E>(_ tree: Tree<E>, from: RelativePath, to: RelativePath, root: E, into rows: inout [RelativePath: E?]) {
        for p in tree.subtree(from) { rows[p] = .some(nil) }
        for p in tree.subtree(from) { rows[p.rebased(from: from, to: to)] = tree[p] }
        rows[to] = root
    }
}

extension JournalChange {
    /// Applies the rows to the in-memory trees, as the journal did.
    func applyInMemory(_ trees: inout FolderSync.Trees) {
        for (path, entry) in local { trees.local[path] = entry }
        for (path, entry) in remote { trees.remote[path] = entry }
        for (path, entry) in synced { trees.synced[path] = entry }
    }
}

/// A step that cannot be carried out as planned.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
