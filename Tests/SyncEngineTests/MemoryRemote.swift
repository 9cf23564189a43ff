import Foundation
import SyncAPI
import Synchronization

@testable import SyncEngine

/// The in-memory stand-in for the server, for the engine's deterministic tests (the one place
/// the architecture allows one): a tree with ids and revisions, content by SHA-256, and the
/// server's rules (revision checks, a folder must exist to hold an item).
final class MemoryRemote: RemotePort {
    struct State {
        var tree = RemoteTree()
        var contents: [String: Data] = [:]
        var nextId = 1
        var cursor = 0
        var uploads = 0
        /// Whole-tree listings handed out.
        var snapshots = 0
        /// Uploads to refuse (as a flaky network or server would), counted down.
        var failUploads = 0
        /// Uploads to fail as an unreachable server would (a ``TransientFailure``), counted down.
        var failUploadsUnreachable = 0
        /// The tree at each cursor handed out, for the change feed.
        var handedOut: [Int: RemoteTree] = [:]
    }

    let state = Mutex(State())
    /// Runs once, inside the next upload of its path, after the bytes were read and before the
    /// revision check: another device's write racing this one.
    let racingUpload = Mutex<(path: RelativePath, write: @Sendable (MemoryRemote) -> Void)?>(nil)

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    struct Unreachable: TransientFailure, CustomStringConvertible {
        var isTransient: Bool { true }
        var description: String { "the server cannot be reached" }
    }

    func snapshot() async throws -> (tree: RemoteTree, cursor: String) {
        state.withLock { s in
            s.snapshots += 1
            s.handedOut[s.cursor] = s.tree
            return (s.tree, String(s.cursor))
        }
    }

    /// The feed, as the difference between the tree at `cursor` and now (a compacted feed:
    /// what a real one says, in fewer entries).
    func changes(after cursor: String) async throws -> RemoteDelta? {
        state.withLock { s in
            guard let then = Int(cursor).flatMap({ s.handedOut[$0] }) else { return nil }
            var changes: [RemoteDelta.Change] = []
            let now = Dictionary(uniqueKeysWithValues: s.tree.entries.map { ($0.value.fileId, ($0.key, $0.value)) })
            for (path, entry) in then.entries where now[entry.fileId] == nil {
                changes.append(.init(fileId: entry.fileId, path: path, entry: nil))
            }
            let before = Dictionary(uniqueKeysWithValues: then.entries.map { ($0.value.fileId, ($0.key, $0.value)) })
            for (id, (path, entry)) in now.sorted(by: { $0.value.0 < $1.value.0 }) where before[id].map({ $0.0 != path || $0.1 != entry }) ?? true {
                changes.append(.init(fileId: id, path: path, entry: entry))
            }
            s.handedOut[s.cursor] = s.tree
            return RemoteDelta(changes: changes, cursor: String(s.cursor))
        }
    }

