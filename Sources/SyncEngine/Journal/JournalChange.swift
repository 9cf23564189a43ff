public import Foundation

/// Rows to write in one journal transaction.
public struct JournalChange: Sendable {
    enum Table: String, Sendable {
        case local = "local_items"
        case remote = "remote_items"
        case synced = "synced_items"
    }

    /// Local rows to set (nil: delete).
    public var local: [RelativePath: LocalEntry?] = [:]
    /// Remote rows to set (nil: delete).
    public var remote: [RelativePath: RemoteEntry?] = [:]
    /// Synced rows to set (nil: delete).
    public var synced: [RelativePath: SyncedEntry?] = [:]
    /// The change feed cursor the remote rows come from.
    public var remoteCursor: String?
    /// Upload sessions that ended (the file is on the server, or the upload was abandoned).
    public var finishedUploads: [RelativePath] = []
    /// Upload intents that are done with (the upload's answer is recorded, or one is stale):
    /// one content's, or every intent of the path (`contentHash` nil).
    public var settledIntents: [(path: RelativePath, contentHash: String?)] = []
    /// Move intents that are done with, by item.
    public var settledMoves: [String] = []
    /// Download intents that are done with, by path.
    public var settledDownloads: [RelativePath] = []
    /// Paths whose error is resolved.
    public var clearedErrors: [RelativePath] = []
    /// Subtrees whose rows are deleted first (nil: the whole table).
    var clearedSubtrees: [(RelativePath?, Table)] = []

    public init() {}

    /// Replaces the local rows of a subtree (nil: the whole folder) with a scan's result.
    public mutating func replaceLocal(under subtree: RelativePath?, with tree: LocalTree) {
        clearedSubtrees.append((subtree, .local))
        for (path, entry) in tree.entries { local[path] = entry }
    }

    /// Replaces every remote row with a full listing from the server.
    public mutating func replaceRemote(with tree: RemoteTree) {
        clearedSubtrees.append((nil, .remote))
        for (path, entry) in tree.entries { remote[path] = entry }
    }

    /// Moves a subtree of synced rows (the item kept its identity, only its path changed).
    public mutating func moveSynced(_ tree: SyncedTree, from: RelativePath, to: RelativePath) {
        for path in tree.subtree(from) {
            synced[path] = .some(nil)
        }
        for path in tree.subtree(from) {
            synced[path.rebased(from: from, to: to)] = tree[path]
        }
    }
}

/// An action that failed on a path, to be retried later.
public struct PathError: Sendable, Equatable {
    public var path: RelativePath
    public var message: String
    public var attempts: Int
    public var retryAt: Date
}
