import Foundation
import SyncAPI
import Testing

@testable import SyncEngine

/// Every step after a move uses the revision the move returned: the server gives a moved item
/// a new revision, and an upload over the one before it would be refused (409) and retried for ever.
@Suite struct MoveRevisionTests {
    @Test func anUploadAfterAMoveReplacesTheRevisionTheMoveMade() async throws {
        let setup = try FolderSyncTests.Setup()
        setup.remote.put("a.txt", "first")
        try setup.write("b.txt", "second")
        let engine = try setup.engine()
        let local = try FolderScanner(root: setup.root, ignore: IgnoreRules()).scan(previous: LocalTree()).tree
        let (remote, _) = try await setup.remote.snapshot()
        let a = try #require(remote[RelativePath("a.txt")!])
        var synced = SyncedTree()
        synced[RelativePath("a.txt")!] = SyncedEntry(
            kind: .file,
            contentHash: a.contentHash,
            size: a.size,
            inode: local[RelativePath("b.txt")!]!.inode,
            fileId: a.fileId,
            revision: a.revision
        )
        var state = FolderSync.Trees(local: local, remote: remote, synced: synced)
        var report = SyncReport()
        // The plan as the planner wrote it, with the base revision it saw before the move.
        let actions: [SyncAction] = [
            .moveRemote(from: RelativePath("a.txt")!, to: RelativePath("b.txt")!), .upload(RelativePath("b.txt")!, baseRevision: a.revision),
        ]
        try await engine.execute(actions, state: &state, waiting: [:], now: Date(), folder: try LocalFolder(root: setup.root), report: &report)
        #expect(report.failed.map(\.error).isEmpty, "no 409 after the move")
        #expect(setup.remote.text("b.txt") == "second" && setup.remote.text("a.txt") == nil)
        #expect(try setup.divergence() == nil)
    }
}
