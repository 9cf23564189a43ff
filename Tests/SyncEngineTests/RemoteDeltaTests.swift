import SyncAPI
import Testing

@testable import SyncEngine

/// Applying the server's change feed to the journal's remote tree gives the tree a full
/// listing would.
@Suite struct RemoteDeltaTests {
    func p(_ s: String) -> RelativePath { RelativePath(s)! }
    func file(_ id: String, _ revision: Int64 = 1, _ hash: String = "h") -> RemoteEntry {
        RemoteEntry(kind: .file, fileId: id, revision: revision, size: 1, contentHash: hash)
    }
    func folder(_ id: String, _ revision: Int64 = 1) -> RemoteEntry { RemoteEntry(kind: .folder, fileId: id, revision: revision) }

    @Test func movesDeletesAndNewItemsLandWhereAListingWouldPutThem() {
        let before = RemoteTree([
            p("docs"): folder("F1"), p("docs/a.txt"): file("A"), p("docs/b.txt"): file("B"), p("old.txt"): file("O"), p("x.txt"): file("X"),
        ])
        let delta = RemoteDelta(
            changes: [
                // docs renamed to archive: the folder and each child, with their new paths.
                .init(fileId: "F1", path: p("archive"), entry: folder("F1", 2)),
                .init(fileId: "A", path: p("archive/a.txt"), entry: file("A")),
                .init(fileId: "B", path: p("archive/b.txt"), entry: file("B")),
                // old.txt deleted, then a new item made at its path.
                .init(fileId: "O", path: p("old.txt"), entry: nil),
                .init(fileId: "N", path: p("old.txt"), entry: file("N", 1, "n")),
                // x.txt edited twice: the last revision wins.
                .init(fileId: "X", path: p("x.txt"), entry: file("X", 2, "x2")),
                .init(fileId: "X", path: p("x.txt"), entry: file("X", 3, "x3")),
                // A name this folder cannot hold: the item is gone from here.
                .init(fileId: "Q", path: nil, entry: file("Q")),
            ],
            cursor: "42"
        )
        let (after, rows) = delta.applied(to: before)
        #expect(
            after
                == RemoteTree([
                    p("archive"): folder("F1", 2), p("archive/a.txt"): file("A"), p("archive/b.txt"): file("B"), p("old.txt"): file("N", 1, "n"),
                    p("x.txt"): file("X", 3, "x3"),
                ])
        )
        #expect(rows[p("docs")] == .some(nil) && rows[p("docs/a.txt")] == .some(nil), "the old rows go")
        #expect(rows[p("old.txt")] == .some(file("N", 1, "n")) && rows[p("x.txt")] == .some(file("X", 3, "x3")))
    }

    @Test func aSwapOfTwoNamesIsFollowed() {
        let before = RemoteTree([p("a"): file("A"), p("b"): file("B")])
        let delta = RemoteDelta(
            changes: [
                .init(fileId: "A", path: p("tmp"), entry: file("A", 2)),
                .init(fileId: "B", path: p("a"), entry: file("B", 2)),
                .init(fileId: "A", path: p("b"), entry: file("A", 3)),
            ],
            cursor: "3"
        )
        #expect(delta.applied(to: before).tree == RemoteTree([p("a"): file("B", 2), p("b"): file("A", 3)]))
    }

    @Test func aFoldersMoveInOneEntryTakesEverythingInsideWithIt() {
        let before = RemoteTree([
            p("docs"): folder("F1"), p("docs/a.txt"): file("A"), p("docs/sub"): folder("S"), p("docs/sub/b.txt"): file("B"),
            p("docsx.txt"): file("X"), p("archive"): folder("R"),
        ])
        let delta = RemoteDelta(
            changes: [
                .init(fileId: "F1", path: p("archive/docs"), entry: folder("F1", 2), movedFrom: p("docs")),
                // A later change of an item that moved along lands at its new path.
                .init(fileId: "B", path: p("archive/docs/sub/b.txt"), entry: file("B", 2, "b2")),
            ],
            cursor: "9"
        )
        let (after, rows) = delta.applied(to: before)
        #expect(
            after
                == RemoteTree([
                    p("archive"): folder("R"), p("archive/docs"): folder("F1", 2), p("archive/docs/a.txt"): file("A"),
                    p("archive/docs/sub"): folder("S"), p("archive/docs/sub/b.txt"): file("B", 2, "b2"), p("docsx.txt"): file("X"),
                ])
        )
        #expect(rows[p("docs/sub/b.txt")] == .some(nil) && rows[p("archive/docs/a.txt")] == .some(file("A")))
        #expect(rows[p("docsx.txt")] == nil, "a name that only begins like the folder's is not inside it")
        // Moved to where this folder cannot hold it: everything inside is gone from here.
        let away = RemoteDelta(changes: [.init(fileId: "F1", path: nil, entry: folder("F1", 2), movedFrom: p("docs"))], cursor: "10")
        #expect(away.applied(to: before).tree == RemoteTree([p("docsx.txt"): file("X"), p("archive"): folder("R")]))
    }

    /// `mv X Y; mv Z X` made by this device: the journal holds both moves before the feed
    /// brings them back. Replayed, the first must not carry Z's items (now under X) to Y.
    @Test func aFoldersMoveReplayedOverItsOwnLaterStateMovesNothingElse() {
        let after = RemoteTree([
            p("Y"): folder("X1", 2), p("Y/a.txt"): file("A"), p("X"): folder("Z1", 2), p("X/g.txt"): file("G"),
        ])
        let replay = RemoteDelta(
            changes: [
                .init(fileId: "X1", path: p("Y"), entry: folder("X1", 2), movedFrom: p("X")),
                .init(fileId: "Z1", path: p("X"), entry: folder("Z1", 2), movedFrom: p("Z")),
            ],
            cursor: "12"
        )
        #expect(replay.applied(to: after).tree == after)
    }

    /// A folder's deletion is one entry of the feed: what was inside it goes too, and only
    /// while the folder is the one deleted (a new folder at its path keeps its items).
    @Test func aFoldersDeletionInOneEntryTakesEverythingInsideWithIt() {
        let before = RemoteTree([
            p("docs"): folder("F1"), p("docs/a.txt"): file("A"), p("docs/sub"): folder("S"), p("docs/sub/b.txt"): file("B"),
            p("docsx.txt"): file("X"),
        ])
        let delta = RemoteDelta(changes: [.init(fileId: "F1", path: p("docs"), entry: nil)], cursor: "5")
        let (after, rows) = delta.applied(to: before)
        #expect(after == RemoteTree([p("docsx.txt"): file("X")]))
        #expect(rows[p("docs/sub/b.txt")] == .some(nil) && rows[p("docs")] == .some(nil))
        let replaced = RemoteTree([p("docs"): folder("F2"), p("docs/new.txt"): file("N")])
        #expect(delta.applied(to: replaced).tree == replaced, "the deleted folder is not the one there now")
    }
}
