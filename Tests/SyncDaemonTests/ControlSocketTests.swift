import Foundation
import Glibc
import SyncAPI
import SyncEngine
import Synchronization
import Testing

@testable import SyncDaemon

/// `syncd status`, `pause` and `resume` reach the daemon over its Unix socket, which only its
/// user may use.
@Suite struct ControlSocketTests {
    static func status(_ summary: String) -> DaemonStatus {
        DaemonStatus(
            folder: "/home/ada/Sync",
            server: "https://files.example.com",
            mode: "sync",
            state: .idle,
            summary: summary,
            filesInSync: 3,
            queued: 0,
            transfers: [],
            bytesUploaded: 0,
            bytesDownloaded: 0,
            lastSyncAt: Date(timeIntervalSince1970: 1_800_000_000),
            brake: nil,
            errors: [],
            conflicts: []
        )
    }

    @Test func commandsReachTheHandlerAndTheStatusComesBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = dir + "/control.sock"
        let seen = Mutex<[ControlRequest]>([])
        let server = try ControlServer(path: socket) { request in
            seen.withLock { $0.append(request) }
            return ControlResponse(status: Self.status("after \(request.command.rawValue)"))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600, "only the daemon's user may talk to it")

        // Served while the service runs; its end (the daemon's shutdown) removes the socket.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            // The client blocks, as `syncd status` does in its own process: off the task pool,
            // which the service needs to start on.
            let answer = try await onThread { try ControlClient.send(ControlRequest(command: .status), to: socket) }
            #expect(answer.status == Self.status("after status"), "dates and all survive the trip")
            _ = try await onThread { try ControlClient.send(ControlRequest(command: .pause), to: socket) }
            _ = try await onThread { try ControlClient.send(ControlRequest(command: .resume, allowDeletes: true), to: socket) }
            #expect(
                seen.withLock { $0 } == [
                    ControlRequest(command: .status), ControlRequest(command: .pause), ControlRequest(command: .resume, allowDeletes: true),
                ]
            )
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: socket))
        #expect(throws: ControlError.self) { try ControlClient.send(ControlRequest(command: .status), to: socket) }
    }

    @Test func aTooLongSocketPathIsAClearError() {
        let long = "/tmp/" + String(repeating: "x", count: 200) + "/control.sock"
        #expect {
            _ = try ControlServer(path: long) { _ in ControlResponse(status: nil) }
        } throws: { "\($0)".contains("too long") }
    }

    @Test func statusLinesForPeople() {
        #expect(StatusBoard.grouped(12403) == "12,403" && StatusBoard.grouped(999) == "999" && StatusBoard.grouped(1_000_000) == "1,000,000")
        let transfers = [
            TransferBoard.Transfer(path: "video.mkv", direction: "upload", size: 200_000_000, done: 50_000_000, startedAt: Date()),
            TransferBoard.Transfer(path: "a.txt", direction: "upload", size: 10, done: 0, startedAt: Date()),
            TransferBoard.Transfer(path: "b.txt", direction: "download", size: 10, done: 0, startedAt: Date()),
        ]
        #expect(StatusBoard.syncingLine(transfers: transfers, queued: 4) == "Uploading 2 files, downloading 1 file — 4 steps to go")
        var status = Self.status("Uploading 2 files")
        status.transfers = Array(transfers.prefix(1))
        status.conflicts = ["plan.txt — local version kept as plan (conflicted copy from laptop 2026-11-29 101500).txt"]
        let text = StatusText.render(status)
        #expect(text.contains("↑ video.mkv  25% of 200.0 MB"))
        #expect(text.contains("Conflicts (both versions kept):"))
    }
}

