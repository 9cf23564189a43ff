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
    /// ours the journal missed) and the intents that are done with (resolved, or stale: the
    /// synced state moved on without them). An intent still open (the upload may yet happen, or
    /// its retry will replace it) is kept.
    public static func resolve(_ intents: [UploadIntent], local: LocalTree, remote: RemoteTree, synced: SyncedTree)
        -> (synced: [RelativePath: SyncedEntry], done: [RelativePath])
    {
        var rows: [RelativePath: SyncedEntry] = [:]
        var done: [RelativePath] = []
        for intent in intents {
            let base = synced[intent.path]
            guard base?.revision == intent.baseRevision, base.map({ $0.kind == .file }) ?? true else {
                done.append(intent.path)
                continue
            }
            guard let r = remote[intent.path], r.kind == .file, r.contentHash == intent.contentHash, r.revision != intent.baseRevision
            else { continue }
            rows[intent.path] = SyncedEntry(
                kind: .file, contentHash: intent.contentHash, size: intent.size,
                inode: base?.inode ?? local[intent.path]?.inode ?? 0, fileId: r.fileId, revision: r.revision)
            done.append(intent.path)
        }
        return (rows, done)
    }
}
