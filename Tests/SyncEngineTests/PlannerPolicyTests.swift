import Foundation
import SyncAPI
import Testing

@testable import SyncEngine

/// The mass-delete brake, backup mode, and conflicted-copy names.
@Suite struct PlannerPolicyTests {
    /// `count` files in sync in one folder.
    static func syncedWorld(files count: Int) -> World {
        var world = World()
        let folder = RelativePath("Photos")!
        world.synced[folder] = SyncedEntry(kind: .folder, contentHash: nil, size: 0, inode: 1, fileId: "id1", revision: 1)
        for i in 0..<count {
            let path = folder.appending("img\(i).jpg")
            let id = UInt64(100 + i)
            world.synced[path] = SyncedEntry(kind: .file, contentHash: "h\(i)", size: 1, inode: id, fileId: "id\(id)", revision: 1)
        }
        world.local.entries = world.synced.entries.mapValues {
            LocalEntry(kind: $0.kind, size: $0.size, inode: $0.inode, contentHash: $0.contentHash)
        }
        world.remote.entries = world.synced.entries.mapValues {
            RemoteEntry(kind: $0.kind, fileId: $0.fileId, revision: $0.revision, size: $0.size, contentHash: $0.contentHash)
        }
        return world
    }

    @Test func emptiedFolderDeletesNothingRemotely() throws {
        var world = Self.syncedWorld(files: 200)
        world.local = LocalTree()  // as an unmounted disk looks
        let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: Scenario.policy)
        let brake = try #require(plan.brake)
        #expect(brake.remoteDeletions == 200 && brake.localDeletions == 0 && brake.syncedFiles == 200)
        #expect(!plan.actions.contains { if case .deleteRemote = $0 { true } else { false } })
        #expect(brake.description.contains("syncd resume --allow-deletes"))
        try world.apply(plan)
        #expect(world.remote.entries.count == 201, "every remote file is still there")
    }

    @Test func remoteMassDeleteIsHeldToo() throws {
        var world = Self.syncedWorld(files: 120)
        world.remote = RemoteTree()
        let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: Scenario.policy)
        #expect(plan.brake?.localDeletions == 120)
        #expect(!plan.actions.contains { if case .deleteLocal = $0 { true } else { false } })
    }

    @Test func confirmedMassDeleteGoesThrough() throws {
        var world = Self.syncedWorld(files: 200)
        world.local = LocalTree()
        var policy = Scenario.policy
        policy.allowMassDelete = true
        let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: policy)
        #expect(plan.brake == nil)
        #expect(plan.actions == [.deleteRemote(RelativePath("Photos")!, kind: .folder)])
    }

    @Test func ordinaryDeletesAreNotBraked() {
        var world = Self.syncedWorld(files: 200)
        for i in 0..<40 { world.local[RelativePath("Photos/img\(i).jpg")!] = nil }
        let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: Scenario.policy)
        #expect(plan.brake == nil)
        #expect(plan.actions.count == 40)
        // A small folder may be emptied whole: over half, but under the count threshold.
        var small = Self.syncedWorld(files: 10)
        small.local = LocalTree()
        #expect(SyncEngine.plan(local: small.local, remote: small.remote, synced: small.synced, policy: Scenario.policy).brake == nil)
    }

    @Test func backupModePushesAndNeverPulls() throws {
        var world = Self.syncedWorld(files: 3)
        let changedRemotely = RelativePath("Photos/img0.jpg")!
        world.remote[changedRemotely]?.contentHash = "remote-edit"
        world.remote[changedRemotely]?.revision = 2
        world.remote[RelativePath("Photos/from-elsewhere.jpg")!] = RemoteEntry(kind: .file, fileId: "idX", revision: 1, contentHash: "hX")
        world.local[RelativePath("Photos/img1.jpg")!]?.contentHash = "local-edit"
        world.local[RelativePath("Photos/img2.jpg")!] = nil
        var policy = Scenario.policy
        policy.mode = .backup
        let plan = plan(local: world.local, remote: world.remote, synced: world.synced, policy: policy)
        #expect(
            plan.actions.map(\.description) == [
                "upload Photos/img0.jpg over r2", "upload Photos/img1.jpg over r1", "delete remote file Photos/img2.jpg",
            ]
        )
        try world.apply(plan)
        #expect(world.remote[RelativePath("Photos/from-elsewhere.jpg")!] != nil, "remote-only files are left alone")
        #expect(world.local[RelativePath("Photos/from-elsewhere.jpg")!] == nil, "nothing comes down")
    }

    @Test func conflictNames() {
        let at = Date(timeIntervalSince1970: 1_796_000_000)
        let utc = TimeZone(identifier: "UTC")!
        func copy(_ path: String, zone: TimeZone = utc, taken: Set<String> = []) -> String {
            ConflictName.copy(of: RelativePath(path)!, host: "lap/top", at: at, timeZone: zone) { taken.contains($0.string) }.string
        }
        #expect(copy("docs/report.pdf") == "docs/report (conflicted copy from lap-top 2026-11-30 005320).pdf")
        #expect(copy(".bashrc") == ".bashrc (conflicted copy from lap-top 2026-11-30 005320)")
        #expect(copy("archive.tar.gz") == "archive.tar (conflicted copy from lap-top 2026-11-30 005320).gz")
        #expect(copy("Makefile") == "Makefile (conflicted copy from lap-top 2026-11-30 005320)")
        #expect(copy("a.txt", zone: TimeZone(identifier: "Asia/Tokyo")!) == "a (conflicted copy from lap-top 2026-11-30 095320).txt")
        #expect(
            copy("a.txt", taken: ["a (conflicted copy from lap-top 2026-11-30 005320).txt"])
                == "a (conflicted copy from lap-top 2026-11-30 005320 2).txt"
        )
    }

    @Test func pathsCompareByBytes() {
        let nfc = RelativePath("caf\u{E9}.txt")!
        let nfd = RelativePath("cafe\u{301}.txt")!
        #expect(nfc.string == nfd.string, "Swift's String equality would merge them")
        #expect(nfc != nfd, "but they are two files on Linux")
        #expect(Set([nfc, nfd]).count == 2)
        #expect(RelativePath("a")! < RelativePath("a/b")! && RelativePath("a/b")! < RelativePath("a b")!)
        for bad in ["", "/abs", "trailing/", "a//b", "a/../b", ".", "a/./b", "nul\u{0}"] {
            #expect(RelativePath(bad) == nil, "\(bad.debugDescription)")
        }
        #expect(RelativePath("a/b/c")!.ancestors.map(\.string) == ["a", "a/b"])
        #expect(RelativePath("a/b/c")!.rebased(from: RelativePath("a")!, to: RelativePath("z/y")!).string == "z/y/b/c")
        #expect(!RelativePath("ab/c")!.isInside(RelativePath("a")!))
    }
}
