import SyncAPI
import Testing

@testable import SyncEngine

/// The pure rule behind recognising an upload a crash kept from the journal.
@Suite struct UploadIntentTests {
    static let p = RelativePath("a.txt")!

    static func trees(synced revision: Int64?, remote: (revision: Int64, hash: String)?) -> (LocalTree, RemoteTree, SyncedTree) {
        var local = LocalTree()
        var remoteTree = RemoteTree()
        var synced = SyncedTree()
        local[p] = LocalEntry(kind: .file, size: 5, mtimeNs: 1, ctimeNs: 1, inode: 42, contentHash: "h-edited")
        if let revision { synced[p] = SyncedEntry(kind: .file, contentHash: "h-old", size: 3, inode: 42, fileId: "f1", revision: revision) }
        if let remote { remoteTree[p] = RemoteEntry(kind: .file, fileId: "f1", revision: remote.revision, size: 4, contentHash: remote.hash) }
        return (local, remoteTree, synced)
    }

    @Test func theServersCopyOfTheIntendedContentBecomesTheSyncedState() {
        let (local, remote, synced) = Self.trees(synced: 3, remote: (4, "h-sent"))
        let intent = UploadIntent(path: Self.p, contentHash: "h-sent", size: 4, baseRevision: 3)
        let result = UploadIntent.resolve([intent], local: local, remote: remote, synced: synced)
        #expect(result.synced[Self.p] == SyncedEntry(kind: .file, contentHash: "h-sent", size: 4, inode: 42, fileId: "f1", revision: 4))
        #expect(result.done.map(\.path) == [Self.p] && result.done.allSatisfy { $0.contentHash == nil }, "every intent of the path settled")
    }

    @Test func anyOfAPathsOpenIntentsMayBeTheOneTheServerGot() {
        // A restart sent the edited file while the upload before the crash was still on its way.
        let (local, remote, synced) = Self.trees(synced: nil, remote: (1, "h-before-crash"))
        let intents = [
            UploadIntent(path: Self.p, contentHash: "h-before-crash", size: 4, baseRevision: nil),
            UploadIntent(path: Self.p, contentHash: "h-after-restart", size: 5, baseRevision: nil),
        ]
        let result = UploadIntent.resolve(intents, local: local, remote: remote, synced: synced)
        #expect(result.synced[Self.p]?.contentHash == "h-before-crash")
        #expect(result.synced[Self.p]?.revision == 1)
    }

    @Test func aNewFilesIntentAdoptsTheItemTheServerMade() {
        let (local, remote, synced) = Self.trees(synced: nil, remote: (1, "h-sent"))
        let intent = UploadIntent(path: Self.p, contentHash: "h-sent", size: 4, baseRevision: nil)
        let result = UploadIntent.resolve([intent], local: local, remote: remote, synced: synced)
        #expect(result.synced[Self.p]?.revision == 1)
        #expect(result.synced[Self.p]?.inode == 42, "the local file's inode, for move detection")
    }

    @Test func otherContentOnTheServerLeavesTheIntentOpenAndTheTreesAlone() {
        // Not sent yet (or refused): the planner decides, the retry replaces the intent.
        let (local, remote, synced) = Self.trees(synced: 3, remote: (4, "h-theirs"))
        let intent = UploadIntent(path: Self.p, contentHash: "h-sent", size: 4, baseRevision: 3)
        let result = UploadIntent.resolve([intent], local: local, remote: remote, synced: synced)
        #expect(result.synced.isEmpty)
        #expect(result.done.isEmpty)
    }

    @Test func anIntentTheSyncedStateMovedPastIsDroppedUnused() {
        // The journal moved on (a download of another device's version): the same content
        // turning up on the server later is not this intent's upload, and must not make the
        // local file look like an edit over it.
        let (local, remote, synced) = Self.trees(synced: 5, remote: (6, "h-sent"))
        let intent = UploadIntent(path: Self.p, contentHash: "h-sent", size: 4, baseRevision: 3)
        let result = UploadIntent.resolve([intent], local: local, remote: remote, synced: synced)
        #expect(result.synced.isEmpty)
        #expect(result.done.map(\.path) == [Self.p] && result.done.first?.contentHash == "h-sent", "that intent alone dropped")
    }

