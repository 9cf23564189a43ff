import Foundation
import SyncAPI

@testable import SyncEngine

/// SplitMix64: a small seeded generator, so that a failing case replays from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random worlds: a synced tree, then random changes on each side (creations, edits,
/// deletions, moves of files and folders, kind changes), names drawn from a small pool so that
/// the two sides collide often. Every new version gets unique content. Locally, as on ext4, a
/// new item usually gets the inode a deletion just freed, wherever it is created.
struct RandomWorld {
    static let names = ["a", "b", "c", "A", "x.txt", "y.txt", "X.txt", "z"]
    var rng: SeededGenerator
    var world = World()
    var counter = 0
    /// Inodes of local items deleted so far, most recent last.
    var freedInodes: [UInt64] = []

    static func make(seed: UInt64) -> World {
        var maker = RandomWorld(rng: SeededGenerator(seed: seed))
        maker.build()
        return maker.world
    }

    /// The inode for a new local item: mostly the one freed last, as ext4 hands them out.
    mutating func newInode() -> UInt64 {
        if !freedInodes.isEmpty, Int.random(in: 0..<4, using: &rng) > 0 { return freedInodes.removeLast() }
        return world.freshIdentity()
    }

    /// Deletes a local item and what is inside it, freeing their inodes.
    mutating func removeLocal(_ path: RelativePath) {
        for p in world.local.subtree(path).sorted(by: >) {
            if let inode = world.local[p]?.inode { freedInodes.append(inode) }
            world.local[p] = nil
        }
    }

    mutating func fresh(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    mutating func build() {
        for _ in 0..<Int.random(in: 0...14, using: &rng) {
            let folders = world.synced.entries.filter { $0.value.kind == .folder }.map(\.key).sorted()
            let parent = folders.isEmpty || Bool.random(using: &rng) ? nil : folders.randomElement(using: &rng)
            let name = Self.names.randomElement(using: &rng)!
            let path = parent.map { $0.appending(name) } ?? RelativePath(name)!
            guard world.synced[path] == nil else { continue }
            let id = world.freshIdentity()
            let isFolder = Int.random(in: 0..<100, using: &rng) < 35
            let hash = isFolder ? nil : fresh("base")
            let kind: ItemKind = isFolder ? .folder : .file
            world.synced[path] = SyncedEntry(kind: kind, contentHash: hash, size: 1, inode: id, fileId: "id\(id)", revision: 1)
            world.local[path] = LocalEntry(kind: kind, size: 1, inode: id, contentHash: hash)
            world.remote[path] = RemoteEntry(kind: kind, fileId: "id\(id)", revision: 1, size: 1, contentHash: hash)
        }
        for _ in 0..<Int.random(in: 0...6, using: &rng) { mutateLocal() }
        for _ in 0..<Int.random(in: 0...6, using: &rng) { mutateRemote() }
    }

    /// A random free path under a random folder of the tree (or the top level).
    mutating func freePath<E>(in tree: Tree<E>, kindOf: (E) -> ItemKind) -> RelativePath? {
        let folders = tree.entries.filter { kindOf($0.value) == .folder }.map(\.key).sorted()
        let parent = folders.isEmpty || Int.random(in: 0..<3, using: &rng) == 0 ? nil : folders.randomElement(using: &rng)
        let path = parent.map { $0.appending(Self.names.randomElement(using: &rng)!) } ?? RelativePath(Self.names.randomElement(using: &rng)!)!
        return tree[path] == nil ? path : nil
    }

    mutating func mutateLocal() {
        let paths = world.local.entries.keys.sorted()
        switch Int.random(in: 0..<6, using: &rng) {
        case 0, 1:
            guard let path = freePath(in: world.local, kindOf: \.kind) else { return }
            let folder = Bool.random(using: &rng) && Bool.random(using: &rng)
            let inode = newInode()
            world.local[path] = LocalEntry(kind: folder ? .folder : .file, size: 1, inode: inode, contentHash: folder ? nil : fresh("L"))
        case 2:
            guard let path = paths.filter({ world.local[$0]?.kind == .file }).randomElement(using: &rng) else { return }
            let hash = fresh("L")
            world.local[path]?.contentHash = hash
        case 3:
            guard let path = paths.randomElement(using: &rng) else { return }
            removeLocal(path)
        case 4:
            guard let path = paths.randomElement(using: &rng), let destination = freePath(in: world.local, kindOf: \.kind),
                !destination.isInside(path)
            else { return }
            world.local.move(path, to: destination)
        default:
            guard let path = paths.randomElement(using: &rng), let old = world.local[path] else { return }
            removeLocal(path)
            let kind: ItemKind = old.kind == .file ? .folder : .file
            let inode = newInode()
            world.local[path] = LocalEntry(kind: kind, size: 1, inode: inode, contentHash: kind == .file ? fresh("L") : nil)
        }
    }

    mutating func mutateRemote() {
        let paths = world.remote.entries.keys.sorted()
        switch Int.random(in: 0..<6, using: &rng) {
        case 0, 1:
            guard let path = freePath(in: world.remote, kindOf: \.kind) else { return }
            let folder = Bool.random(using: &rng) && Bool.random(using: &rng)
            let id = world.freshIdentity()
            world.remote[path] = RemoteEntry(
                kind: folder ? .folder : .file,
                fileId: "id\(id)",
                revision: 1,
                size: 1,
                contentHash: folder ? nil : fresh("R")
            )
        case 2:
            guard let path = paths.filter({ world.remote[$0]?.kind == .file }).randomElement(using: &rng) else { return }
            let hash = fresh("R")
            world.remote[path]?.contentHash = hash
            world.remote[path]?.revision += 1
        case 3:
            guard let path = paths.randomElement(using: &rng) else { return }
            for p in world.remote.subtree(path) { world.remote[p] = nil }
        case 4:
            guard let path = paths.randomElement(using: &rng), let destination = freePath(in: world.remote, kindOf: \.kind),
                !destination.isInside(path)
            else { return }
            world.remote.move(path, to: destination)
            world.remote[destination]?.revision += 1
        default:
            guard let path = paths.randomElement(using: &rng), let old = world.remote[path] else { return }
            for p in world.remote.subtree(path) { world.remote[p] = nil }
            let kind: ItemKind = old.kind == .file ? .folder : .file
            let id = world.freshIdentity()
            world.remote[path] = RemoteEntry(kind: kind, fileId: "id\(id)", revision: 1, size: 1, contentHash: kind == .file ? fresh("R") : nil)
        }
    }
}
