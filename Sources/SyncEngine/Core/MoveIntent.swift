/// A remote move about to be sent, journalled first: the item, where it was, where it goes and
/// the revision it was at. A move the server made whose answer never came (a reset, a crash)
/// is then recognised by the next pass — the item stands at the destination on the server —
/// and the synced tree moves with it, so that an edit made to the moved file meanwhile goes up
/// over it instead of being kept as a conflicted copy of the "other" item at that name.
public struct MoveIntent: Sendable, Equatable {
    public var fileId: String
    public var from: RelativePath
    public var to: RelativePath
    public var revision: Int64

    public init(fileId: String, from: RelativePath, to: RelativePath, revision: Int64) {
        self.fileId = fileId
        self.from = from
        self.to = to
        self.revision = revision
    }

    /// The synced tree with the moves the server made (and the journal missed) applied, the
    /// journal rows for that, and the intents done with (made, or stale: the synced item is no
    /// longer where the move started). An intent whose move may still land is kept. A move is
    /// taken as ours only while the local item is no longer at its source: an intent left over
    /// from a rename the user undid must not make another device's same move look like a local
    /// one back (which would revert it).
    public static func resolve(
        _ intents: [MoveIntent],
        local: LocalTree,
        remote: RemoteTree,
        synced: SyncedTree
    )
        -> (synced: SyncedTree, rows: JournalRows, done: [String])
    {
        var tree = synced
        var rows = JournalRows()
        var done: [String] = []
        for intent in intents {
            guard let base = tree[intent.from], base.fileId == intent.fileId, base.revision == intent.revision else {
                done.append(intent.fileId)
                continue
            }
            if local[intent.from]?.inode == base.inode {
                done.append(intent.fileId)
                continue
            }
            guard let moved = remote[intent.to], moved.fileId == intent.fileId, tree[intent.to] == nil else { continue }
            let subtree = tree.subtree(intent.from).map { ($0, tree[$0]!) }
            for (path, _) in subtree {
                tree[path] = nil
                rows[path] = .some(nil)
            }
            for (path, entry) in subtree {
                var entry = entry
                let target = path.rebased(from: intent.from, to: intent.to)
                if path == intent.from { entry.revision = moved.revision }
                tree[target] = entry
                rows[target] = entry
            }
            done.append(intent.fileId)
        }
        return (tree, rows, done)
    }

    /// Synced rows to set (nil: delete).
    public typealias JournalRows = [RelativePath: SyncedEntry?]
}
