import Foundation
import Glibc
import SyncAPI
import Synchronization
import Testing

@testable import SyncEngine

/// The quick check: a restart (or a periodic rescan) of a folder where nothing changed reads no
/// tree and plans nothing; anything a full pass would act on sends it to the full pass.
@Suite struct QuickCheckTests {
    typealias Setup = FolderSyncTests.Setup

    /// Names whose byte order is not a depth-first walk's: "a.b" and "a b" sort between the
    /// folder "a" and "a/x", "A" before "a", multi-byte letters after every ASCII one.
    static let awkwardTree = [
        "a/x.txt", "a/x/deep/er/file.txt", "a.b", "a b/c.txt", "a-b/c.txt", "a0", "A/upper.txt", "é/ü.txt", "e/plain.txt",
        "z.txt", "a/x!", "a/x.d/y", "a/x-/y", "empty/",
    ]

    static func build(_ setup: Setup, _ paths: [String] = awkwardTree) throws {
        for path in paths {
            if path.hasSuffix("/") { try setup.folder.mkdir(String(path.dropLast())) } else { try setup.write(path, "content of \(path)") }
        }
    }

    /// Converges, then passes until the feed has caught up with this device's own steps (they
    /// come back through it once).
    static func settle(_ setup: Setup, _ engine: FolderSync) async throws {
        try await setup.converge(engine)
        _ = try await engine.pass()
    }

    @Test func aRestartWithNothingChangedPlansNothingAndReadsNoTree() async throws {
        let setup = try Setup()
        try Self.build(setup)
        #expect(symlink("/etc", setup.root + "/a/link") == 0)
        try await Self.settle(setup, try setup.engine())
        let restarted = try setup.engine()
        let report = try await restarted.pass()
        #expect(report.quick, "the restart found the folder as the journal left it")
        #expect(report.isIdle && report.done.isEmpty)
        #expect(report.scanProblems.map(\.path) == ["a/link"], "what the scanner reports, the quick check reports too")
        #expect(setup.remote.state.withLock { $0.snapshots } == 1, "the restart listed nothing")
        #expect(try setup.divergence() == nil)
    }

    /// What the server holds under an ignored name (here `build/`) is in the journal's remote
    /// tree and nowhere else: the planner does not see it, so neither does the check.
    @Test func whatTheIgnoreRulesHideOnTheServerKeepsARestartQuick() async throws {
        let setup = try Setup()
        try Self.build(setup)
        try setup.write(".syncignore", "build/\n")
        setup.remote.put("build/out.o", "made elsewhere")
        setup.remote.put("build/deep/more.o", "made elsewhere")
        try await Self.settle(setup, try setup.engine())
        #expect(!FileManager.default.fileExists(atPath: setup.root + "/build"))
        let engine = try setup.engine()
        let report = try await engine.pass()
        #expect(report.quick && report.isIdle)
        // A remote row the folder lacks at a path no rule hides is news (a journal left so by
        // a download that never happened): the full pass brings it down.
        var change = JournalChange()
        change.remote[RelativePath("a/x/left-out.txt")!] = setup.remote.state.withLock { $0.tree[RelativePath("z.txt")!] }
        try engine.journal.apply(change)
        #expect(try await !engine.pass().quick)
        // Each row is judged with its own kind: a synced *file* named `build` is not hidden by
        // the folders-only rule `build/`, though the remote row at that path is a folder.
        let other = try Setup()
        try Self.build(other)
        try other.write(".syncignore", "build/\n")
        other.remote.put("build/out.o", "made elsewhere")
        let engine2 = try other.engine()
        try await Self.settle(other, engine2)
        #expect(try await engine2.pass().quick)
        var file = JournalChange()
        file.synced[RelativePath("build")!] = SyncedEntry(kind: .file, contentHash: nil, size: 0, inode: 1, fileId: "gone", revision: 1)
        try engine2.journal.apply(file)
        #expect(try await !engine2.pass().quick)
    }

