/// One step of a plan. The engine executes steps in order; each finished step updates the
/// synced tree in one journal transaction.
public enum SyncAction: Sendable, Equatable, CustomStringConvertible {
    /// Send the local file at the path to the server (create, or replace `baseRevision`).
    case upload(RelativePath, baseRevision: Int64?)
    /// Create the folder on the server.
    case createRemoteFolder(RelativePath)
    /// Fetch the remote file at the path into the folder (create or replace).
    case download(RelativePath)
    /// Create the folder locally.
    case createLocalFolder(RelativePath)
    /// Move an item (and, for a folder, everything in it) on the server.
    case moveRemote(from: RelativePath, to: RelativePath)
    /// Move an item (and, for a folder, everything in it) in the local folder.
    case moveLocal(from: RelativePath, to: RelativePath)
    /// Both sides changed the item: the local version is renamed to `copy` (and then uploaded
    /// like any new item) so that the remote version can take the path.
    case keepBothConflict(RelativePath, copy: RelativePath)
    /// Delete on the server (to trash); a folder goes with everything in it.
    case deleteRemote(RelativePath, kind: ItemKind)
    /// Delete locally; a folder goes with everything in it.
    case deleteLocal(RelativePath, kind: ItemKind)
    /// Both sides already agree; only the synced tree needs the new state.
    case recordSynced(RelativePath)
    /// Both sides deleted the item; drop it from the synced tree.
    case forget(RelativePath)
    /// Both sides moved the item to the same place; move it in the synced tree too.
    case recordMove(from: RelativePath, to: RelativePath)

    public var description: String {
        switch self {
        case .upload(let p, let base): "upload \(p)" + (base.map { " over r\($0)" } ?? "")
        case .createRemoteFolder(let p): "mkdir remote \(p)"
        case .download(let p): "download \(p)"
        case .createLocalFolder(let p): "mkdir local \(p)"
        case .moveRemote(let a, let b): "move remote \(a) -> \(b)"
        case .moveLocal(let a, let b): "move local \(a) -> \(b)"
        case .keepBothConflict(let p, let copy): "conflict \(p), local kept as \(copy)"
        case .deleteRemote(let p, let kind): "delete remote \(kind) \(p)"
        case .deleteLocal(let p, let kind): "delete local \(kind) \(p)"
        case .recordSynced(let p): "record \(p)"
        case .forget(let p): "forget \(p)"
        case .recordMove(let a, let b): "record move \(a) -> \(b)"
        }
    }
}

/// What the planner decided.
public struct Plan: Sendable, Equatable {
    public var actions: [SyncAction]
    /// Set when the mass-delete brake held back deletions; the plan then has none.
    public var brake: BrakeReport?

    public init(actions: [SyncAction], brake: BrakeReport? = nil) {
        self.actions = actions
        self.brake = brake
    }
}

/// Why deletions were held back.
public struct BrakeReport: Sendable, Equatable, CustomStringConvertible {
    /// Files the plan would have deleted locally.
    public var localDeletions: Int
    /// Files the plan would have deleted on the server.
    public var remoteDeletions: Int
    /// Files in sync before this plan.
    public var syncedFiles: Int

    public var description: String {
        "\(localDeletions + remoteDeletions) deletions held (\(remoteDeletions) on the server, \(localDeletions) local) "
            + "of \(syncedFiles) synced files; run `syncd resume --allow-deletes` if this is intended"
    }
}

extension SyncAction {
    var isConflict: Bool {
        if case .keepBothConflict = self { true } else { false }
    }

    var isTransfer: Bool {
        switch self {
        case .upload, .download: true
        default: false
        }
    }

    /// Where a move goes.
    var destinationPath: RelativePath? {
        switch self {
        case .moveRemote(_, let to), .moveLocal(_, let to), .recordMove(_, let to): to
        default: nil
        }
    }

    /// Every path the step changes: later steps on them wait when it fails.
    var touchedPaths: [RelativePath] {
        switch self {
        case .keepBothConflict(let p, let copy): [p, copy]
        default: [primaryPath] + (destinationPath.map { [$0] } ?? [])
        }
    }

    /// The path a step's retry bookkeeping hangs on.
    var primaryPath: RelativePath {
        switch self {
        case .upload(let p, _), .createRemoteFolder(let p), .download(let p), .createLocalFolder(let p),
            .keepBothConflict(let p, _), .deleteRemote(let p, _), .deleteLocal(let p, _), .recordSynced(let p), .forget(let p):
            p
        case .moveRemote(let from, _), .moveLocal(let from, _), .recordMove(let from, _):
            from
        }
    }
}
