import Foundation
import Glibc
import Synchronization
import Testing

@testable import SyncEngine

/// Selective sync on a real folder against the in-memory remote: an excluded folder's local
/// copy goes only once everything in it is on the server, nothing is deleted on the server, a
/// folder made again at its path is renamed rather than merged, and including it again brings
/// it back.
@Suite struct SelectiveSyncTests {
    typealias Setup = FolderSyncTests.Setup

    /// The excluded folders, as a test sets them.
    final class Excluded: Sendable {
        let paths = Mutex<[String]>([])
        func set(_ paths: [String]) { self.paths.withLock { $0 = paths } }
    }

    /// An engine whose excluded folders the test sets.
    static func engine(_ setup: Setup, excluded: Excluded) throws -> FolderSync {
        var configuration = try setup.engine().configuration
        configuration.excludedFolders = { excluded.paths.withLock { $0.compactMap(RelativePath.init) } }
        return FolderSync(configuration: configuration, journal: try Journal(path: setup.journalPath), remote: setup.remote)
    }

    /// Builds a synced folder: Photos (two files, a subfolder), Docs (one file).
    static func synced(_ setup: Setup, _ engine: FolderSync) async throws {
        try setup.write("Photos/a.jpg", "photo a")
        try setup.write("Photos/2019/b.jpg", "photo b")
        try setup.write("Docs/c.txt", "doc c")
        try await setup.converge(engine)
        #expect(try setup.divergence() == nil)
    }

    @Test func anExcludedFoldersLocalCopyGoesOnlyOnceItsChangesAreOnTheServer() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try await Self.synced(setup, engine)
        // Changes not yet synced when the folder is excluded: an edit and a new file.
        try setup.write("Photos/a.jpg", "photo a, edited")
        try setup.write("Photos/2019/new.jpg", "new photo")
        excluded.set(["Photos"])
        // The uploads fail at first: the journal has seen the changes, the server has not.
        setup.remote.state.withLock { $0.failUploads = 2 }
        _ = try await engine.pass()
        #expect(setup.read("Photos/a.jpg") == "photo a, edited", "a change the server lacks keeps its folder")
        #expect(engine.leavingHold(RelativePath("Photos")!) == "Photos/2019/new.jpg is not on the server as it is here yet")
        #expect(setup.read("Photos/2019/new.jpg") == "new photo")
        _ = try await engine.pass()
        try await setup.converge(engine)
        #expect(setup.remote.text("Photos/a.jpg") == "photo a, edited", "the edit reached the server before the copy went")
        #expect(setup.remote.text("Photos/2019/new.jpg") == "new photo")
        #expect(setup.remote.text("Photos/2019/b.jpg") == "photo b", "nothing was deleted on the server")
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos"), "the local copy is gone")
        #expect(setup.read("Docs/c.txt") == "doc c", "the rest of the folder is untouched")
        let journal = try Journal(path: setup.journalPath)
        #expect(try !journal.holdsLocalCopy(of: RelativePath("Photos")!))

        // While excluded: the server's changes there are not downloaded, nothing is deleted.
        setup.remote.put("Photos/from-phone.jpg", "phone")
        try await setup.converge(engine)
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos"))
        #expect(setup.remote.text("Photos/from-phone.jpg") == "phone")

