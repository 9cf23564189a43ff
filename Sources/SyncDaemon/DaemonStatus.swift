public import Foundation
import SyncAPI
import SyncEngine
import Synchronization

/// What `syncd status` shows: read from a running daemon over its control socket.
public struct DaemonStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Nothing to do: every file is in sync.
        case idle
        /// A pass is running (scanning, transferring).
        case syncing
        /// `syncd pause`: nothing is synced until `syncd resume`.
        case paused
        /// The mass-delete brake holds deletions back until `syncd resume --allow-deletes`.
        case held
        /// The server cannot be reached; changes wait.
        case offline
        /// The first pass has not finished yet.
        case starting
    }

    public struct PathProblem: Codable, Sendable, Equatable {
        public var path: String
        public var message: String
        /// When the step is tried again; nil when it is not retried until something changes (a
        /// link in the folder where the server has items, a path the server should not send).
        public var retryAt: Date?
    }

    public var folder: String
    public var server: String
    public var mode: String
    public var state: State
    /// One line for people ("Idle — 12,403 files in sync").
    public var summary: String
    public var filesInSync: Int
    /// Steps of the running pass not yet done.
    public var queued: Int
    public var transfers: [TransferBoard.Transfer]
    public var bytesUploaded: Int64
    public var bytesDownloaded: Int64
    public var lastSyncAt: Date?
    /// Why deletions are held, when they are.
    public var brake: String?
    public var errors: [PathProblem]
    /// Conflicted copies made since the daemon started, newest first.
    public var conflicts: [String]
}

/// Keeps what the passes reported, for the status.
final class StatusBoard: Sendable {
    private struct Memory {
        var lastSyncAt: Date?
        var brake: String?
        var conflicts: [String] = []
        var passes = 0
        var lastPassFailed: String?
        /// What the last pass held back (links in the way, refused server paths).
        var held: [HeldPath] = []
        /// Bytes moved per second, over the last sample.
        var rate: Double = 0
        var sample: (at: ContinuousClock.Instant, bytes: Int64)?
    }

    private let memory = Mutex(Memory())

    func record(_ report: SyncReport) {
        memory.withLock { m in
            m.passes += 1
            m.lastPassFailed = nil
            m.brake = report.brake.map { "\($0)" }
            m.held = report.held
            if report.failed.isEmpty { m.lastSyncAt = Date() }
            for action in report.done {
                if case .keepBothConflict(let path, let copy) = action {
                    m.conflicts.insert("\(path.string) — local version kept as \(copy.string)", at: 0)
                }
            }
            m.conflicts = Array(m.conflicts.prefix(50))
        }
    }

    /// Takes a throughput sample (called about once a second).
    func sample(bytes: Int64) {
        memory.withLock { m in
            let now = ContinuousClock.now
            if let last = m.sample {
                let elapsed = now - last.at
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                if seconds > 0 { m.rate = Double(bytes - last.bytes) / seconds }
            }
            m.sample = (now, bytes)
        }
    }

    func passFailed(_ error: any Error) {
        memory.withLock { $0.lastPassFailed = "\(error)" }
    }

    func status(
        folder: String, server: String, mode: String, paused: Bool, online: Bool, progress: FolderSync.PassProgress, journal: Journal,
        board: TransferBoard
    ) -> DaemonStatus {
        let m = memory.withLock { $0 }
        let files = (try? journal.syncedFileCount()) ?? 0
        let retrying = ((try? journal.errors()) ?? []).prefix(20).map { DaemonStatus.PathProblem(path: $0.path.string, message: $0.message, retryAt: $0.retryAt) }
        let errors = m.held.prefix(20).map { DaemonStatus.PathProblem(path: $0.path, message: $0.description, retryAt: nil) } + retrying
        let transfers = board.current
        let queued = progress.running ? max(0, progress.planned - progress.ended) : 0
        let state: DaemonStatus.State =
            if paused { .paused }
            else if m.brake != nil { .held }
            else if !online || m.lastPassFailed != nil { .offline }
            else if m.passes == 0 { .starting }
            else if progress.running && (queued > 0 || !transfers.isEmpty) { .syncing }
            else { .idle }
        let summary: String =
            switch state {
            case .paused: "Paused — run `syncd resume` to continue"
            case .held: "Stopped: \(m.brake ?? "deletions held")"
            case .offline: "Offline — \(m.lastPassFailed ?? "the server cannot be reached"); changes wait"
            case .starting: "Starting — first scan and catch-up"
            case .syncing: Self.syncingLine(transfers: transfers, queued: queued, rate: m.rate)
            case .idle: "Idle — \(Self.grouped(files)) file\(files == 1 ? "" : "s") in sync" + (retrying.isEmpty ? "" : ", \(retrying.count) waiting to retry")
                + (m.held.isEmpty ? "" : ", \(m.held.count) not synced here (see below)")
            }
        return DaemonStatus(
            folder: folder, server: server, mode: mode, state: state, summary: summary, filesInSync: files, queued: queued,
            transfers: transfers, bytesUploaded: board.bytesUploaded, bytesDownloaded: board.bytesDownloaded, lastSyncAt: m.lastSyncAt,
            brake: m.brake, errors: Array(errors), conflicts: m.conflicts)
    }

    /// 12403 → "12,403".
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }

    static func syncingLine(transfers: [TransferBoard.Transfer], queued: Int, rate: Double = 0) -> String {
        let up = transfers.filter { $0.direction == "upload" }.count
        let down = transfers.count - up
        var parts: [String] = []
        if up > 0 { parts.append("uploading \(up) file\(up == 1 ? "" : "s")") }
        if down > 0 { parts.append("downloading \(down) file\(down == 1 ? "" : "s")") }
        if parts.isEmpty { parts.append("syncing") }
        var line = parts.joined(separator: ", ")
        line = line.prefix(1).uppercased() + line.dropFirst()
        if !transfers.isEmpty && rate >= 1000 {
            line += ", \(ByteCount.human(Int64(rate)))/s"
            let left = transfers.reduce(Int64(0)) { $0 + max(0, $1.size - $1.done) }
            let seconds = Int(Double(left) / rate)
            if seconds >= 60 { line += ", \(seconds / 60) min left" } else if seconds >= 5 { line += ", \(seconds) s left" }
        }
        if queued > 0 { line += " — \(queued) step\(queued == 1 ? "" : "s") to go" }
        return line
    }
}
