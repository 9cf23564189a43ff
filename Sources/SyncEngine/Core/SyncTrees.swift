public import SyncAPI

/// What an entry is (the API's kinds).
public typealias ItemKind = SyncAPI.ItemKind

/// An item in the folder as the last scan saw it.
public struct LocalEntry: Sendable, Equatable {
    public var kind: ItemKind
    /// Bytes, 0 for folders.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var mtimeNs: Int64
    /// Status-change time, nanoseconds since the epoch.
    public var ctimeNs: Int64
    /// Identity on the local filesystem: a move keeps it.
    public var inode: UInt64
    /// Lower-case hex SHA-256 of the content; nil for folders.
    public var contentHash: String?

    public init(kind: ItemKind, size: Int64 = 0, mtimeNs: Int64 = 0, ctimeNs: Int64 = 0, inode: UInt64, contentHash: String? = nil) {
        self.kind = kind
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.inode = inode
        self.contentHash = contentHash
    }
}

/// An item as the server last described it.
public struct RemoteEntry: Sendable, Equatable {
    public var kind: ItemKind
    /// Identity on the server: a move keeps it.
    public var fileId: String
    /// Increases with every change of the item.
    public var revision: Int64
    public var size: Int64
    public var contentHash: String?

    public init(kind: ItemKind, fileId: String, revision: Int64, size: Int64 = 0, contentHash: String? = nil) {
        self.kind = kind
        self.fileId = fileId
        self.revision = revision
        self.size = size
        self.contentHash = contentHash
    }
}

/// The merge base: the last state both sides agreed on, with each side's identity for it.
public struct SyncedEntry: Sendable, Equatable {
    public var kind: ItemKind
    public var contentHash: String?
    public var size: Int64
    public var inode: UInt64
    public var fileId: String
    public var revision: Int64

    public init(kind: ItemKind, contentHash: String?, size: Int64, inode: UInt64, fileId: String, revision: Int64) {
        self.kind = kind
        self.contentHash = contentHash
        self.size = size
        self.inode = inode
        self.fileId = fileId
        self.revision = revision
    }
}

/// A tree: entries by path. Every entry's parent folder is in the tree too.
public struct Tree<Entry: Sendable & Equatable>: Sendable, Equatable {
    public var entries: [RelativePath: Entry]

    public init(_ entries: [RelativePath: Entry] = [:]) {
        self.entries = entries
    }

    public subscript(path: RelativePath) -> Entry? {
        get { entries[path] }
        set { entries[path] = newValue }
    }

    public var paths: Dictionary<RelativePath, Entry>.Keys { entries.keys }

    /// `folder` and everything inside it.
    public func subtree(_ folder: RelativePath) -> [RelativePath] {
        entries.keys.filter { $0 == folder || $0.isInside(folder) }
    }

    /// Moves `folder` and everything inside it to `destination`.
    public mutating func move(_ folder: RelativePath, to destination: RelativePath) {
        let moving = subtree(folder).map { ($0, entries[$0]!) }
        for (path, _) in moving { entries[path] = nil }
        for (path, entry) in moving { entries[path.rebased(from: folder, to: destination)] = entry }
    }
}

public typealias LocalTree = Tree<LocalEntry>
public typealias RemoteTree = Tree<RemoteEntry>
public typealias SyncedTree = Tree<SyncedEntry>
