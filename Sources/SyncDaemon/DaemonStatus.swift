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
        /// Nothing runs, but paths wait: for a retry after a failure (``DaemonStatus/errors``
        /// says when and why), or a file being written, for the next scan.
        case waiting
    }

    public struct PathProblem: Codable, Sendable, Equatable {
        public var path: String
        public var message: String
        /// When the step is tried again; nil when it is not retried until something changes (a
        /// link in the folder where the server has items, a path the server should not send).
        public var retryAt: Date?
        /// Failed attempts so far, for a step that waits for a retry.
        public var attempts: Int?
        /// What kind of problem (nil from a daemon before 0.12: read `retryAt`).
        public var kind: Kind?

        public enum Kind: String, Codable, Sendable {
            /// A step failed; it is tried again at `retryAt`.
            case retrying
            /// A step failed past the bound (5 attempts, or 10 minutes): still tried again at
            /// `retryAt`, at the longest back-off, but something needs a look.
            case failing
            /// Written to while it was read: the next scan looks at it again.
            case changing
            /// Not synced on this device until something changes (a link, a special file, a
            /// name that is not UTF-8, an unreadable item, a path the server should not send).
            case notSynced = "not_synced"
        }

        /// The kind, for a status from a daemon that did not send one.
        public var effectiveKind: Kind { kind ?? (retryAt == nil ? .notSynced : .retrying) }
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
    /// Paths waiting for a retry, all of them (``errors`` lists at most 20).
    public var waiting: Int?
    /// Of those, the ones failing past the bound.
    public var failing: Int?
    /// Folders this device does not sync (selective sync).
    public var excluded: [ExcludedFolder]?

    public struct ExcludedFolder: Codable, Sendable, Equatable {
        public var path: String
        /// Set in `config.toml` (only there can it be removed).
        public var configured: Bool
        /// Its local copy is still here: it goes once everything in it is on the server.
        public var leaving: Bool
        /// While leaving: what holds the local copy here (the first item the server lacks).
        public var heldBy: String?

        public init(path: String, configured: Bool, leaving: Bool, heldBy: String? = nil) {
            self.path = path
            self.configured = configured
            self.leaving = leaving
            self.heldBy = heldBy
        }
    }
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
        /// What the scans skipped, by path, as the latest scan of each place found it.
        var skipped: [String: ScanProblem] = [:]
        /// When this daemon first saw each failing path fail.
        var failingSince: [String: Date] = [:]
        /// Failing paths already logged as past the bound.
        var warnedFailing: Set<String> = []
        /// Bytes moved per second, over the last sample.
        var rate: Double = 0
        var sample: (at: ContinuousClock.Instant, bytes: Int64)?
    }

    private let memory = Mutex(Memory())

    /// Takes in a finished pass; `pathErrors` is the journal's list of failed paths after it.
    /// Returns what is new enough to log.
    @discardableResult
    func record(_ report: SyncReport, pathErrors: [PathError] = [], now: Date = Date()) -> StatusNews {
        memory.withLock { m in
            var news = StatusNews()
            let skippedBefore = m.skipped
            switch report.scope {
            case .root:
                m.skipped = [:]
            case .subtrees(let subtrees):
                m.skipped = m.skipped.filter { path, _ in
                    !subtrees.contains { path == $0.string || path.hasPrefix($0.string + "/") }
                }
            }
            for problem in report.scanProblems {
                if skippedBefore[problem.path] == nil { news.newlySkipped.append(problem) }
                m.skipped[problem.path] = problem
            }
            let failingNow = Set(pathErrors.map(\.path.string))
            m.failingSince = m.failingSince.filter { failingNow.contains($0.key) }
            m.warnedFailing.formIntersection(failingNow)
            for error in pathErrors {
                let since = m.failingSince[error.path.string] ?? now
                m.failingSince[error.path.string] = since
                if RetryBound.isExceeded(attempts: error.attempts, failingSince: since, now: now), m.warnedFailing.insert(error.path.string).inserted
                {
                    news.newlyFailing.append(error)
                }
            }
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
            return news
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
        folder: String,
        server: String,
        mode: String,
        paused: Bool,
        online: Bool,
        progress: FolderSync.PassProgress,
        journal: Journal,
        board: TransferBoard,
        now: Date = Date()
    ) -> DaemonStatus {
        let m = memory.withLock { $0 }
        let files = (try? journal.syncedFileCount()) ?? 0
        let retrying = Self.waitingProblems((try? journal.errors()) ?? [], failingSince: m.failingSince, now: now)
        let skipped = m.skipped.values.sorted { $0.path < $1.path }.map(Self.skippedProblem)
        let changing = skipped.filter { $0.kind == .changing }
        let notSynced =
            m.held.map { DaemonStatus.PathProblem(path: $0.path, message: $0.description, retryAt: nil, kind: .notSynced) }
            + skipped.filter { $0.kind == .notSynced }
        let errors = Array(retrying.prefix(20)) + changing.prefix(20) + notSynced.prefix(20)
        let transfers = board.current
        let queued = progress.running ? max(0, progress.planned - progress.ended) : 0
        let state = Self.state(
            paused: paused,
            braked: m.brake != nil,
            offline: !online || m.lastPassFailed != nil,
            started: m.passes > 0,
            busy: progress.running && (queued > 0 || !transfers.isEmpty),
            waiting: !retrying.isEmpty || !changing.isEmpty
        )
        let summary: String =
            switch state {
            case .paused: "Paused — run `syncd resume` to continue"
            case .held: "Stopped: \(m.brake ?? "deletions held")"
            case .offline: "Offline — \(m.lastPassFailed ?? "the server cannot be reached"); changes wait"
            case .starting: "Starting — first scan and catch-up"
            case .syncing: Self.syncingLine(transfers: transfers, queued: queued, rate: m.rate)
            case .waiting:
                Self.waitingLine(files: files, waiting: retrying + changing, now: now)
                    + (notSynced.isEmpty ? "" : ", \(notSynced.count) not synced here (see below)")
            case .idle:
                "Idle — \(Self.grouped(files)) file\(files == 1 ? "" : "s") in sync"
                    + (notSynced.isEmpty ? "" : ", \(notSynced.count) not synced here (see below)")
            }
        return DaemonStatus(
            folder: folder,
            server: server,
            mode: mode,
            state: state,
            summary: summary,
            filesInSync: files,
            queued: queued,
            transfers: transfers,
            bytesUploaded: board.bytesUploaded,
            bytesDownloaded: board.bytesDownloaded,
            lastSyncAt: m.lastSyncAt,
            brake: m.brake,
            errors: errors,
            conflicts: m.conflicts,
            waiting: retrying.count,
            failing: retrying.filter { $0.kind == .failing }.count
        )
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
