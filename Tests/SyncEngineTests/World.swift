import Foundation
import SyncAPI

@testable import SyncEngine

/// The three trees and an executor of plans over them: an in-memory stand-in for the folder,
/// the server and the journal, with the preconditions the real ones enforce checked on every
/// step (a download needs its folder, a move needs a free destination, ...).
struct World: CustomStringConvertible {
    var local = LocalTree()
    var remote = RemoteTree()
    var synced = SyncedTree()
    var nextIdentity: UInt64 = 1_000_000

    struct StepFailed: Error, CustomStringConvertible {
        var description: String
    }

    mutating func freshIdentity() -> UInt64 {
        nextIdentity += 1
        return nextIdentity
    }

    /// Runs every action of a plan in order.
    mutating func apply(_ plan: Plan) throws {
        for action in plan.actions { try apply(action) }
    }

    mutating func apply(_ action: SyncAction) throws {
        func fail(_ why: String) -> StepFailed { StepFailed(description: "\(action): \(why)\n\(self)") }
        func parentOK(_ path: RelativePath, local isLocal: Bool) -> Bool {
            guard let parent = path.parent else { return true }
            return isLocal ? local[parent]?.kind == .folder : remote[parent]?.kind == .folder
        }
        switch action {
        case .upload(let path, let base):
            guard let l = local[path], l.kind == .file else { throw fail("no local file") }
            guard parentOK(path, local: false) else { throw fail("no remote parent folder") }
            let current = remote[path]
            guard current?.kind != .folder else { throw fail("a remote folder is in the way") }
            guard current?.revision == base else { throw fail("stale base revision (server would answer 409)") }
            let r = RemoteEntry(
                kind: .file,
                fileId: current?.fileId ?? "id\(freshIdentity())",
                revision: (current?.revision ?? 0) + 1,
                size: l.size,
                contentHash: l.contentHash
            )
            remote[path] = r
            synced[path] = Self.merged(l, r)
        case .createRemoteFolder(let path):
            guard let l = local[path], l.kind == .folder else { throw fail("no local folder") }
            guard remote[path] == nil else { throw fail("remote path taken") }
            guard parentOK(path, local: false) else { throw fail("no remote parent folder") }
            let r = RemoteEntry(kind: .folder, fileId: "id\(freshIdentity())", revision: 1)
            remote[path] = r
            synced[path] = Self.merged(l, r)
        case .download(let path):
            guard let r = remote[path], r.kind == .file else { throw fail("no remote file") }
            guard parentOK(path, local: true) else { throw fail("no local parent folder") }
            if let existing = local[path] {
                guard existing.kind == .file else { throw fail("a local folder is in the way") }
                guard existing.contentHash == synced[path]?.contentHash else { throw fail("would overwrite a local change") }
            }
            let l = LocalEntry(kind: .file, size: r.size, inode: freshIdentity(), contentHash: r.contentHash)
            local[path] = l
            synced[path] = Self.merged(l, r)
        case .createLocalFolder(let path):
            guard let r = remote[path], r.kind == .folder else { throw fail("no remote folder") }
            guard local[path] == nil else { throw fail("local path taken") }
            guard parentOK(path, local: true) else { throw fail("no local parent folder") }
            let l = LocalEntry(kind: .folder, inode: freshIdentity())
            local[path] = l
            synced[path] = Self.merged(l, r)
        case .moveRemote(let from, let to):
            guard let r = remote[from] else { throw fail("nothing to move") }
            guard remote[to] == nil, parentOK(to, local: false), !to.isInside(from) else { throw fail("bad destination") }
            remote.move(from, to: to)
            // The server gives the moved item a new revision (what is inside keeps its own), and
            // the engine journals it: a later step based on the revision before fails as a 409.
            remote[to]?.revision += 1
            if let base = synced.entries.first(where: { $0.value.fileId == r.fileId })?.key {
                synced.move(base, to: to)
                synced[to]?.revision = remote[to]!.revision
            }
        case .moveLocal(let from, let to):
            guard let l = local[from] else { throw fail("nothing to move") }
            guard local[to] == nil, parentOK(to, local: true), !to.isInside(from) else { throw fail("bad destination") }
            local.move(from, to: to)
            // As the engine: the synced item the server moved, found by file id (an inode may
            // stand twice in the synced tree while a reused one's old file is not yet deleted).
            let moved = remote[to]?.fileId
            if let base = synced.entries.first(where: { $0.value.fileId == moved && $0.value.inode == l.inode })?.key
                ?? synced.entries.first(where: { $0.value.inode == l.inode })?.key
            {
                synced.move(base, to: to)
            }
        case .keepBothConflict(let path, let copy):
            guard local[path] != nil else { throw fail("nothing to rename") }
            guard local[copy] == nil, remote[copy] == nil else { throw fail("copy name taken") }
            local.move(path, to: copy)
        case .deleteRemote(let path, let kind):
            guard remote[path]?.kind == kind else { throw fail("no remote \(kind)") }
            for p in remote.subtree(path) {
                remote[p] = nil
                synced[p] = nil
            }
        case .deleteLocal(let path, let kind):
            guard local[path]?.kind == kind else { throw fail("no local \(kind)") }
            for p in local.subtree(path) {
                if let l = local[p], l.kind == .file, l.contentHash != synced[p]?.contentHash {
                    throw fail("would delete the local change at \(p)")
                }
            }
            for p in local.subtree(path) {
                local[p] = nil
                synced[p] = nil
            }
        case .recordSynced(let path):
            guard let l = local[path], let r = remote[path], l.kind == r.kind, l.contentHash == r.contentHash else { throw fail("sides differ") }
            synced[path] = Self.merged(l, r)
        case .forget(let path):
            guard local[path] == nil, remote[path] == nil else { throw fail("still present") }
            synced[path] = nil
        case .recordMove(let from, let to):
            guard synced[from] != nil, synced[to] == nil else { throw fail("no synced item to move") }
            synced.move(from, to: to)
        }
    }

