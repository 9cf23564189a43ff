import Foundation
import SyncAPI

/// `syncd status` for people.
public enum StatusText {
    public static func render(_ s: DaemonStatus) -> String {
        var lines = ["\(s.folder) ⇄ \(s.server) (\(s.mode))", s.summary]
        for transfer in s.transfers {
            let percent = transfer.size > 0 ? Int(Double(transfer.done) * 100 / Double(transfer.size)) : 100
            lines.append("  \(transfer.direction == "upload" ? "↑" : "↓") \(transfer.path)  \(percent)% of \(ByteCount.human(transfer.size))")
        }
        lines.append("Sent \(ByteCount.human(s.bytesUploaded)), received \(ByteCount.human(s.bytesDownloaded)) since start"
            + (s.lastSyncAt.map { "; last complete sync \(ISO8601DateFormatter().string(from: $0))" } ?? ""))
        let held = s.errors.filter { $0.retryAt == nil }, retrying = s.errors.filter { $0.retryAt != nil }
        if !held.isEmpty {
            lines.append("Not synced on this device:")
            lines += held.map { "  \($0.path): \($0.message)" }
        }
        if !retrying.isEmpty {
            lines.append("Waiting to retry:")
            lines += retrying.map { "  \($0.path): \($0.message)" }
        }
        if !s.conflicts.isEmpty {
            lines.append("Conflicts (both versions kept):")
            lines += s.conflicts.prefix(10).map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
