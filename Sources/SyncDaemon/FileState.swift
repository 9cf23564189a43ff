import Foundation
import Glibc
public import SyncAPI
public import SyncEngine

/// What `syncd filestatus` and `syncd ls` say of one path on this device, and why.
public struct FileState: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case upToDate = "up to date"
        case syncing
        case conflict
        case ignored
        case error
        /// Links, FIFOs, devices: the folder holds them, syncd leaves them alone.
        case notSynced = "not synced"
        case notFound = "not found"
    }

    public var path: String
    public var state: State
    public var reason: String

    public init(path: String, state: State, reason: String) {
        self.path = path
        self.state = state
        self.reason = reason
    }

    /// Classifies `path` (a server path, "" the top) from the folder, the journal, the ignore
    /// rules and the running daemon's status (nil: not running). `kind`: what the server says
    /// the item is, for one not in the folder; `mode`: the folder's sync mode.
    public static func of(
        _ path: String,
        kind: ItemKind? = nil,
        mode: SyncPolicy.Mode = .sync,
        folder: String,
        journal: JournalReader?,
        ignore: IgnoreRules,
        daemon: DaemonStatus?
    ) throws -> FileState {
        func state(_ s: State, _ why: String) -> FileState { FileState(path: path, state: s, reason: why) }
        let later = daemon == nil ? "; syncd is not running" : (daemon?.state == .paused ? "; syncd is paused (`syncd resume`)" : "")
        if path.isEmpty { return state(.upToDate, "the synced folder") }
        guard let relative = RelativePath(path) else { return state(.notSynced, "the server would refuse this name") }
        // Inside a linked folder, the item is not the folder's: the scan does not follow links.
        let parentPath = relative.parent.map { folder + "/" + $0.string } ?? folder
        if let real = realpath(parentPath, nil) {
            defer { free(real) }
            if String(cString: real) != parentPath { return state(.notSynced, "inside a symbolic link to a folder; links are not followed") }
        }
        let local = FileStatus.of(folder + "/" + path)
        switch local?.kind {
        case .symlink?: return state(.notSynced, "symbolic links are not synced (the link stays on this device)")
        case .other?: return state(.notSynced, "FIFOs, sockets and devices are not synced")
        default: break
        }
        let isFolder = local.map { $0.kind == .folder } ?? (kind == .folder)
        if ignore.isIgnored(relative, isFolder: isFolder) {
            return state(.ignored, "matches a rule of .syncignore (or a built-in one: temporary and editor files)")
        }
        var ancestor = relative.parent
        while let folderPath = ancestor {
            if ignore.isIgnored(folderPath, isFolder: true) { return state(.ignored, "inside \(folderPath), which .syncignore leaves out") }
            ancestor = folderPath.parent
        }
        if let problem = daemon?.errors.first(where: { $0.path == path }) {
            return state(.error, problem.message + (problem.retryAt.map { "; tried again at \(Self.time($0))" } ?? ""))
        }
        if let error = try journal?.error(relative) {
            return state(.error, "\(error.message) (\(error.attempts) attempt\(error.attempts == 1 ? "" : "s"); next at \(Self.time(error.retryAt)))")
        }
        if let transfer = daemon?.transfers.first(where: { $0.path == path }) {
            let percent = transfer.size > 0 ? Int(Double(transfer.done) / Double(transfer.size) * 100) : 0
            return state(.syncing, "\(transfer.direction == "upload" ? "uploading" : "downloading") now, \(percent)%")
        }
        let entry = try journal?.entry(relative) ?? JournalReader.Entry()
        if local == nil, entry.remote == nil, entry.synced == nil {
            return state(
                .notFound,
                journal == nil ? "not in the folder, and this device has not synced yet" : "neither in the folder nor on the server"
            )
        }
        if let (original, host, stamp) = ConflictName.original(of: relative) {
            return state(.conflict, "conflicted copy of \(original) kept by \(host) at \(stamp): compare the two and delete the one you do not want")
        }
        let pulls = mode != .backup
        if local == nil {
            switch (entry.remote, entry.synced) {
            case (let remote?, let synced?) where remote.revision == synced.revision:
                return state(.syncing, "deleted here; the deletion goes to the server's trash\(later)")
            case (let remote?, nil):
                return state(
                    .syncing,
                    pulls
                        ? "on the server (revision \(remote.revision)), not downloaded yet\(later)"
                        : "on the server only (backup mode does not download)"
                )
            case (let remote?, _):
                return state(.syncing, "deleted here and changed on the server: revision \(remote.revision) comes back\(later)")
            default:
                return state(.syncing, "deleted here and on the server; forgotten on the next pass\(later)")
            }
        }
        guard let synced = entry.synced else {
            return state(.syncing, (entry.remote == nil ? "new here, not uploaded yet" : "on both sides, not yet recorded as the same") + later)
        }
        if let status = local, let scanned = entry.local, !status.isUnchanged(from: scanned) {
            return state(.syncing, "changed here since it was last synced; uploads once the change settles\(later)")
        }
        guard let remote = entry.remote else {
            return state(
                .syncing,
                pulls ? "deleted or moved on the server; follows here\(later)" : "deleted on the server; uploaded again (backup mode)\(later)"
            )
        }
        if remote.revision != synced.revision {
            return state(
                .syncing,
                pulls
                    ? "a newer version (revision \(remote.revision)) is on the server; downloading\(later)"
                    : "changed on the server; backup mode keeps this device's version"
            )
        }
        return state(.upToDate, isFolder ? "folder" : "revision \(synced.revision), \(synced.size) bytes")
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = .current
        return formatter.string(from: date)
    }
}
