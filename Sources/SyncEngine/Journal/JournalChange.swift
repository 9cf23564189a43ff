public import Foundation

/// Rows to write in one journal transaction.
public struct JournalChange: Sendable {
    /// Local rows to set (nil: delete).
    public var local: [RelativePath: LocalEntry?] = [:]
    /// Remote rows to set (nil: delete).
    public var remote: [RelativePath: RemoteEntry?] = [:]
    /// Synced rows to set (nil: delete).
    public var synced: [RelativePath: SyncedEntry?] = [:]
    /// The change feed cursor the remote rows come from.
    public var remoteCursor: String?
    /// When the whole remote tree was read (a snapshot), recorded with its cursor.
    public var remoteListedAt: Date?
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
    /// What the step did, for `syncd activity` (the newest ``Activity/kept`` are kept).
    public var activity: [Activity] = []

    public init() {}

    /// Replaces the local rows of a subtree (nil: the whole folder) with a scan's result.
    /// `previous` is what the journal holds now (the pass read it, and nothing else writes the
    /// journal's trees meanwhile): only the rows that differ are written, so a rescan of an
    /// unchanged folder writes nothing.
    public mutating func replaceLocal(under subtree: RelativePath?, with tree: LocalTree, previous: LocalTree) {
        Self.replace(&local, under: subtree, with: tree, previous: previous)
    }

    /// Replaces every remote row with a full listing from the server (only the rows that
    /// differ from `previous`, the journal's, are written).
    public mutating func replaceRemote(with tree: RemoteTree, previous: RemoteTree) {
        Self.replace(&remote, under: nil, with: tree, previous: previous)
    }

    private static func replace<Entry>(
        _ rows: inout [RelativePath: Entry?],
        under subtree: RelativePath?,
        with tree: Tree<Entry>,
        previous: Tree<Entry>
    ) {
        // What an earlier replace in this change wrote there is superseded: the last look wins
        // (the diff below is against the journal's rows, which that write has not reached).
        if let subtree {
            for path in rows.keys where path == subtree || path.isInside(subtree) { rows.removeValue(forKey: path) }
        } else {
            rows.removeAll()
        }
        let old = subtree.map(previous.subtree) ?? Array(previous.entries.keys)
        for path in old where tree[path] == nil { rows[path] = .some(nil) }
        for (path, entry) in tree.entries where previous[path] != entry { rows[path] = entry }
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