    static func merged(_ l: LocalEntry, _ r: RemoteEntry) -> SyncedEntry {
        SyncedEntry(kind: l.kind, contentHash: l.contentHash, size: l.size, inode: l.inode, fileId: r.fileId, revision: r.revision)
    }

    /// Nil when the three trees agree; otherwise what differs.
    func divergence() -> String? {
        let paths = Set(local.paths).union(remote.paths).union(synced.paths).sorted()
        for path in paths {
            guard let l = local[path], let r = remote[path], let s = synced[path] else {
                return "\(path): local \(local[path] != nil), remote \(remote[path] != nil), synced \(synced[path] != nil)"
            }
            if l.kind != r.kind || l.kind != s.kind { return "\(path): kinds differ" }
            if l.contentHash != r.contentHash || l.contentHash != s.contentHash { return "\(path): contents differ" }
            if s.inode != l.inode || s.fileId != r.fileId || s.revision != r.revision { return "\(path): synced identity is stale" }
        }
        return nil
    }

    /// Content versions that exist now on either side and not in the merge base: the versions
    /// a sync must never lose. (Tests make every new version's content unique.)
    func newVersions() -> Set<String> {
        let base = Set(synced.entries.values.compactMap(\.contentHash))
        let current = local.entries.values.compactMap(\.contentHash) + remote.entries.values.compactMap(\.contentHash)
        return Set(current).subtracting(base)
    }

    var description: String {
        func dump<E>(_ name: String, _ tree: Tree<E>, _ line: (E) -> String) -> String {
            name + ":\n" + tree.entries.keys.sorted().map { "  \($0) \(line(tree[$0]!))" }.joined(separator: "\n")
        }
        return [
            dump("local", local) { "\($0.kind) \($0.contentHash ?? "-") @\($0.inode)" },
            dump("remote", remote) { "\($0.kind) \($0.contentHash ?? "-") \($0.fileId) r\($0.revision)" },
            dump("synced", synced) { "\($0.kind) \($0.contentHash ?? "-") @\($0.inode) \($0.fileId) r\($0.revision)" },
        ].joined(separator: "\n")
    }
}