    /// The walk on its own thread hands every item, in SQLite's byte order, through more
    /// chunks than the pipe holds; a reader that stops early is not kept waiting; the walk's
    /// failure reaches the reader.
    @Test func theWalkAsideHandsEveryItemInByteOrderAndStopsWhenAsked() throws {
        let folder = try TestFolder()
        for d in 0..<9 {
            try folder.mkdir("d\(d)")
            for f in 0..<1000 { #expect(FileManager.default.createFile(atPath: folder.root + "/d\(d)/f.\(f)", contents: nil)) }
        }
        try folder.write("d.txt", "between d and d/")
        let walk = OrderedWalk(folder: try LocalFolder(root: folder.root), ignore: IgnoreRules())
        var direct: [RelativePath] = []
        var problems: [ScanProblem] = []
        try walk.run(problems: &problems) { path, _ in
            direct.append(path)
            return true
        }
        #expect(direct.count == 9010)
        let bytes = direct.map { Array($0.string.utf8) }
        #expect(bytes == bytes.sorted { $0.lexicographicallyPrecedes($1) }, "the journal's order")
        let (aside, _) = try walk.runAside { next in
            var paths: [RelativePath] = []
            while let (path, _) = try next() { paths.append(path) }
            return paths
        }
        #expect(aside == direct)
        let (first, _) = try walk.runAside { next in try (0..<10).compactMap { _ in try next()?.0 } }
        #expect(first == Array(direct.prefix(10)))
        // A reader that stops while the walk has filled the pipe (9 chunks, room for 8): the
        // walk is stopped and the pipe goes away without libdispatch aborting the process.
        let (one, _) = try walk.runAside { next in
            let item = try next()
            Thread.sleep(forTimeInterval: 0.3)
            return item?.0
        }
        #expect(one == direct.first)
        try folder.write("d8/.syncd-tmp-1", "a download cut short")
        #expect(throws: OrderedWalk.Stop.self) {
            _ = try walk.runAside { next in
                while try next() != nil {}
            }
        }
    }

    /// Each change a full pass acts on, made after a settled pass: the quick check must not take
    /// it for nothing, and the full pass that follows carries it over.
    @Test(arguments: Change.allCases) func everyChangeGoesToTheFullPass(_ change: Change) async throws {
        let setup = try Setup()
        try Self.build(setup)
        let engine = try setup.engine()
        try await Self.settle(setup, engine)
        #expect(try await engine.pass().quick, "settled before the change")
        try change.make(setup, engine.journal)
        let report = try await engine.pass()
        #expect(!report.quick, "\(change) was taken for nothing")
        try await setup.converge(engine)
        #expect(try setup.divergence() == nil)
        try change.check(setup)
    }

    enum Change: CaseIterable {
        case rewrittenKeepingSizeAndMtime, newFileDeepInside, newEmptyFolder, deletedFile, deletedFolder, deletedLastInOrder, renamedFile
        case fileBecameFolder, changedOnTheServer, deletedOnTheServer, newlyIgnored, leftoverTemporary, pendingError

        func make(_ setup: Setup, _ journal: Journal) throws {
            let root = setup.root
            switch self {
            case .rewrittenKeepingSizeAndMtime:
                // The same size and mtime (`cp -p`, `touch -r`): only the ctime tells.
                var before = stat()
                #expect(stat(root + "/a0", &before) == 0)
                try setup.write("a0", "CONTENT OF a0")
                var times = [before.st_atim, before.st_mtim]
                #expect(utimensat(AT_FDCWD, root + "/a0", &times, 0) == 0)
            case .newFileDeepInside: try setup.write("a/x/deep/er/new.txt", "new")
            case .newEmptyFolder: try setup.folder.mkdir("a/x/deep/new")
            case .deletedFile: try setup.folder.rm("a b/c.txt")
            case .deletedFolder: try setup.folder.rm("a/x")
            // The last path in byte order ("é" is two bytes above every ASCII letter).
            case .deletedLastInOrder: try setup.folder.rm("é/ü.txt")
            case .renamedFile: setup.folder.mv("z.txt", "a/z.txt")
            case .fileBecameFolder:
                try setup.folder.rm("a.b")
                try setup.write("a.b/inside.txt", "now a folder")
            case .changedOnTheServer: setup.remote.put("e/plain.txt", "from another device")
            case .deletedOnTheServer: setup.remote.remove(RelativePath("A")!)
            case .newlyIgnored: try setup.write(".syncignore", "*.b\n")
            case .leftoverTemporary: try setup.write("a/.syncd-tmp-123", "half a download")
            case .pendingError: try journal.recordError("upload failed", for: RelativePath("z.txt")!, retryAt: Date())
            }
        }

