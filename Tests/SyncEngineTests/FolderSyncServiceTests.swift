import Foundation
import Synchronization
import Testing

@testable import SyncEngine

/// The running service: watcher hints drive quick subtree passes, the periodic full pass
/// brings remote changes down.
@Suite(.timeLimit(.minutes(1))) struct FolderSyncServiceTests {
    /// Polls until `condition` holds or `seconds` pass.
    func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test func changesFlowBothWaysWhileRunning() async throws {
        let setup = try FolderSyncTests.Setup()
        let passes = Mutex<[SyncReport]>([])
        let service = FolderSyncService(
            engine: try setup.engine(),
            debounce: .milliseconds(100),
            rescanInterval: .milliseconds(700)
        ) { report in passes.withLock { $0.append(report) } }
        let running = Task { try await service.run() }
        defer { running.cancel() }
        #expect(try await eventually { passes.withLock { !$0.isEmpty } }, "the first pass runs at start")

        try setup.write("inbox/note.txt", "written while running")
        #expect(try await eventually { setup.remote.text("inbox/note.txt") == "written while running" })

        // Measured from a quiet engine: a pass still running for the write (its report comes
        // after the bytes reached the remote) may upload once more. Quiet: a pass reported
        // after that point found nothing to do.
        let seen = passes.withLock { $0.count }
        #expect(try await eventually { passes.withLock { $0.count > seen && $0.last?.isIdle == true } })
        let uploads = setup.remote.state.withLock { $0.uploads }
        let beforeMove = passes.withLock { $0.count }
        #expect(rename(setup.root + "/inbox", setup.root + "/archive") == 0)
        #expect(try await eventually { setup.remote.text("archive/note.txt") == "written while running" })
        #expect(
            setup.remote.state.withLock { $0.uploads } == uploads,
            "the folder moved; nothing was uploaded again; passes since the move: \(passes.withLock { $0.dropFirst(beforeMove).map { "\($0.scope): \($0.done)" } })"
        )

        setup.remote.put("from-phone.txt", "hello from elsewhere")
        #expect(try await eventually { setup.read("from-phone.txt") == "hello from elsewhere" })
        #expect(try setup.divergence() == nil)
        running.cancel()
        _ = try? await running.value
    }

    /// A path that failed is retried when its back-off ends, though nothing else happens to
    /// wake the service (no hint, no remote change, the periodic pass an hour away): the soak
    /// found a device that said "retry now" for minutes and never did.
    @Test func aFailedPathIsRetriedAtItsTimeWithNothingElseToWakeTheService() async throws {
        let setup = try FolderSyncTests.Setup()
        try setup.write("report.txt", "to be sent")
        setup.remote.state.withLock { $0.failUploads = 1 }
        let passes = Mutex<[SyncReport]>([])
        let service = FolderSyncService(
            engine: try setup.engine(retryBase: 1),
            debounce: .milliseconds(100),
            rescanInterval: .seconds(3600)
        ) { report in passes.withLock { $0.append(report) } }
        let running = Task { try await service.run() }
        defer { running.cancel() }
        #expect(try await eventually { passes.withLock { $0.first?.failed.count == 1 } }, "the first upload fails")
        #expect(try await eventually { setup.remote.text("report.txt") == "to be sent" }, "and is retried about a second later")
        #expect(try await eventually { (try? Journal(path: setup.journalPath).errors().isEmpty) == true }, "nothing waits any more")
        #expect(try setup.divergence() == nil)
        running.cancel()
        _ = try? await running.value
    }
}
