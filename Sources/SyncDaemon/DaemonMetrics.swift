import Foundation
import Glibc
import ServiceLifecycle

/// The daemon's Prometheus metrics, rendered from its status (text exposition format 0.0.4).
public enum DaemonMetrics {
    public static func render(_ s: DaemonStatus) -> String {
        let folder = "folder=\"\(escape(s.folder))\""
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name){\(folder)} \(value)\n"
        }
        metric("syncd_files_in_sync", "gauge", "Files in sync (local, server and journal agree).", String(s.filesInSync))
        metric("syncd_queue_length", "gauge", "Steps of the running pass not yet done.", String(s.queued))
        metric("syncd_transfers_in_flight", "gauge", "Uploads and downloads running now.", String(s.transfers.count))
        metric("syncd_uploaded_bytes_total", "counter", "Bytes sent to S3 since the daemon started.", String(s.bytesUploaded))
        metric("syncd_downloaded_bytes_total", "counter", "Bytes received from S3 since the daemon started.", String(s.bytesDownloaded))
        let waiting = s.waiting ?? s.errors.filter { $0.effectiveKind == .retrying || $0.effectiveKind == .failing }.count
        metric("syncd_errors", "gauge", "Paths whose last step failed and wait for a retry.", String(waiting))
        metric(
            "syncd_paths_failing",
            "gauge",
            "Paths failing past the bound (5 attempts or 10 minutes); still retried, at the longest back-off.",
            String(s.failing ?? s.errors.filter { $0.effectiveKind == .failing }.count)
        )
        metric(
            "syncd_paths_not_synced",
            "gauge",
            "Entries not synced on this device (links, special files, names not UTF-8, unreadable items).",
            String(s.errors.filter { $0.effectiveKind == .notSynced }.count)
        )
        metric("syncd_idle", "gauge", "1 when nothing runs and nothing waits for a retry.", s.state == .idle ? "1" : "0")
        metric("syncd_conflicts_total", "counter", "Conflicted copies made since the daemon started.", String(s.conflicts.count))
        metric(
            "syncd_last_sync_timestamp_seconds",
            "gauge",
            "When a pass last finished with nothing failing (0: not yet).",
            String(format: "%.3f", s.lastSyncAt?.timeIntervalSince1970 ?? 0)
        )
        metric("syncd_deletions_held", "gauge", "1 while the mass-delete brake holds deletions back.", s.brake == nil ? "0" : "1")
        metric("syncd_paused", "gauge", "1 while paused by `syncd pause`.", s.state == .paused ? "1" : "0")
        metric("syncd_server_reachable", "gauge", "0 while the server cannot be reached.", s.state == .offline ? "0" : "1")
        return out
    }

    /// A label value: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// `GET /metrics` on a local TCP address (`metrics.listen = "127.0.0.1:9464"`), for Prometheus
/// or node_exporter's textfile collector, served while it runs as a service; every other path
/// is 404.
final class MetricsListener: Service, Sendable {
    private let listener: SocketService
    let port: Int

    init(host: String, port: Int, render: @escaping @Sendable () -> String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw ControlError("metrics.listen: \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ControlError("cannot listen for metrics on \(host):\(port): \(message)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        listener = SocketService(descriptor: fd, name: "syncd-metrics") { client in
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(client, &buffer, buffer.count)
            let request = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
            let found = request.hasPrefix("GET /metrics ") || request.hasPrefix("GET /metrics?")
            let body = found ? render() : "not found\n"
            let head =
                "HTTP/1.1 \(found ? "200 OK" : "404 Not Found")\r\nContent-Type: text/plain; version=0.0.4\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            _ = writeAll(client, Data((head + body).utf8))
        }
    }

    func run() async {
        await listener.run()
    }

    func stop() {
        listener.stop()
    }
}