        /// What the full pass did about it.
        func check(_ setup: Setup) throws {
            switch self {
            case .rewrittenKeepingSizeAndMtime: #expect(setup.remote.text("a0") == "CONTENT OF a0")
            case .newFileDeepInside: #expect(setup.remote.text("a/x/deep/er/new.txt") == "new")
            case .newEmptyFolder: #expect(setup.remote.state.withLock { $0.tree[RelativePath("a/x/deep/new")!]?.kind } == .folder)
            case .deletedFile: #expect(setup.remote.text("a b/c.txt") == nil)
            case .deletedFolder: #expect(setup.remote.state.withLock { $0.tree[RelativePath("a/x")!] } == nil)
            case .deletedLastInOrder: #expect(setup.remote.text("é/ü.txt") == nil)
            case .renamedFile: #expect(setup.remote.text("a/z.txt") == "content of z.txt" && setup.remote.text("z.txt") == nil)
            case .fileBecameFolder: #expect(setup.remote.text("a.b/inside.txt") == "now a folder")
            case .changedOnTheServer: #expect(setup.read("e/plain.txt") == "from another device")
            case .deletedOnTheServer: #expect(!FileManager.default.fileExists(atPath: setup.root + "/A"))
            case .newlyIgnored: #expect(setup.remote.text(".syncignore") == "*.b\n")
            case .leftoverTemporary: #expect(!FileManager.default.fileExists(atPath: setup.root + "/a/.syncd-tmp-123"))
            case .pendingError: #expect(try Journal(path: setup.journalPath).errors().isEmpty)
            }
        }
    }

    /// The property the shortcut rests on, over random trees and random changes on both sides:
    /// whenever the quick check finds nothing to do, the planner, given the same folder, server
    /// and journal, plans nothing either.
    @Test func whenTheQuickCheckFindsNothingThePlannerPlansNothing() async throws {
        var generator = SeededGenerator(seed: 0x5eed_0015)
        var quick = 0
        var full = 0
        for _ in 0..<24 {
            let setup = try Setup()
            let names = ["a", "a.b", "a b", "a-b", "A", "é", "z", "a0"]
            var paths: [String] = []
            for _ in 0..<12 {
                let depth = Int.random(in: 1...3, using: &generator)
                let components = (0..<depth).map { _ in names.randomElement(using: &generator)! }
                paths.append(components.joined(separator: "/") + ".f")
            }
            try Self.build(setup, paths)
            let engine = try setup.engine()
            try await Self.settle(setup, engine)
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                let path = paths.randomElement(using: &generator)!
                let file = setup.root + "/" + path
                switch Int.random(in: 0..<7, using: &generator) {
                case 0: try? setup.write(path, "edited")
                case 1: try? setup.folder.rm(path)
                case 2: try? setup.folder.mkdir(path + ".d")
                case 3:
                    // Rewritten in place with its size and mtime put back.
                    var before = stat()
                    guard stat(file, &before) == 0 else { break }
                    try? setup.write(path, String(repeating: "x", count: Int(before.st_size)))
                    var times = [before.st_atim, before.st_mtim]
                    _ = utimensat(AT_FDCWD, file, &times, 0)
                case 4: setup.remote.put(path, "remote edit")
                case 5: setup.remote.remove(RelativePath(path)!)
                default: _ = rename(file, setup.root + "/" + path + ".moved")
                }
            }
            var configuration = engine.configuration
            configuration.quickCheck = false
            let planner = FolderSync(configuration: configuration, journal: try Journal(path: setup.journalPath), remote: setup.remote)
            guard case .settled = try await engine.quickCheck(now: Date(), dryRun: true) else {
                full += 1
                continue
            }
            quick += 1
            let plan = try await planner.pass(dryRun: true).planned
            #expect(plan.isEmpty, "the quick check found nothing to do where the planner plans \(plan)")
        }
        #expect(quick > 0 && full > 0, "both outcomes were tried (\(quick) quick, \(full) full)")
    }
}
