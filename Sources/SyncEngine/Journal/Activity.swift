public import Foundation

/// One thing a step did to the folder or the server, kept in the journal for `syncd activity`
/// (the log of what happened, not of what was tried: failures are in `path_errors`).
public struct Activity: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        case upload, download
        case moveRemote = "move_remote"
        case moveLocal = "move_local"
        case deleteRemote = "delete_remote"
        case deleteLocal = "delete_local"
        case createRemoteFolder = "mkdir_remote"
        case createLocalFolder = "mkdir_local"
        case conflict
    }

    /// How many entries the journal keeps (the oldest go first).
    public static let kept = 1000

    public var at: Date
    public var action: Action
    public var path: String
    /// A move's destination; a conflict's copy.
    public var toPath: String?
    /// A transfer's size.
    public var bytes: Int64?
    /// The server's revision of the item afterwards.
    public var revision: Int64?

    public init(at: Date, action: Action, path: String, toPath: String? = nil, bytes: Int64? = nil, revision: Int64? = nil) {
        self.at = at
        self.action = action
        self.path = path
        self.toPath = toPath
        self.bytes = bytes
        self.revision = revision
    }

    /// The entry a finished step leaves (nil for bookkeeping steps): `t`, the trees it started
    /// from, and `change`, what it wrote.
    static func of(_ action: SyncAction, at: Date, from t: FolderSync.Trees, change: JournalChange) -> Activity? {
        switch action {
        case .upload(let p, _):
            Activity(at: at, action: .upload, path: p.string, bytes: t.local[p]?.size, revision: (change.remote[p] ?? t.remote[p])?.revision)
        case .download(let p):
            Activity(at: at, action: .download, path: p.string, bytes: (change.local[p] ?? t.local[p])?.size, revision: t.remote[p]?.revision)
        case .moveRemote(let a, let b): Activity(at: at, action: .moveRemote, path: a.string, toPath: b.string)
        case .moveLocal(let a, let b): Activity(at: at, action: .moveLocal, path: a.string, toPath: b.string)
        case .deleteRemote(let p, _): Activity(at: at, action: .deleteRemote, path: p.string)
        case .deleteLocal(let p, _): Activity(at: at, action: .deleteLocal, path: p.string)
        case .createRemoteFolder(let p): Activity(at: at, action: .createRemoteFolder, path: p.string)
        case .createLocalFolder(let p): Activity(at: at, action: .createLocalFolder, path: p.string)
        case .keepBothConflict(let p, let copy): Activity(at: at, action: .conflict, path: p.string, toPath: copy.string)
        case .recordSynced, .forget, .recordMove: nil
        }
    }
}
