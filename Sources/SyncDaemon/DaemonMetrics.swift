import Foundation
import Glibc
import Prometheus
import ServiceLifecycle
import ServiceSupport
public import SyncEngine

/// The daemon's Prometheus metrics (swift-prometheus; documented in `config/metrics.md`):
/// counters of what the passes did, counted when each pass ends (never read off a capped list),
/// gauges of the status at the time of the scrape, and `syncd_build_info`. Every series
/// carries the folder as a label.
public final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let folder: [(String, String)]
    private let uploads, downloads, conflicts, localDeletions, remoteDeletions, moves, failures, passes, passFailures: Counter
    private let uploadedBytes, downloadedBytes: Counter

    public init(folder: String) {
        let label = [("folder", folder)]
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.folder = label
        func counter(_ name: String, _ help: String, _ extra: [(String, String)] = []) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "syncd", metricName: name, unitName: "total", helpText: help),
                labels: label + extra
            )
        }
        uploads = counter("uploads", "Files uploaded (new files and new versions) since the daemon started.")
        downloads = counter("downloads", "Files downloaded since the daemon started.")
        conflicts = counter("conflicts", "Conflicted copies made since the daemon started (both versions kept).")
        localDeletions = counter(
            "deletions",
            "Items deleted since the daemon started, by side (local: in the folder; remote: to the server's trash).",
            [("side", "local")]
        )
        remoteDeletions = counter(
            "deletions",
            "Items deleted since the daemon started, by side (local: in the folder; remote: to the server's trash).",
            [("side", "remote")]
        )
        moves = counter("moves", "Moves and renames carried out since the daemon started (either side).")
        failures = counter("step_failures", "Steps that failed (each is retried after a back-off).")
        passes = counter("passes", "Sync passes finished.")
        passFailures = counter("pass_failures", "Sync passes that stopped on an error (the server unreachable, the folder gone).")
        uploadedBytes = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "syncd",
                metricName: "uploaded",
                unitName: "bytes_total",
                helpText: "Bytes of the uploads finished since the daemon started."
            ),
            labels: label
        )
        downloadedBytes = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "syncd",
                metricName: "downloaded",
                unitName: "bytes_total",
                helpText: "Bytes of the downloads finished since the daemon started."
            ),
            labels: label
        )
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "syncd",
                metricName: "build",
                unitName: "info",
                helpText: "The running syncd's version (always 1)."
            ),
            labels: label + [("version", BuildInfo.version)]
        ).set(to: 1.0)
    }

    /// Counts what a pass did (when it ends).
    public func record(_ report: SyncReport) {
        passes.increment()
        for step in report.steps {
            switch step.action {
            case .upload:
                uploads.increment()
                if let bytes = step.bytes, bytes > 0 { uploadedBytes.increment(by: bytes) }
            case .download:
                downloads.increment()
                if let bytes = step.bytes, bytes > 0 { downloadedBytes.increment(by: bytes) }
            case .keepBothConflict: conflicts.increment()
            case .deleteLocal: localDeletions.increment()
            case .deleteRemote: remoteDeletions.increment()
            case .moveLocal, .moveRemote: moves.increment()
            default: break
            }
        }
        if !report.failed.isEmpty { failures.increment(by: Int64(report.failed.count)) }
    }

    public func passFailed() { passFailures.increment() }

    /// The exposition text (format 0.0.4), the gauges set from `s` first.
    public func render(_ s: DaemonStatus) -> String {
        func gauge(_ name: String, _ help: String, _ value: Double) {
            let descriptor = MetricNameDescriptor(namespace: "syncd", metricName: name, unitName: "", helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: folder).set(to: value)
        }
        gauge("files_in_sync", "Files in sync (local, server and journal agree).", Double(s.filesInSync))
        gauge("queue_length", "Steps of the running pass not yet done.", Double(s.queued))
        gauge("transfers_in_flight", "Uploads and downloads running now.", Double(s.transfers.count))
        let waiting = s.waiting ?? s.errors.filter { $0.effectiveKind == .retrying || $0.effectiveKind == .failing }.count
        gauge("errors", "Paths whose last step failed and wait for a retry.", Double(waiting))
        gauge(
            "paths_failing",
            "Paths failing past the bound (5 attempts or 10 minutes); still retried, at the longest back-off.",
            Double(s.failing ?? s.errors.filter { $0.effectiveKind == .failing }.count)
        )
        gauge(
            "paths_not_synced",
            "Entries not synced on this device (links, special files, names not UTF-8, unreadable items).",
            Double(s.errors.filter { $0.effectiveKind == .notSynced }.count)
        )
        gauge("idle", "1 when nothing runs and nothing waits for a retry.", s.state == .idle ? 1 : 0)
        gauge("last_sync_timestamp_seconds", "When a pass last finished with nothing failing (0: not yet).", s.lastSyncAt?.timeIntervalSince1970 ?? 0)
        gauge("deletions_held", "1 while the mass-delete brake holds deletions back.", s.brake == nil ? 0 : 1)
        gauge("paused", "1 while paused by `syncd pause`.", s.state == .paused ? 1 : 0)
        gauge("server_reachable", "0 while the server cannot be reached.", s.state == .offline ? 0 : 1)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
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
