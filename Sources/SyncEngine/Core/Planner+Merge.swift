import SyncAPI

/// The path-by-path merge, after moves and conflict renames, and the mass-delete brake.
extension Planner {
    /// How one side's item at a path differs from the synced base.
    enum Change: Equatable {
        /// Not there, and not in the base either.
        case absent
        case unchanged
        case created
        case modified
        /// Became the other kind (a file where a folder was, or the reverse).
        case replaced
        case deleted

        var isNewVersion: Bool { self == .created || self == .modified || self == .replaced }
    }

    static func change(kind: ItemKind?, hash: String?, base: SyncedEntry?) -> Change {
        switch (kind, base) {
        case (nil, nil): .absent
        case (nil, _?): .deleted
        case (_?, nil): .created
        case (let kind?, let base?):
            kind != base.kind ? .replaced : (kind == .file && hash != base.contentHash ? .modified : .unchanged)
        }
    }

    /// What each path needs, in execution order.
    struct Buckets {
        var replaceDeletes: [SyncAction] = []
        var folderCreates: [(RelativePath, SyncAction)] = []
        var transfers: [(RelativePath, SyncAction)] = []
        var remoteDeletes: [RelativePath: ItemKind] = [:]
        var localDeletes: [RelativePath: ItemKind] = [:]
        var records: [SyncAction] = []
    }

    /// Every path of the three trees, in order, but those settled: the same item, unchanged, on
    /// both sides and in the base (same kind and content, same inode, same file id and revision).
    /// Neither the merge nor the conflict check has anything to do at a settled path, and in a
    /// synced folder nearly every path is settled: sorting only the others keeps a pass over a
    /// big tree from sorting the whole tree.
    /// Whether a path's three rows agree: nothing to plan there.
    static func isSettled(local l: LocalEntry?, remote r: RemoteEntry?, synced s: SyncedEntry?) -> Bool {
        guard let l, let r, let s else { return false }
        return l.kind == s.kind && r.kind == s.kind && l.contentHash == s.contentHash && r.contentHash == s.contentHash && l.inode == s.inode
            && r.fileId == s.fileId && r.revision == s.revision
    }

    func unsettledPaths() -> [RelativePath] {
        var paths: [RelativePath] = []
        for (path, s) in synced.entries where !Self.isSettled(local: local[path], remote: remote[path], synced: s) {
            paths.append(path)
        }
        for path in local.entries.keys where synced[path] == nil { paths.append(path) }
        for path in remote.entries.keys where synced[path] == nil && local[path] == nil { paths.append(path) }
        return paths.sorted()
    }

    mutating func merge() -> Plan {
        var buckets = Buckets()
        for path in unsettled ?? unsettledPaths() {
            if policy.mode == .sync {
                decideSync(path, &buckets)
            } else {
                decideBackup(path, &buckets)
            }
        }
        return assemble(buckets)
    }

    private func decideSync(_ path: RelativePath, _ b: inout Buckets) {
        let l = local[path]
        let r = remote[path]
        let s = synced[path]
        let lc = Self.change(kind: l?.kind, hash: l?.contentHash, base: s)
        let rc = Self.change(kind: r?.kind, hash: r?.contentHash, base: s)
        switch (lc, rc) {
        case (.unchanged, .unchanged):
            if let l, let r, let s, l.inode != s.inode || r.fileId != s.fileId || r.revision != s.revision {
                b.records.append(.recordSynced(path))
            }
        case (.deleted, .deleted):
            b.records.append(.forget(path))
        case (.deleted, .unchanged):
            b.remoteDeletes[path] = r!.kind
        case (.unchanged, .deleted):
            b.localDeletes[path] = l!.kind
        case (let lc, .unchanged) where lc.isNewVersion, (let lc, .absent) where lc.isNewVersion, (let lc, .deleted) where lc.isNewVersion:
            if lc == .replaced, let r { b.replaceDeletes.append(.deleteRemote(path, kind: r.kind)) }
            push(path, l!, over: lc == .replaced ? nil : r, &b)
        case (.unchanged, let rc) where rc.isNewVersion, (.absent, let rc) where rc.isNewVersion, (.deleted, let rc) where rc.isNewVersion:
            if rc == .replaced, let l { b.replaceDeletes.append(.deleteLocal(path, kind: l.kind)) }
            pull(path, r!, &b)
        default:
            // Both hold a new version; after the conflict pass they can only be the same one.
            b.records.append(.recordSynced(path))
        }
    }

