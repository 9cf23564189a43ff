public import Foundation
public import SyncAPI

/// Someone who may sign in.
public struct User: Sendable, Equatable {
    public var id: String
    public var email: String
    public var name: String
    public var picture: String?
}

/// A machine running syncd, holding a bearer token (only its hash is stored).
public struct Device: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var name: String
    public var createdAt: Date
    public var lastSeenAt: Date?
    public var revokedAt: Date?
    /// The folders the device said it does not sync (selective sync); nil: it never said.
    public var excludedFolders: [String]? = nil
}

/// The current state of one item of a user's tree.
public struct FileRecord: Sendable, Equatable {
    public var id: String
    public var path: String
    public var kind: ItemKind
    public var revision: Int64
    public var size: Int64
    public var contentHash: String?
    public var modifiedAt: Date

    /// The last component of the path: what a download saves as, what a page shows.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}

/// One entry of a user's change feed.
public struct ChangeRecord: Sendable, Equatable {
    /// Strictly increasing per user.
    public var seq: Int64
    public var fileId: String
    public var path: String
    public var kind: ItemKind
    public var revision: Int64
    public var size: Int64
    public var contentHash: String?
    /// The item was deleted (to trash); otherwise this is its new state. A folder's deletion
    /// is one entry: everything that was inside it was deleted with it.
    public var deleted: Bool
    /// For a folder's move: where it was. Everything that was inside it moved with it (one
    /// entry for the folder, none for its items).
    public var movedFrom: String? = nil
}

/// What the store refuses, with what the caller needs.
public enum StoreError: Error, Sendable, Equatable {
    /// The item is not at the revision the caller saw (or exists when it expected none).
    case conflict(current: FileRecord?)
    case notFound
    case invalidPath(String)
    case configuration(String)
    case corrupt(String)
    /// `size` more bytes at `path` do not fit: the user's files and pending uploads already
    /// hold `held` of `quota`.
    case quotaExceeded(path: String, size: Int64, held: Int64, quota: Int64)
    /// Text the databases cannot hold (a NUL character).
    case invalidText(String)
}
