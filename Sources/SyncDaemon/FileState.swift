import Foundation
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
    /// rules and the running daemon's status (nil: not running).
    public static func of(
        _ path: String,
        folder: String,
        journal: JournalReader?,
        ignore: IgnoreRules,
        daemon: DaemonStatus?
    ) throws -> FileState {
        func state(_ s: State, _ why: String) -> FileState { FileState(path: path, state: s, reason: why) }
        let running = daemon != nil
        let later = running ? (daemon?.state == .paused ? "; syncd is paused (`syncd resume`)" : "") : "; syncd is not running"
        let local = FileStatus.of(path.isEmpty ? folder : folder + "/" + path)
        if path.isEmpty { return state(.upToDate, "the synced folder") }
        guard let relative = RelativePath(path) else { return state(.notSynced, "the server would refuse this name") }
        switch local?.kind {
        case .symlink?: return state(.notSynced, "symbolic links are not synced (the link stays on this device)")
        case .other?: return state(.notSynced, "FIFOs, sockets and devices are not synced")
        default: break
        }
        let isFolder = local?.kind == .folder
        var ancestor = relative.parent
        if ignore.isIgnored(relative, isFolder: isFolder) {
            return state(.ignored, "matches a rule of .syncignore (or a built-in one: temporary and editor files)")
        }
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
        if let (original, host, stamp) = ConflictName.original(of: relative) {
            return state(.conflict, "conflicted copy of \(original) kept by \(host) at \(stamp): compare the two and delete the one you do not want")
        }
        guard let journal else {
            return local == nil
                ? state(.notFound, "not in the folder, and this device has not synced yet") : state(.syncing, "not synced yet\(later)")
        }
        let entry = try journal.entry(relative)
        if local == nil {
            if let remote = entry.remote {
                return state(.syncing, "on the server (revision \(remote.revision)), not downloaded yet\(later)")
            }
            return state(.notFound, "neither in the folder nor on the server")
        }
        guard let synced = entry.synced else {
            return state(.syncing, (entry.remote == nil ? "new here, not uploaded yet" : "on both sides, not yet recorded as the same") + later)
        }
        if let status = local, let scanned = entry.local, !status.isUnchanged(from: scanned) {
            return state(.syncing, "changed here since it was last synced; uploads once the change settles\(later)")
        }
        if let remote = entry.remote, remote.revision != synced.revision {
            return state(.syncing, "a newer version (revision \(remote.revision)) is on the server; downloading\(later)")
        }
        if entry.remote == nil {
            return state(.syncing, "deleted or moved on the server; follows here\(later)")
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
