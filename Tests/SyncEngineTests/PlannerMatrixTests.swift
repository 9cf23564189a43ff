import Foundation
import Testing

@testable import SyncEngine

/// The change matrix: one file `f.txt` in sync (content h0, identity @1, revision r1), a change
/// on each side, and the plan expected. Every row's plan is also executed, and must converge
/// without losing a version.
@Suite struct PlannerMatrixTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var local: [String]
        var remote: [String]
        var expected: [String]

        var testDescription: String { name }
    }

    static let copy = "f (conflicted copy from laptop 2026-11-30 005320).txt"
    static let base = "file f.txt h0 @1"

    static let rows: [Row] = [
        Row(name: "unchanged x unchanged", local: [base], remote: [base], expected: []),
        Row(name: "modified x unchanged", local: ["file f.txt h1 @1"], remote: [base], expected: ["upload f.txt over r1"]),
        Row(name: "unchanged x modified", local: [base], remote: ["file f.txt h2 @1 r2"], expected: ["download f.txt"]),
        Row(name: "deleted x unchanged", local: [], remote: [base], expected: ["delete remote file f.txt"]),
        Row(name: "unchanged x deleted", local: [base], remote: [], expected: ["delete local file f.txt"]),
        Row(name: "deleted x deleted", local: [], remote: [], expected: ["forget f.txt"]),
        Row(name: "modified x deleted: the change survives", local: ["file f.txt h1 @1"], remote: [], expected: ["upload f.txt"]),
        Row(name: "deleted x modified: the change survives", local: [], remote: ["file f.txt h2 @1 r2"], expected: ["download f.txt"]),
        Row(
            name: "modified x modified: keep both",
            local: ["file f.txt h1 @1"],
            remote: ["file f.txt h2 @1 r2"],
            expected: ["conflict f.txt, local kept as \(copy)", "upload \(copy)", "download f.txt"]
        ),
        Row(name: "modified x modified, same bytes", local: ["file f.txt h1 @1"], remote: ["file f.txt h1 @1 r2"], expected: ["record f.txt"]),
        Row(name: "moved x unchanged", local: ["file g.txt h0 @1"], remote: [base], expected: ["move remote f.txt -> g.txt"]),
        Row(name: "unchanged x moved", local: [base], remote: ["file g.txt h0 @1"], expected: ["move local f.txt -> g.txt"]),
        Row(
            name: "moved x modified",
            local: ["file g.txt h0 @1"],
            remote: ["file f.txt h2 @1 r2"],
            expected: ["move remote f.txt -> g.txt", "download g.txt"]
        ),
        Row(
            name: "modified x moved",
            local: ["file f.txt h1 @1"],
            remote: ["file g.txt h0 @1"],
            expected: ["move local f.txt -> g.txt", "upload g.txt over r1"]
        ),
        // The same inode with other content is not a move: ext4 gives a deleted file's inode to
        // the next file created, anywhere. (A move would be followed by an upload over the
        // revision the move replaced: a 409 from the server.)
        Row(
            name: "inode reused by a new file (or moved and modified) x unchanged",
            local: ["file g.txt h1 @1"],
            remote: [base],
            expected: ["upload g.txt", "delete remote file f.txt"]
        ),
        Row(
            name: "inode reused by a new file x modified: both versions stay",
            local: ["file g.txt h1 @1"],
            remote: ["file f.txt h2 @1 r2"],
            expected: ["download f.txt", "upload g.txt"]
        ),
        Row(
            name: "inode reused by a new file x moved",
            local: ["file g.txt h1 @1"],
            remote: ["file h.txt h0 @1 r2"],
            expected: ["upload g.txt", "download h.txt", "forget f.txt"]
        ),
        Row(
            name: "inode reused by a new folder x unchanged",
            local: ["folder g @1"],
            remote: [base],
            expected: ["mkdir remote g", "delete remote file f.txt"]
        ),
        Row(name: "moved x moved, same place", local: ["file g.txt h0 @1"], remote: ["file g.txt h0 @1"], expected: ["record move f.txt -> g.txt"]),
        Row(
            name: "moved x moved elsewhere: the server's place wins",
            local: ["file g.txt h0 @1"],
            remote: ["file h.txt h0 @1"],
            expected: ["move local g.txt -> h.txt"]
        ),
        Row(
            name: "moved x deleted: the moved file survives",
            local: ["file g.txt h0 @1"],
            remote: [],
            expected: ["upload g.txt", "forget f.txt"]
        ),
        Row(
            name: "deleted x moved: the moved file comes back",
            local: [],
            remote: ["file g.txt h0 @1"],
            expected: ["download g.txt", "forget f.txt"]
        ),
        Row(name: "case-only rename x unchanged", local: ["file F.txt h0 @1"], remote: [base], expected: ["move remote f.txt -> F.txt"]),
        Row(
            name: "replaced by a folder x unchanged",
            local: ["folder f.txt @7"],
            remote: [base],
            expected: ["delete remote file f.txt", "mkdir remote f.txt"]
        ),
        Row(
            name: "unchanged x replaced by a folder",
            local: [base],
            remote: ["folder f.txt @8"],
            expected: ["delete local file f.txt", "mkdir local f.txt"]
        ),
        Row(
            name: "modified x replaced by a folder: keep both",
            local: ["file f.txt h1 @1"],
            remote: ["folder f.txt @8"],
            expected: ["conflict f.txt, local kept as \(copy)", "mkdir local f.txt", "upload \(copy)"]
        ),
        Row(name: "created x absent", local: [base, "file n.txt h5 @5"], remote: [base], expected: ["upload n.txt"]),
        Row(name: "absent x created", local: [base], remote: [base, "file n.txt h6 @6"], expected: ["download n.txt"]),
        Row(
            name: "created x created, different",
            local: [base, "file n.txt h5 @5"],
            remote: [base, "file n.txt h6 @6"],
            expected: [
                "conflict n.txt, local kept as n (conflicted copy from laptop 2026-11-30 005320).txt",
                "upload n (conflicted copy from laptop 2026-11-30 005320).txt", "download n.txt",
            ]
        ),
        Row(
            name: "created x created, same bytes",
            local: [base, "file n.txt h5 @5"],
            remote: [base, "file n.txt h5 @6"],
            expected: ["record n.txt"]
        ),
    ]

    @Test(arguments: rows)
    func row(_ row: Row) throws {
        let text =
            "synced:\n  \(Self.base)\nlocal:\n" + row.local.map { "  \($0)\n" }.joined()
            + "remote:\n" + row.remote.map { "  \($0)\n" }.joined()
        var scenario = try Scenario(name: row.name, text: text)
        let plan = scenario.plan()
        #expect(plan.actions.map(\.description) == row.expected)
        let versions = scenario.world.newVersions()
        try scenario.world.apply(plan)
        #expect(scenario.world.divergence() == nil, "\(scenario.world)")
        let kept = Set(scenario.world.local.entries.values.compactMap(\.contentHash))
        #expect(versions.isSubset(of: kept), "lost \(versions.subtracting(kept))")
        #expect(scenario.plan().actions.isEmpty, "a second pass has nothing left to do")
    }
}