        // Included again: all of it comes back.
        excluded.set([])
        try await setup.converge(engine)
        #expect(setup.read("Photos/a.jpg") == "photo a, edited")
        #expect(setup.read("Photos/2019/b.jpg") == "photo b")
        #expect(setup.read("Photos/from-phone.jpg") == "phone")
        #expect(try setup.divergence() == nil)
    }

    @Test func aLocalCopyDeletedByHandWhileLeavingIsNoDeletionOnTheServer() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try await Self.synced(setup, engine)
        excluded.set(["Photos"])
        // The user frees the space by hand before the daemon got to it.
        try FileManager.default.removeItem(atPath: setup.root + "/Photos/2019")
        try setup.write("Photos/a.jpg", "photo a, edited just before")
        try await setup.converge(engine)
        #expect(setup.remote.text("Photos/2019/b.jpg") == "photo b", "a copy removed by hand is not a deletion")
        #expect(setup.remote.text("Photos/a.jpg") == "photo a, edited just before")
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos"))
    }

    @Test func aFolderMadeAgainAtAnExcludedPathIsRenamedNotMerged() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try await Self.synced(setup, engine)
        excluded.set(["Photos"])
        try await setup.converge(engine)
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos"))
        // A new local folder of the same name, with a file the server does not have there and
        // one it has under the same name with other content.
        try setup.write("Photos/mine.jpg", "made here")
        try setup.write("Photos/a.jpg", "another a")
        try await setup.converge(engine)
        let renamed = "Photos (selective sync conflict)"
        #expect(setup.read(renamed + "/mine.jpg") == "made here")
        #expect(setup.remote.text(renamed + "/mine.jpg") == "made here", "the renamed folder syncs")
        #expect(setup.remote.text(renamed + "/a.jpg") == "another a")
        #expect(setup.remote.text("Photos/a.jpg") == "photo a", "the excluded folder on the server is untouched")
        #expect(setup.remote.text("Photos/mine.jpg") == nil)
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos"))
    }

    /// A crash after the rows went and before the files did leaves a copy of what the server
    /// has: the next pass removes it (no conflict); a file that changed meanwhile makes it a
    /// conflict instead, and a folder holding only ignored files stays as it is.
    @Test func aCopyLeftByACrashIsRemovedAndIgnoredFilesStay() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try await Self.synced(setup, engine)
        try setup.write("Photos/2019/.b.jpg.swp", "an editor's swap file")
        excluded.set(["Photos"])
        try await setup.converge(engine)
        #expect(setup.read("Photos/2019/.b.jpg.swp") == "an editor's swap file", "an ignored file is never deleted")
        #expect(setup.read("Photos/a.jpg") == nil)
        // The copy comes back as it was (as after a crash between the journal and the files).
        try setup.write("Photos/a.jpg", "photo a")
        try setup.write("Photos/2019/b.jpg", "photo b")
        try await setup.converge(engine)
        #expect(setup.read("Photos/a.jpg") == nil && setup.read("Photos/2019/b.jpg") == nil)
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/Photos (selective sync conflict)"))
        #expect(setup.read("Photos/2019/.b.jpg.swp") == "an editor's swap file")
        #expect(setup.remote.text("Photos/a.jpg") == "photo a")
    }

    /// A folder included again before it finished leaving: what was deleted by hand meanwhile
    /// is downloaded again, never deleted on the server.
    @Test func aFolderIncludedAgainWhileLeavingDeletesNothingOnTheServer() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try await Self.synced(setup, engine)
        excluded.set(["Photos"])
        // An edit that cannot reach the server keeps the folder leaving.
        try setup.write("Photos/a.jpg", "photo a, edited offline")
        setup.remote.state.withLock { $0.failUploads = 1000 }
        try FileManager.default.removeItem(atPath: setup.root + "/Photos/2019")
        _ = try await engine.pass()
        _ = try await engine.pass()
        #expect(try Journal(path: setup.journalPath).holdsLocalCopy(of: RelativePath("Photos")!), "still leaving")
        excluded.set([])
        setup.remote.state.withLock { $0.failUploads = 0 }
        try await setup.converge(engine)
        #expect(setup.remote.text("Photos/2019/b.jpg") == "photo b", "nothing was deleted on the server")
        #expect(setup.read("Photos/2019/b.jpg") == "photo b", "it came back")
        #expect(setup.remote.text("Photos/a.jpg") == "photo a, edited offline")
        #expect(try setup.divergence() == nil)
    }

    /// What an exclusion does not touch: a folder only this device has (left alone, not
    /// synced), one inside an ignored folder, a link inside a leaving folder (the rest goes),
    /// and a file whose name a folders-only rule matches (still synced when hinted).
    @Test func whatAnExclusionLeavesAlone() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        try setup.write(".syncignore", "node_modules/\nbuild/\n")
        try setup.write("web/node_modules/pkg/index.js", "ignored code")
        try setup.write("Photos/a.jpg", "photo a")
        try setup.write("Photos/2019/b.jpg", "photo b")
        #expect(symlink("/etc", setup.root + "/Photos/2019/link") == 0)
        try setup.write("build", "a file named build")
        try await setup.converge(engine)
        #expect(setup.remote.text("build") == "a file named build" && setup.remote.text("Photos/2019/b.jpg") == "photo b")
        excluded.set(["Private", "web/node_modules/pkg", "Photos"])
        try setup.write("Private/diary.txt", "only here")
        try await setup.converge(engine)
        #expect(setup.read("Private/diary.txt") == "only here", "a folder the server lacks is left alone")
        #expect(setup.remote.text("Private/diary.txt") == nil, "and not synced")
        #expect(setup.read("web/node_modules/pkg/index.js") == "ignored code", "inside an ignored folder: untouched")
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/web/node_modules/pkg (selective sync conflict)"))
        #expect(setup.read("Photos/a.jpg") == nil && setup.read("Photos/2019/b.jpg") == nil, "a link does not keep the folder")
        var info = stat()
        #expect(lstat(setup.root + "/Photos/2019/link", &info) == 0, "the link stays")
        try setup.write("build", "a file named build, edited")
        _ = try await engine.pass(scope: .subtrees([RelativePath("build")!]))
        #expect(setup.remote.text("build") == "a file named build, edited", "the hint of a file named like a folders-only rule stays")
    }

    /// The quick check passes over the server's rows inside a hidden folder by their prefix:
    /// a row just beside it ("big x", which sorts between "big" and "big/…") is still judged,
    /// and its rule lifted is news.
    @Test func theQuickCheckJudgesTheRowsBesideAHiddenFolder() async throws {
        let setup = try Setup()
        let excluded = Excluded()
        let engine = try Self.engine(setup, excluded: excluded)
        for n in 0..<30 { setup.remote.put("big/\(n).f", "item \(n)") }
        setup.remote.put("big x/f", "beside")
        try setup.write(".syncignore", "big x/\n")
        excluded.set(["big"])
        try await setup.converge(engine)
        #expect(setup.read("big x/f") == nil && setup.read("big/0.f") == nil)
        let big = RelativePath("big")!
        guard case .settled = try await engine.quickCheck(now: Date(), dryRun: true, ignore: IgnoreRules("big x/\n").excluding([big])) else {
            Issue.record("nothing changed: the quick check should find nothing to do")
            return
        }
        guard case .changed = try await engine.quickCheck(now: Date(), dryRun: true, ignore: IgnoreRules().excluding([big])) else {
            Issue.record("the rule hiding \"big x\" is gone: the quick check must see its row")
            return
        }
    }

    @Test func excludedNamesAreLiteralAndNestedExclusionsFoldIntoTheOuter() {
        let rules = IgnoreRules().excluding(FolderSync.outermost([RelativePath("a/*")!, RelativePath("a/*/b")!, RelativePath("[x]")!]))
        #expect(rules.excluded.map(\.string) == ["[x]", "a/*"])
        #expect(rules.hides(RelativePath("a/*/c")!, isFolder: false))
        #expect(!rules.hides(RelativePath("a/z")!, isFolder: true), "a star in a name is that character")
        #expect(rules.hides(RelativePath("[x]")!, isFolder: true))
        #expect(!rules.hides(RelativePath("x")!, isFolder: true))
        // A .syncignore negation cannot bring an excluded folder back.
        let negated = IgnoreRules("!a/*\n").excluding([RelativePath("a/*")!])
        #expect(negated.hides(RelativePath("a/*")!, isFolder: true))
    }
}
