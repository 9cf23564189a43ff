import SyncAPI

/// An upload about to be sent, journalled before the server hears of it: the content and the
/// revision it replaces. A crash after the server committed it and before the journal recorded
/// the answer leaves the intent behind; the restarted engine then finds its own upload in the
/// server's tree and takes that revision as the synced state, even when the file has been
/// edited again since (the edit descends from the uploaded content: it is uploaded over it, not
/// kept as a conflicted copy).
public struct UploadIntent: Sendable, Equatable {
    public var path: RelativePath
    public var contentHash: String
    public var size: Int64
    /// The revision the upload replaces; nil: a new item.
    public var baseRevision: Int64?

    public init(path: RelativePath, contentHash: String, size: Int64, baseRevision: Int64?) {
        self.path = path
        self.contentHash = contentHash
        self.size = size
        self.baseRevision = baseRevision
    }

    /// What the intents say about the trees: synced rows to set (the server holds an upload of
    /// ours the journal missed) and the intents that are done with — every intent of a path
    /// resolved (`contentHash` nil), or one that is stale (the synced state moved on without
    /// it). A path may hold several: a restart that does not yet see its last upload on the
    /// server (still in flight there, say) sends the edited file under a new intent, and the
    /// server's answer may then be either. An intent still open (the upload may yet happen, or
    /// its retry will replace it) is kept.
    public static func resolve(
        _ intents: [UploadIntent],
        local: LocalTree,
        remote: RemoteTree,
        synced: SyncedTree
    )
        -> (synced: [RelativePath: SyncedEntry], done: [(path: RelativePath, contentHash: String?)])
    {
        var rows: [RelativePath: SyncedEntry] = [:]
        var done: [(path: RelativePath, contentHash: String?)] = []
        for (path, ofPath) in Dictionary(grouping: intents, by: \.path).sorted(by: { $0.key < $1.key }) {
            let base = synced[path]
            var open: [UploadIntent] = []
            for intent in ofPath {
                if base?.revision == intent.baseRevision, base.map({ $0.kind == .file }) ?? true {
                    open.append(intent)
                } else {
                    done.append((path, intent.contentHash))
                }
            }
            guard let r = remote[path], r.kind == .file, r.revision != base?.revision,
                let made = open.first(where: { $0.contentHash == r.contentHash })
            else { continue }
            rows[path] = SyncedEntry(
                kind: .file,
                contentHash: made.contentHash,
                size: made.size,
                inode: base?.inode ?? local[path]?.inode ?? 0,
                fileId: r.fileId,
                revision: r.revision
            )
            done.append((path, nil))
        }
        return (rows, done)
    }

    /// At most this many intents are kept per path (the newest).
    public static let perPath = 8
}
