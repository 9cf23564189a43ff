import Foundation
import Glibc
import SyncAPI
import Synchronization
import Testing

@testable import SyncEngine

/// A hinted pass after a settled one plans on the part of the trees it touches
/// (``PartialTrees``): the plan must be the one the whole trees give.
@Suite struct PartialTreesTests {
    typealias Setup = FolderSyncTests.Setup

    /// One random change, and the subtrees the watcher would hint for it.
    static func change(_ setup: Setup, files: [String], round: Int, using generator: inout SeededGenerator) -> [String] {
        let file = files.randomElement(using: &generator)!
        let folder = RelativePath(file)!.parent?.string
        let exists = FileManager.default.fileExists(atPath: setup.root + "/" + file)
        switch Int.random(in: 0..<18, using: &generator) {
        case 0:
            try? setup.write(file, "edited \(round)")
            return exists ? [file] : []
        case 1:
            try? setup.folder.rm(file)
            return [file]
        case 2:
            try? setup.write("new\(round)/inner/x.f", "new")
            return ["new\(round)"]
        case 3:
            guard exists else { return [] }
            setup.folder.mv(file, file + ".m")
            return [file, file + ".m"]
        case 4:
            guard let folder, FileManager.default.fileExists(atPath: setup.root + "/" + folder) else { return [] }
            setup.folder.mv(folder, folder + "-r")
            return [folder, folder + "-r"]
        case 5:
            // Into another folder of the tree.
            let other = files.randomElement(using: &generator)!
            guard exists, let into = RelativePath(other)!.parent?.string, into != folder,
                FileManager.default.fileExists(atPath: setup.root + "/" + into)
            else { return [] }
            let destination = into + "/moved\(round).f"
            setup.folder.mv(file, destination)
            return [file, destination]
        case 6:
            setup.remote.put(file, "remote edit \(round)")
            return []
        case 7:
            setup.remote.remove(RelativePath(file)!)
            return []
        case 8:
            if let folder { setup.remote.relocate(RelativePath(folder)!, to: RelativePath(folder + "-rr")!) }
            return []
        case 9:
            setup.remote.put("remote\(round)/n.f", "made elsewhere")
            return []
        case 10:
            // Both sides edit one file: a conflict (planned on the whole trees).
            try? setup.write(file, "local side \(round)")
            setup.remote.put(file, "remote side \(round)")
            return exists ? [file] : []
        case 11:
            try? setup.folder.mkdir("empty\(round)")
            return ["empty\(round)"]
        case 13:
            // Moved, with only the destination hinted yet (the lone IN_MOVED_FROM waits).
            guard exists else { return [] }
            setup.folder.mv(file, "moved\(round).f")
            return ["moved\(round).f"]
        case 14:
            setup.remote.relocate(RelativePath(file)!, to: RelativePath(file + ".rm")!)
            return []
        case 15:
            // Swapped names: a cycle of moves.
            let other = files.randomElement(using: &generator)!
            guard exists, other != file, FileManager.default.fileExists(atPath: setup.root + "/" + other) else { return [] }
            setup.folder.mv(file, "swap.tmp")
            setup.folder.mv(other, file)
            setup.folder.mv("swap.tmp", other)
            return [file, other]
        case 16:
            // The rules change: what was hidden shows, what showed is hidden.
            try? setup.write(".syncignore", "b/\n")
            return [".syncignore"]
        case 17:
            // A top folder and all in it (past the brake when it holds a few files).
            guard let top = RelativePath(file)!.ancestors.first?.string else { return [] }
            try? setup.folder.rm(top)
            return [top]
        default:
            guard let folder else { return [] }
            try? setup.folder.rm(folder)
            return [folder]
        }
    }

    /// The folder and the server differ in a path the rules do not hide.
    static func divergence(_ setup: Setup) throws -> String? {
        let rules = FolderScanner.loadIgnoreRules(root: setup.root)
        let local = try FolderScanner(root: setup.root, ignore: rules).scan(previous: LocalTree()).tree
        let remote = rules.visible(setup.remote.state.withLock { $0.tree }) { $0.kind == .folder }
        for path in Set(local.paths).union(remote.paths) {
            guard let l = local[path], let r = remote[path] else { return "\(path) on one side only" }
            if l.kind != r.kind || l.contentHash != r.contentHash { return "\(path) differs" }
        }
        return nil
    }