    @Test func theUnchangedBaseRevisionIsNotTheUpload() {
        // Same content at the base revision itself: nothing was committed by this intent.
        let (local, remote, synced) = Self.trees(synced: 3, remote: (3, "h-sent"))
        let intent = UploadIntent(path: Self.p, contentHash: "h-sent", size: 4, baseRevision: 3)
        #expect(UploadIntent.resolve([intent], local: local, remote: remote, synced: synced).synced.isEmpty)
    }

    @Test func aMoveTheServerMadeMovesTheSyncedSubtree() {
        var synced = SyncedTree()
        var remote = RemoteTree()
        let from = RelativePath("old")!
        let to = RelativePath("new")!
        synced[from] = SyncedEntry(kind: .folder, contentHash: nil, size: 0, inode: 5, fileId: "d", revision: 2)
        synced[RelativePath("old/x.txt")!] = SyncedEntry(kind: .file, contentHash: "hx", size: 1, inode: 6, fileId: "x", revision: 1)
        remote[to] = RemoteEntry(kind: .folder, fileId: "d", revision: 3)
        let result = MoveIntent.resolve(
            [MoveIntent(fileId: "d", from: from, to: to, revision: 2)],
            local: LocalTree(),
            remote: remote,
            synced: synced
        )
        #expect(result.synced[to]?.revision == 3 && result.synced[to]?.inode == 5)
        #expect(result.synced[RelativePath("new/x.txt")!]?.fileId == "x")
        #expect(result.synced[from] == nil && result.synced[RelativePath("old/x.txt")!] == nil)
        #expect(result.done == ["d"])
        #expect(result.rows.count == 4)
    }

    @Test func aMoveNotYetMadeOrOvertakenIsKeptOrDropped() {
        var synced = SyncedTree()
        var remote = RemoteTree()
        let from = RelativePath("a.txt")!
        let to = RelativePath("b.txt")!
        synced[from] = SyncedEntry(kind: .file, contentHash: "h", size: 1, inode: 5, fileId: "f", revision: 2)
        remote[from] = RemoteEntry(kind: .file, fileId: "f", revision: 2)
        var renamed = LocalTree()
        renamed[to] = LocalEntry(kind: .file, size: 1, inode: 5, contentHash: "h")
        let pending = MoveIntent.resolve([MoveIntent(fileId: "f", from: from, to: to, revision: 2)], local: renamed, remote: remote, synced: synced)
        #expect(pending.synced == synced && pending.done.isEmpty, "not made yet: kept, nothing changed")
        let stale = MoveIntent.resolve([MoveIntent(fileId: "f", from: from, to: to, revision: 1)], local: renamed, remote: remote, synced: synced)
        #expect(stale.synced == synced && stale.done == ["f"], "the synced item moved on: dropped")
    }

    @Test func aRenameTheUserUndidDoesNotClaimAnotherDevicesSameMove() {
        // The user renamed a.txt to b.txt and back before the move went out; later another
        // device renames it to b.txt on the server. That move is theirs: the folder follows it.
        var synced = SyncedTree()
        var remote = RemoteTree()
        var local = LocalTree()
        let from = RelativePath("a.txt")!
        let to = RelativePath("b.txt")!
        synced[from] = SyncedEntry(kind: .file, contentHash: "h", size: 1, inode: 5, fileId: "f", revision: 2)
        local[from] = LocalEntry(kind: .file, size: 1, inode: 5, contentHash: "h")
        remote[to] = RemoteEntry(kind: .file, fileId: "f", revision: 3)
        let result = MoveIntent.resolve([MoveIntent(fileId: "f", from: from, to: to, revision: 2)], local: local, remote: remote, synced: synced)
        #expect(result.synced == synced && result.rows.isEmpty, "not taken as this device's move")
        #expect(result.done == ["f"], "the leftover intent is dropped")
    }
}