    /// Push-only: the server is made to match the folder; remote changes stay where they are.
    private func decideBackup(_ path: RelativePath, _ b: inout Buckets) {
        let l = local[path]
        let r = remote[path]
        let s = synced[path]
        if let l {
            let same = r.map { $0.kind == l.kind && (l.kind == .folder || $0.contentHash == l.contentHash) } ?? false
            if !same {
                if let r, r.kind != l.kind { b.replaceDeletes.append(.deleteRemote(path, kind: r.kind)) }
                push(path, l, over: r?.kind == l.kind ? r : nil, &b)
            } else if let r, s == nil || s!.inode != l.inode || s!.fileId != r.fileId || s!.revision != r.revision || s!.contentHash != l.contentHash
            {
                b.records.append(.recordSynced(path))
            }
        } else if s != nil {
            if let r {
                b.remoteDeletes[path] = r.kind
            } else {
                b.records.append(.forget(path))
            }
        }
    }

    private func push(_ path: RelativePath, _ l: LocalEntry, over r: RemoteEntry?, _ b: inout Buckets) {
        if l.kind == .folder {
            b.folderCreates.append((path, .createRemoteFolder(path)))
        } else {
            b.transfers.append((path, .upload(path, baseRevision: r?.revision)))
        }
    }

    private func pull(_ path: RelativePath, _ r: RemoteEntry, _ b: inout Buckets) {
        if r.kind == .folder {
            b.folderCreates.append((path, .createLocalFolder(path)))
        } else {
            b.transfers.append((path, .download(path)))
        }
    }

    /// Orders the actions, drops deletions covered by a folder's, turns folder deletions that
    /// would take a kept item with them into folder creations, and applies the brake.
    private func assemble(_ b: Buckets) -> Plan {
        var folderCreates = b.folderCreates
        var remoteDeletes = b.remoteDeletes
        var localDeletes = b.localDeletes
        // A folder is deleted only if everything in it is deleted too; otherwise it stays, and
        // the side that deleted it gets it back to hold what the other side kept.
        for (path, kind) in b.remoteDeletes where kind == .folder {
            if remote.subtree(path).allSatisfy({ b.remoteDeletes[$0] != nil }) { continue }
            remoteDeletes[path] = nil
            if policy.mode == .sync { folderCreates.append((path, .createLocalFolder(path))) }
        }
        for (path, kind) in b.localDeletes where kind == .folder {
            if local.subtree(path).allSatisfy({ b.localDeletes[$0] != nil }) { continue }
            localDeletes[path] = nil
            folderCreates.append((path, .createRemoteFolder(path)))
        }
        let replacedFolders = b.replaceDeletes.compactMap { action -> RelativePath? in
            switch action {
            case .deleteRemote(let p, .folder), .deleteLocal(let p, .folder): p
            default: nil
            }
        }
        func covered(_ path: RelativePath, by deletes: [RelativePath: ItemKind]) -> Bool {
            path.ancestors.contains { deletes[$0] == .folder } || replacedFolders.contains { path.isInside($0) }
        }
        let remoteDeletePaths = remoteDeletes.keys.filter { !covered($0, by: remoteDeletes) }
        let localDeletePaths = localDeletes.keys.filter { !covered($0, by: localDeletes) }

        var deletes: [(RelativePath, SyncAction)] =
            remoteDeletePaths.map { ($0, .deleteRemote($0, kind: remoteDeletes[$0]!)) }
            + localDeletePaths.map { ($0, .deleteLocal($0, kind: localDeletes[$0]!)) }
        deletes.sort { $0.0 > $1.0 }  // contents before their folder

        var brake: BrakeReport?
        let remoteFiles = remoteDeletePaths.reduce(0) { sum, path in
            sum + (remoteDeletes[path] == .file ? 1 : remote.subtree(path).filter { remote[$0]?.kind == .file }.count)
        }
        let localFiles = localDeletePaths.reduce(0) { sum, path in
            sum + (localDeletes[path] == .file ? 1 : local.subtree(path).filter { local[$0]?.kind == .file }.count)
        }
        let total = remoteFiles + localFiles
        if !policy.allowMassDelete && total > policy.brake.minCount
            && Double(total) > policy.brake.maxFraction * Double(syncedFileCount)
        {
            brake = BrakeReport(localDeletions: localFiles, remoteDeletions: remoteFiles, syncedFiles: syncedFileCount)
            deletes = []
        }

        folderCreates.sort { $0.0 < $1.0 }
        let transfers = b.transfers.sorted { $0.0 < $1.0 }
        let actions = moves + conflicts + b.replaceDeletes + folderCreates.map(\.1) + transfers.map(\.1) + deletes.map(\.1) + b.records
        return Plan(actions: actions, brake: brake)
    }
}
