import Foundation
import SyncEngine

/// What waits, and what keeps failing: the part of the status that says "not idle yet".
extension StatusBoard {
    /// A path whose step failed this many times, or for this long, is a problem to look at, not
    /// a hiccup: it is still retried (at the longest back-off), but the status, the journal
    /// (``SyncEvent/failing``) and the metrics say so.
    enum RetryBound {
        static let attempts = 5
        static let duration: TimeInterval = 600

        static func isExceeded(attempts: Int, failingSince: Date?, now: Date) -> Bool {
            attempts >= Self.attempts || (failingSince.map { now.timeIntervalSince($0) >= duration } ?? false)
        }
    }

    /// The journal's failed paths as the status lists them, those past the bound first, then
    /// by when they are retried.
    static func waitingProblems(_ errors: [PathError], failingSince: [String: Date], now: Date) -> [DaemonStatus.PathProblem] {
        errors.map { error in
            let failing = RetryBound.isExceeded(attempts: error.attempts, failingSince: failingSince[error.path.string], now: now)
            return DaemonStatus.PathProblem(
                path: error.path.string,
                message: error.message,
                retryAt: error.retryAt,
                attempts: error.attempts,
                kind: failing ? .failing : .retrying
            )
        }
        .sorted { ($0.kind == .failing ? 0 : 1, $0.retryAt ?? now, $0.path) < ($1.kind == .failing ? 0 : 1, $1.retryAt ?? now, $1.path) }
    }

    /// What a scan skipped, as the status lists it: a file being written is looked at again by
    /// the next scan; the rest is not synced until it changes.
    static func skippedProblem(_ problem: ScanProblem) -> DaemonStatus.PathProblem {
        DaemonStatus.PathProblem(path: problem.path, message: problem.message, retryAt: nil, kind: problem.kind == .changing ? .changing : .notSynced)
    }

    /// Which state a daemon is in. `idle` only when nothing runs and nothing waits.
    static func state(paused: Bool, braked: Bool, offline: Bool, started: Bool, busy: Bool, waiting: Bool) -> DaemonStatus.State {
        if paused {
            .paused
        } else if braked {
            .held
        } else if offline {
            .offline
        } else if !started {
            .starting
        } else if busy {
            .syncing
        } else if waiting {
            .waiting
        } else {
            .idle
        }
    }

    /// "Waiting — 2 paths to retry (next in 35 s), 1 failing repeatedly; 12,403 files in sync".
    static func waitingLine(files: Int, waiting: [DaemonStatus.PathProblem], now: Date) -> String {
        let retrying = waiting.filter { $0.kind == .retrying || $0.kind == .failing }
        let failing = retrying.filter { $0.kind == .failing }.count
        let changing = waiting.filter { $0.kind == .changing }.count
        var parts: [String] = []
        if !retrying.isEmpty {
            let next = retrying.compactMap(\.retryAt).min().map { " (next \(Self.when($0, now: now)))" } ?? ""
            parts.append("\(retrying.count) path\(retrying.count == 1 ? "" : "s") to retry\(next)")
        }
        if failing > 0 { parts.append("\(failing) failing repeatedly") }
        if changing > 0 { parts.append("\(changing) file\(changing == 1 ? "" : "s") still being written") }
        return "Waiting — " + parts.joined(separator: ", ") + "; \(Self.grouped(files)) file\(files == 1 ? "" : "s") in sync"
    }

    /// "in 35 s", "in 4 min", "in 1 h 5 min", "now".
    static func when(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded(.up))
        if seconds <= 0 { return "now" }
        if seconds < 60 { return "in \(seconds) s" }
        if seconds < 3600 { return "in \((seconds + 59) / 60) min" }
        let minutes = (seconds % 3600 + 59) / 60
        return "in \(seconds / 3600) h" + (minutes > 0 ? " \(minutes) min" : "")
    }
}

/// What a pass brought that deserves a line in the journal once, not on every pass.
struct StatusNews: Sendable, Equatable {
    /// Paths that just went past ``StatusBoard/RetryBound``.
    var newlyFailing: [PathError] = []
    /// Entries the scan skipped that it had not skipped before (a link, a name not UTF-8, ...).
    var newlySkipped: [ScanProblem] = []
}