    /// Over random trees and random changes on both sides, the hinted pass on part of the trees
    /// plans exactly what the same pass on the whole trees plans; carried out, it converges.
    @Test func theHintedPassOnPartOfTheTreesPlansWhatTheWholeTreesPlan() async throws {
        var generator = SeededGenerator(seed: 0x9a27_1a15)
        var partial = 0
        var whole = 0
        var planned = 0
        var braked = 0
        for round in 0..<40 {
            let setup = try Setup()
            let names = ["a", "b", "a b", "a.b", "é", "c"]
            var files: [String] = []
            for _ in 0..<14 {
                let depth = Int.random(in: 1...3, using: &generator)
                files.append((0..<depth).map { _ in names.randomElement(using: &generator)! }.joined(separator: "/") + ".f")
            }
            for file in files { try? setup.write(file, "content of \(file)") }
            files = files.filter { FileManager.default.fileExists(atPath: setup.root + "/" + $0) }
            if round % 3 == 0 {
                // Rules hide a folder the server has.
                try setup.write(".syncignore", "c/\n")
                setup.remote.put("c/from-elsewhere.f", "hidden here")
            }
            // A brake that a folder of a few files can reach.
            let engine = try setup.engine(brake: .init(maxFraction: 0.2, minCount: 2))
            try await QuickCheckTests.settle(setup, engine)
            var hints = Set<String>()
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                hints.formUnion(Self.change(setup, files: files, round: round, using: &generator))
            }
            // As the coalescer hands them: none inside another, sorted.
            let paths = hints.compactMap(RelativePath.init).sorted()
            let scope = RescanCoalescer.Request.subtrees(paths.filter { path in !paths.contains { path.isInside($0) } })
            var configuration = engine.configuration
            configuration.partialTrees = false
            let reference = FolderSync(configuration: configuration, journal: try Journal(path: setup.journalPath), remote: setup.remote)
            // One instant for both: a conflicted copy's name carries the time.
            let now = Date()
            let expected = try await reference.pass(scope: scope, now: now, dryRun: true)
            let report = try await engine.pass(scope: scope, now: now, dryRun: true)
            #expect(!expected.partial)
            #expect(
                report.planned == expected.planned,
                "round \(round), \(scope): on part of the trees \(report.planned), on the whole trees \(expected.planned)"
            )
            if report.partial { partial += 1 } else { whole += 1 }
            if expected.brake != nil { braked += 1 }
            if !report.planned.isEmpty { planned += 1 }
            _ = try await engine.pass(scope: scope)
            engine.allowHeldDeletions()
            try await QuickCheckTests.settle(setup, engine)
            #expect(try Self.divergence(setup) == nil, "round \(round)")
            // The journal's view of the server is the server's (no row left behind, none missing).
            let journalRemote = try Journal(path: setup.journalPath).trees().remote
            let serverTree = setup.remote.state.withLock { $0.tree }
            #expect(journalRemote == serverTree, "round \(round): the journal's remote tree is not the server's")
        }
        #expect(
            partial >= 20 && whole > 0 && planned >= 20 && braked > 0,
            "\(partial) passes on part of the trees, \(whole) on the whole, \(planned) with a plan, \(braked) braked"
        )
    }

    /// What a hinted pass reads: the hinted folder, the folders above it and a moved item's
    /// source, not the rest of the tree.
    @Test func aHintedPassReadsWhatItTouches() async throws {
        let setup = try Setup()
        for folder in 0..<20 { for file in 0..<10 { try setup.write("f\(folder)/x\(file).txt", "\(folder)/\(file)") } }
        try setup.write("deep/er/still/a.txt", "a")
        let engine = try setup.engine()
        try await QuickCheckTests.settle(setup, engine)
        try setup.write("deep/er/still/b.txt", "new")
        setup.folder.mv("f3/x1.txt", "deep/er/moved.txt")
        let report = try await engine.pass(scope: .subtrees([RelativePath("deep/er")!, RelativePath("f3/x1.txt")!]))
        #expect(report.partial)
        #expect(report.done.map(\.description).sorted() == ["move remote f3/x1.txt -> deep/er/moved.txt", "upload deep/er/still/b.txt"])
        // The hinted folder's 4 items and the moved file's source (3 trees each, as far as
        // they hold them), and the 3 folders above: not the 200 files of the other folders.
        #expect((report.partialRows ?? 0) < 40, "\(report.partialRows ?? 0) rows read")
        #expect(setup.read("deep/er/moved.txt") == "3/1")
        let remote = setup.remote.state.withLock { $0.tree }
        #expect(remote[RelativePath("deep/er/moved.txt")!] != nil && remote[RelativePath("f3/x1.txt")!] == nil)
        try await setup.converge(engine)
        #expect(try setup.divergence() == nil)
    }

    /// This device's own steps come back through the feed: those changes are left out before
    /// anything is loaded for them, and what remains applies to the same tree.
    @Test func theFeedsEchoesOfTheJournalAreLeftOut() throws {
        let state = try TestFolder()
        let journal = try Journal(path: state.root + "/journal.sqlite")
        func p(_ s: String) -> RelativePath { RelativePath(s)! }
        func file(_ id: String, _ revision: Int64) -> RemoteEntry {
            RemoteEntry(kind: .file, fileId: id, revision: revision, size: 1, contentHash: "h\(id)\(revision)")
        }
        var rows = JournalChange()
        rows.remote = [
            p("docs"): RemoteEntry(kind: .folder, fileId: "d", revision: 1), p("docs/a"): file("a", 2), p("docs/b"): file("b", 1),
            p("c"): file("c", 4), p("e"): file("e", 1), p("moved"): RemoteEntry(kind: .folder, fileId: "m", revision: 1),
            p("moved/x"): file("x", 1),
        ]
        try journal.apply(rows)
        let delta = RemoteDelta(
            changes: [
                .init(fileId: "a", path: p("docs/a"), entry: file("a", 2)),  // as recorded: an echo
                .init(fileId: "b", path: p("docs/b"), entry: file("b", 2)),  // a new revision
                .init(fileId: "c", path: p("c2"), entry: file("c", 4)),  // moved
                .init(fileId: "gone", path: p("old"), entry: nil),  // deleted, never here: an echo
                .init(fileId: "e", path: p("e"), entry: nil),  // deleted
                .init(fileId: "m", path: p("archive"), entry: RemoteEntry(kind: .folder, fileId: "m", revision: 2), movedFrom: p("moved")),
                .init(fileId: "x", path: p("moved/x"), entry: file("x", 1)),  // as recorded, but its folder moved before
                .init(fileId: "twice", path: p("t1"), entry: file("twice", 1)),
                .init(fileId: "twice", path: p("t2"), entry: file("twice", 1)),
            ],
            cursor: "9"
        )
        let kept = try journal.withoutEchoes(delta)
        #expect(kept.cursor == "9")
        #expect(kept.changes.map(\.fileId) == ["b", "c", "e", "m", "x", "twice", "twice"])
        let tree = try journal.trees().remote
        #expect(kept.applied(to: tree).tree == delta.applied(to: tree).tree)
        // A first upload: folders and the files in them, all as recorded, nothing moved or
        // deleted: all echoes.
        let upload = RemoteDelta(
            changes: [
                .init(fileId: "d", path: p("docs"), entry: RemoteEntry(kind: .folder, fileId: "d", revision: 1)),
                .init(fileId: "a", path: p("docs/a"), entry: file("a", 2)), .init(fileId: "b", path: p("docs/b"), entry: file("b", 1)),
            ],
            cursor: "10"
        )
        #expect(try journal.withoutEchoes(upload).changes.isEmpty)
    }
}
