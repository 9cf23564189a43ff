import Foundation

/// `syncd status` for people.
public enum StatusText {
    public static func render(_ s: DaemonStatus) -> String {
        var lines = ["\(s.folder) ⇄ \(s.server) (\(s.mode))", s.summary]
        for transfer in s.transfers {
            let percent = transfer.size > 0 ? Int(Double(transfer.done) * 100 / Double(transfer.size)) : 100
            lines.append("  \(transfer.direction == "upload" ? "↑" : "↓") \(transfer.path)  \(percent)% of \(bytes(transfer.size))")
        }
        lines.append("Sent \(bytes(s.bytesUploaded)), received \(bytes(s.bytesDownloaded)) since start"
            + (s.lastSyncAt.map { "; last complete sync \(ISO8601DateFormatter().string(from: $0))" } ?? ""))
        if !s.errors.isEmpty {
            lines.append("Waiting to retry:")
            lines += s.errors.map { "  \($0.path): \($0.message)" }
        }
        if !s.conflicts.isEmpty {
            lines.append("Conflicts (both versions kept):")
            lines += s.conflicts.prefix(10).map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// 1536 → "1.5 KB" (decimal units, as file managers show them).
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