/// The daemon's Prometheus metrics: the exposition text, and the local listener serving it.
@Suite struct DaemonMetricsTests {
    @Test func theTextSaysWhatTheStatusSays() {
        var status = ControlSocketTests.status("Idle")
        status.folder = "/home/ada/My \"Sync\"\\2026"
        status.brake = "60 deletions held"
        let metrics = DaemonMetrics(folder: status.folder)
        let text = metrics.render(status)
        let label = #"{folder="/home/ada/My \"Sync\"\\2026"}"#
        #expect(text.contains("syncd_files_in_sync\(label) 3.0\n"), "\(text)")
        #expect(text.contains("syncd_uploaded_bytes_total\(label) 0\n"))
        #expect(text.contains("syncd_conflicts_total\(label) 0\n"))
        #expect(text.contains("syncd_deletions_held\(label) 1.0\n"))
        #expect(text.contains("syncd_last_sync_timestamp_seconds\(label) 1800000000.0\n"))
        #expect(text.contains("# TYPE syncd_uploaded_bytes_total counter"))
        #expect(text.contains(#"syncd_build_info{folder="/home/ada/My \"Sync\"\\2026",version=""#))
    }

    /// Counters count what happened, not a list kept for display (the status keeps the last
    /// 50 conflicts); byte counters only grow.
    @Test func countersCountEveryStepPastAnyCap() throws {
        var status = ControlSocketTests.status("Idle")
        status.folder = "/f"
        let metrics = DaemonMetrics(folder: "/f")
        for round in 0..<3 {
            var report = SyncReport()
            for index in 0..<30 {
                let path = try #require(RelativePath("r\(round)/c\(index).txt"))
                let copy = try #require(RelativePath("r\(round)/c\(index) (conflicted copy from h 2026-01-01 000000).txt"))
                for action in [SyncAction.keepBothConflict(path, copy: copy), .upload(copy, baseRevision: nil)] {
                    report.done.append(action)
                    report.steps.append(
                        SyncReport.Step(action: action, duration: .zero, bytes: action == .upload(copy, baseRevision: nil) ? 10 : nil)
                    )
                }
            }
            let gone = SyncAction.deleteRemote(try #require(RelativePath("gone-\(round)")), kind: .file)
            report.done.append(gone)
            report.steps.append(SyncReport.Step(action: gone, duration: .zero))
            report.failed.append((.download(try #require(RelativePath("x"))), "refused"))
            metrics.record(report)
        }
        metrics.passFailed()
        _ = metrics.render(status)
        let text = metrics.render(status)
        #expect(text.contains(#"syncd_conflicts_total{folder="/f"} 90"# + "\n"), "\(text)")
        #expect(text.contains(#"syncd_uploads_total{folder="/f"} 90"# + "\n"))
        #expect(text.contains(#"syncd_deletions_total{folder="/f",side="remote"} 3"# + "\n"))
        #expect(text.contains(#"syncd_deletions_total{folder="/f",side="local"} 0"# + "\n"))
        #expect(text.contains(#"syncd_step_failures_total{folder="/f"} 3"# + "\n"))
        #expect(text.contains(#"syncd_passes_total{folder="/f"} 3"# + "\n") && text.contains(#"syncd_pass_failures_total{folder="/f"} 1"# + "\n"))
        #expect(text.contains(#"syncd_uploaded_bytes_total{folder="/f"} 900"# + "\n"), "90 uploads of 10 bytes, counted once however often scraped")
    }

    @Test func theListenerServesMetricsAndNothingElse() async throws {
        let listener = try MetricsListener(host: "127.0.0.1", port: 0) { "syncd_up 1\n" }
        let serving = Task { await listener.run() }
        defer { serving.cancel() }
        @Sendable func get(_ path: String) throws -> String {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(listener.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw ControlError("cannot connect") }
            let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                answer += buffer[0..<n]
            }
            return String(decoding: answer, as: UTF8.self)
        }
        let metrics = try await onThread { try get("/metrics") }
        #expect(metrics.hasPrefix("HTTP/1.1 200 OK") && metrics.hasSuffix("\r\n\r\nsyncd_up 1\n"), "\(metrics)")
        let other = try await onThread { try get("/") }
        #expect(other.hasPrefix("HTTP/1.1 404"))
    }
}

/// Runs blocking work on a thread of its own.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
