public import Foundation
import SyncAPI

/// `syncd status` for people.
public enum StatusText {
    /// - Parameter now: when "retry in 40 s" is counted from.
    public static func render(_ s: DaemonStatus, now: Date = Date()) -> String {
        var lines = ["\(s.folder) ⇄ \(s.server) (\(s.mode))", s.summary]
        for transfer in s.transfers {
            let percent = transfer.size > 0 ? Int(Double(transfer.done) * 100 / Double(transfer.size)) : 100
            lines.append("  \(transfer.direction == "upload" ? "↑" : "↓") \(transfer.path)  \(percent)% of \(ByteCount.human(transfer.size))")
        }
        lines.append(
            "Sent \(ByteCount.human(s.bytesUploaded)), received \(ByteCount.human(s.bytesDownloaded)) since start"
                + (s.lastSyncAt.map { "; last complete sync \(ISO8601DateFormatter().string(from: $0))" } ?? "")
        )
        func retry(_ p: DaemonStatus.PathProblem) -> String {
            let attempts = p.attempts.map { "\($0) attempt\($0 == 1 ? "" : "s"), " } ?? ""
            return "  \(p.path): \(p.message) — \(attempts)retry \(p.retryAt.map { StatusBoard.when($0, now: now) } ?? "later")"
        }
        let failing = s.errors.filter { $0.effectiveKind == .failing }
        if !failing.isEmpty {
            lines.append("Failing repeatedly (still retried; `syncd doctor` checks the usual causes):")
            lines += failing.map(retry)
        }
        let retrying = s.errors.filter { $0.effectiveKind == .retrying }
        if !retrying.isEmpty {
            lines.append("Waiting to retry:")
            lines += retrying.map(retry)
        }
        if let waiting = s.waiting, waiting > failing.count + retrying.count {
            lines.append("  … and \(waiting - failing.count - retrying.count) more")
        }
        let changing = s.errors.filter { $0.effectiveKind == .changing }
        if !changing.isEmpty {
            lines.append("Being written, looked at again on the next scan:")
            lines += changing.map { "  \($0.path): \($0.message)" }
        }
        let held = s.errors.filter { $0.effectiveKind == .notSynced }
        if !held.isEmpty {
            lines.append("Not synced on this device:")
            lines += held.map { "  \($0.path): \($0.message)" }
        }
        if let excluded = s.excluded, !excluded.isEmpty {
            lines.append("Excluded from this device (kept on the server; `syncd exclude remove PATH` brings one back):")
            lines += excluded.map(Self.excludedLine)
        }
        if !s.conflicts.isEmpty {
            lines.append("Conflicts (both versions kept):")
            lines += s.conflicts.prefix(10).map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// "  Photos (from config.toml) — local copy leaves once everything in it is synced"
    public static func excludedLine(_ folder: DaemonStatus.ExcludedFolder) -> String {
        "  \(folder.path)" + (folder.configured ? " (from config.toml)" : "")
            + (folder.leaving ? " — local copy leaves once everything in it is on the server" : "")
            + (folder.leaving ? folder.heldBy.map { " (waiting: \($0))" } ?? "" : "")
    }
}