    func upload(_ source: UploadSource, baseRevision: Int64?) async throws -> RemoteEntry {
        let (path, localPath, contentHash) = (source.path, source.readablePath, source.contentHash)
        try state.withLock { s in
            if s.failUploads > 0 {
                s.failUploads -= 1
                throw Refused(description: "503 Slow Down")
            }
            if s.failUploadsUnreachable > 0 {
                s.failUploadsUnreachable -= 1
                throw Unreachable()
            }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: localPath))
        guard try ContentHash.hash(path: localPath) == contentHash else { throw Refused(description: "\(path): content changed during upload") }
        let race = racingUpload.withLock { race -> (@Sendable (MemoryRemote) -> Void)? in
            guard let pending = race, pending.path == path else { return nil }
            race = nil
            return pending.write
        }
        race?(self)
        return try state.withLock { s in
            guard s.tree[path]?.revision == baseRevision else { throw RemoteConflict(path: path, current: s.tree[path]) }
            try Self.checkParent(path, s.tree)
            let entry = RemoteEntry(
                kind: .file,
                fileId: s.tree[path]?.fileId ?? Self.newId(&s),
                revision: (baseRevision ?? 0) + 1,
                size: Int64(data.count),
                contentHash: contentHash
            )
            s.tree[path] = entry
            s.contents[contentHash] = data
            s.cursor += 1
            s.uploads += 1
            return entry
        }
    }

    func createFolder(_ path: RelativePath) async throws -> RemoteEntry {
        try state.withLock { s in
            if let existing = s.tree[path] {
                guard existing.kind == .folder else { throw Refused(description: "409 \(path): a file is there") }
                return existing
            }
            try Self.checkParent(path, s.tree)
            let entry = RemoteEntry(kind: .folder, fileId: Self.newId(&s), revision: 1)
            s.tree[path] = entry
            s.cursor += 1
            return entry
        }
    }

    func download(_ path: RelativePath, entry: RemoteEntry, to localPath: String) async throws {
        let data = try state.withLock { s in
            guard let hash = entry.contentHash, let data = s.contents[hash] else { throw Refused(description: "404 \(path)") }
            return data
        }
        try data.write(to: URL(fileURLWithPath: localPath))
    }

    func move(_ path: RelativePath, to destination: RelativePath, revision: Int64) async throws -> RemoteEntry {
        try state.withLock { s in
            guard let entry = s.tree[path], entry.revision == revision else { throw RemoteConflict(path: path, current: s.tree[path]) }
            if let taken = s.tree[destination] { throw RemoteConflict(path: path, currentPath: destination, current: taken) }
            guard !destination.isInside(path) else { throw Refused(description: "\(destination) is inside \(path)") }
            try Self.checkParent(destination, s.tree)
            s.tree.move(path, to: destination)
            s.tree[destination]?.revision += 1
            s.cursor += 1
            return s.tree[destination]!
        }
    }

    func delete(_ path: RelativePath, revision: Int64) async throws {
        try state.withLock { s in
            guard let entry = s.tree[path], entry.revision == revision else { throw RemoteConflict(path: path, current: s.tree[path]) }
            for p in s.tree.subtree(path) { s.tree[p] = nil }
            s.cursor += 1
        }
    }

    /// A change made by another device.
    func put(_ path: String, _ text: String) {
        let path = RelativePath(path)!
        let data = Data(text.utf8)
        let hash = Self.sha256(data)
        state.withLock { s in
            for folder in path.ancestors where s.tree[folder] == nil {
                s.tree[folder] = RemoteEntry(kind: .folder, fileId: Self.newId(&s), revision: 1)
            }
            let old = s.tree[path]
            s.tree[path] = RemoteEntry(
                kind: .file,
                fileId: old?.fileId ?? Self.newId(&s),
                revision: (old?.revision ?? 0) + 1,
                size: Int64(data.count),
                contentHash: hash
            )
            s.contents[hash] = data
            s.cursor += 1
        }
    }

    func text(_ path: String) -> String? {
        state.withLock { s in
            guard let hash = s.tree[RelativePath(path)!]?.contentHash, let data = s.contents[hash] else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func sha256(_ data: Data) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        try! data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try! ContentHash.hash(path: file.path)
    }

    static func newId(_ s: inout State) -> String {
        s.nextId += 1
        return "r\(s.nextId)"
    }

    static func checkParent(_ path: RelativePath, _ tree: RemoteTree) throws {
        if let parent = path.parent, tree[parent]?.kind != .folder { throw Refused(description: "404 no folder \(parent)") }
    }
}

extension MemoryRemote {
    /// Another device deletes an item.
    func remove(_ path: RelativePath) {
        state.withLock { s in
            for p in s.tree.subtree(path) { s.tree[p] = nil }
            s.cursor += 1
        }
    }

    /// Another device moves an item; false when the destination is not free.
    @discardableResult
    func relocate(_ path: RelativePath, to destination: RelativePath) -> Bool {
        state.withLock { s in
            guard s.tree[path] != nil, s.tree[destination] == nil, !destination.isInside(path), destination != path,
                destination.parent.map({ s.tree[$0]?.kind == .folder }) ?? true
            else { return false }
            s.tree.move(path, to: destination)
            s.tree[destination]?.revision += 1
            s.cursor += 1
            return true
        }
    }
}
