import Foundation
import Synchronization
import Testing

@testable import SyncDaemon

/// `syncd status`, `pause` and `resume` reach the daemon over its Unix socket, which only its
/// user may use.
@Suite struct ControlSocketTests {
    static func status(_ summary: String) -> DaemonStatus {
        DaemonStatus(
            folder: "/home/ada/Sync", server: "https://files.example.com", mode: "sync", state: .idle, summary: summary, filesInSync: 3,
            queued: 0, transfers: [], bytesUploaded: 0, bytesDownloaded: 0, lastSyncAt: Date(timeIntervalSince1970: 1_800_000_000),
            brake: nil, errors: [], conflicts: [])
    }

    @Test func commandsReachTheHandlerAndTheStatusComesBack() throws {
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

        let answer = try ControlClient.send(ControlRequest(command: .status), to: socket)
        #expect(answer.status == Self.status("after status"), "dates and all survive the trip")
        _ = try ControlClient.send(ControlRequest(command: .pause), to: socket)
        _ = try ControlClient.send(ControlRequest(command: .resume, allowDeletes: true), to: socket)
        #expect(seen.withLock { $0 } == [
            ControlRequest(command: .status), ControlRequest(command: .pause), ControlRequest(command: .resume, allowDeletes: true),
        ])
        server.stop()
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
