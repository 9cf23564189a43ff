import SyncAPI

/// A download about to be installed in the folder, journalled first: the revision whose bytes
/// replace the file. A crash after the install and before the journal recorded it leaves the
/// intent behind; the restarted engine, seeing exactly those bytes at the path, takes that
/// revision as the synced state. Without it the file looks edited here (its content is not the
/// journal's), and a newer remote revision would make a conflicted copy of what is only the
/// server's own older version.
public struct DownloadIntent: Sendable, Equatable {
    public var path: RelativePath
    public var contentHash: String
    public var fileId: String
    public var revision: Int64

    public init(path: RelativePath, contentHash: String, fileId: String, revision: Int64) {
        self.path = path
        self.contentHash = contentHash
        self.fileId = fileId
        self.revision = revision
    }

    /// Synced rows to set for the intents whose bytes the folder holds, and the paths done
    /// with. Only paths this pass scanned (`scanned`) are decided: elsewhere the local tree is
    /// the journal's, older than the install.
    public static func resolve(
        _ intents: [DownloadIntent],
        local: LocalTree,
        scanned: (RelativePath) -> Bool
    ) -> (synced: [RelativePath: SyncedEntry], done: [RelativePath]) {
        var rows: [RelativePath: SyncedEntry] = [:]
        var done: [RelativePath] = []
        for intent in intents where scanned(intent.path) {
            done.append(intent.path)
            guard let l = local[intent.path], l.kind == .file, l.contentHash == intent.contentHash else { continue }
            rows[intent.path] = SyncedEntry(
                kind: .file,
                contentHash: intent.contentHash,
                size: l.size,
                inode: l.inode,
                fileId: intent.fileId,
                revision: intent.revision
            )
        }
        return (rows, done)
    }
}
