import SyncAPI

/// The server as the engine needs it. The daemon implements it over the server's API and S3
/// (presigned uploads and downloads); tests use an in-memory remote.
///
/// Every mutation names the revision the caller last saw; a server whose item moved on answers
/// with a conflict error, and the engine plans again from fresh state.
public protocol RemotePort: Sendable {
    /// The whole remote tree, and a cursor for the change feed after it.
    func snapshot() async throws -> (tree: RemoteTree, cursor: String)
    /// Stores the scanned file `source` as `source.path`: a new item when `baseRevision` is nil,
    /// else a new revision of the item at that revision. What is sent must be the content the
    /// scan found (`source.contentHash`): an implementation checks the storage verified that,
    /// and that the file did not change meanwhile (``UploadSource/isUnchanged()``), and throws
    /// ``LocalFileError/Code/changedSinceScan`` when it did.
    func upload(_ source: UploadSource, baseRevision: Int64?) async throws -> RemoteEntry
    func createFolder(_ path: RelativePath) async throws -> RemoteEntry
    /// Writes the content of `entry` into the (empty) file at `localPath`: a temporary file the
    /// engine made in the target's folder, named by `/proc/self/fd/N` (the open file itself, so
    /// no folder path is looked up again). The engine verifies and installs it.
    func download(_ path: RelativePath, entry: RemoteEntry, to localPath: String) async throws
    /// Moves an item (a folder with everything in it).
    func move(_ path: RelativePath, to destination: RelativePath, revision: Int64) async throws -> RemoteEntry
    /// Deletes an item (a folder with everything in it) to the trash.
    func delete(_ path: RelativePath, revision: Int64) async throws
    /// What changed after `cursor` (a cursor from `snapshot` or an earlier delta); nil when
    /// the remote cannot tell, and the engine then takes a snapshot.
    func changes(after cursor: String) async throws -> RemoteDelta?
    /// Paths of the last snapshot that are not paths inside a folder (``RelativePath/init(_:)``
    /// refused them) and were left out of its tree: the engine reports them.
    var refusedPaths: [String] { get }
}

/// The server refused a mutation because the item is not at the revision the caller named (an
/// HTTP 409), and said what is there now. Not a failure: the engine writes `current` into its
/// remote tree and plans the path again at once, with no back-off.
public struct RemoteConflict: Error, Sendable, CustomStringConvertible {
    /// The path the refused step was about.
    public var path: RelativePath
    /// Where the server's current item is (the step's path, or for a move the taken destination).
    public var currentPath: RelativePath
    /// The item the server has at `currentPath` now; nil when it is gone.
    public var current: RemoteEntry?
    public var message: String

    public init(
        path: RelativePath,
        currentPath: RelativePath? = nil,
        current: RemoteEntry?,
        message: String = "the item changed since it was last seen"
    ) {
        self.path = path
        self.currentPath = currentPath ?? path
        self.current = current
        self.message = message
    }

    public var description: String { "409 \(path): \(message)" }
}

/// What changed on the server after a cursor, oldest first: the change feed, so that a pass
/// reads what moved instead of the whole tree.
public struct RemoteDelta: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        /// The server's identity of the item.
        public var fileId: String
        /// Where it is now; nil when the path cannot exist in this folder (it is then treated
        /// as gone from here).
        public var path: RelativePath?
        /// The item now; nil when it was deleted (a folder with everything inside it).
        public var entry: RemoteEntry?
        /// A folder's move: where it was. Everything inside it moved with it (the feed has no
        /// entries of their own).
        public var movedFrom: RelativePath?

        public init(fileId: String, path: RelativePath?, entry: RemoteEntry?, movedFrom: RelativePath? = nil) {
            self.fileId = fileId
            self.path = path
            self.entry = entry
            self.movedFrom = movedFrom
        }
    }

    public var changes: [Change]
    /// Where the next delta starts.
    public var cursor: String

    public init(changes: [Change], cursor: String) {
        self.changes = changes
        self.cursor = cursor
    }

    /// The tree after these changes, and the journal rows to write for them.
    public func applied(to tree: RemoteTree) -> (tree: RemoteTree, rows: [RelativePath: RemoteEntry?]) {
        guard !changes.isEmpty else { return (tree, [:]) }
        var tree = tree
        var rows: [RelativePath: RemoteEntry?] = [:]
        // Where the items this delta names are now (only theirs: the tree may be huge).
        let named = Set(changes.map(\.fileId))
        var pathOf: [String: RelativePath] = [:]
        for (path, entry) in tree.entries where named.contains(entry.fileId) { pathOf[entry.fileId] = path }
        for change in changes {
            // Only while the folder is where the entry says it was: the journal may already hold
            // what came after (this device's own moves, recorded as they were made, come back
            // through the feed), and what is under that path now is not what moved then.
            if let from = change.movedFrom, tree[from]?.fileId == change.fileId {
                // What was inside the folder goes where it went (or, when that cannot be a
                // path here, is gone from here).
                let moving = tree.entries.compactMap { path, entry in path.isInside(from) ? (path, entry) : nil }
                for (old, entry) in moving {
                    tree[old] = nil
                    rows[old] = .some(nil)
                    if pathOf[entry.fileId] == old { pathOf[entry.fileId] = nil }
                }
                if let to = change.path {
                    for (old, entry) in moving {
                        let new = old.rebased(from: from, to: to)
                        if let displaced = tree[new], displaced.fileId != entry.fileId { pathOf[displaced.fileId] = nil }
                        tree[new] = entry
                        rows[new] = entry
                        if named.contains(entry.fileId) { pathOf[entry.fileId] = new }
                    }
                }
            }
            // A folder deleted: everything inside it went with it (the feed has one entry).
            if change.entry == nil, let old = pathOf[change.fileId], let folder = tree[old], folder.fileId == change.fileId, folder.kind == .folder {
                let inside = tree.entries.compactMap { path, entry in path.isInside(old) ? (path, entry) : nil }
                for (path, entry) in inside {
                    tree[path] = nil
                    rows[path] = .some(nil)
                    if pathOf[entry.fileId] == path { pathOf[entry.fileId] = nil }
                }
            }
            if let old = pathOf[change.fileId], tree[old]?.fileId == change.fileId {
                tree[old] = nil
                rows[old] = .some(nil)
            }
            pathOf[change.fileId] = nil
            if let path = change.path, let entry = change.entry {
                if let displaced = tree[path], displaced.fileId != change.fileId { pathOf[displaced.fileId] = nil }
                tree[path] = entry
                rows[path] = entry
                pathOf[change.fileId] = path
            }
        }
        return (tree, rows)
    }
}

extension RemotePort {
    /// By default there is no feed: the engine reads the whole tree every pass.
    public func changes(after cursor: String) async throws -> RemoteDelta? { nil }

    /// By default every path the remote lists is one.
    public var refusedPaths: [String] { [] }
}
