import Foundation
import Testing

@testable import SyncDaemon
@testable import SyncEngine

/// `syncd status`, the systemd STATUS line and the metrics tell the truth: `idle` only when
/// nothing waits; a waiting path says why and when it is retried; one that keeps failing is a
/// problem, logged once; what the scan skips (a name that is not UTF-8) is listed.
@Suite struct StatusWaitingTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A real journal in a temporary folder, removed afterwards.
    static func withJournal(_ body: (Journal) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(try Journal(path: dir + "/journal.sqlite"))
    }

    static func status(_ board: StatusBoard, _ journal: Journal, at now: Date = now) -> DaemonStatus {
        board.status(
            folder: "/home/ada/Sync",
            server: "https://files.example.com",
            mode: "sync",
            paused: false,
            online: true,
            progress: FolderSync.PassProgress(),
            journal: journal,
            board: TransferBoard(),
            now: now
        )
    }

    @Test func aPathWaitingForARetryIsNotIdle() throws {
        try Self.withJournal { journal in
            let path = RelativePath("w022.bin")!
            let board = StatusBoard()
            board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now)
            #expect(Self.status(board, journal).state == .idle, "nothing waits yet")

            let message = "409 revision_conflict: the item changed since you last saw it"
            try journal.recordError(message, for: path, retryAt: Self.now.addingTimeInterval(40))
            board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now)
            let status = Self.status(board, journal)
            #expect(status.state == .waiting)
            #expect(status.summary == "Waiting — 1 path to retry (next in 40 s); 0 files in sync", "the systemd STATUS line")
            #expect(!status.summary.contains("Idle"))
            #expect(status.waiting == 1 && status.failing == 0)
            let text = StatusText.render(status, now: Self.now)
            #expect(text.contains("Waiting to retry:\n  w022.bin: \(message) — 1 attempt, retry in 40 s"), "\(text)")

            let json = String(decoding: try ControlCodec.encoder.encode(status), as: UTF8.self)
            #expect(json.contains(#""state":"waiting""#) && json.contains(#""attempts":1"#) && json.contains(#""kind":"retrying""#), "\(json)")
            #expect(json.contains(#""retryAt":"2027-01-15T08:00:40Z""#), "\(json)")

            let metrics = DaemonMetrics(folder: status.folder).render(status)
            #expect(
                metrics.contains("syncd_idle{folder=\"/home/ada/Sync\"} 0.0\n") && metrics.contains("syncd_errors{folder=\"/home/ada/Sync\"} 1.0\n")
            )

            var cleared = JournalChange()
            cleared.clearedErrors = [path]
            try journal.apply(cleared)
            board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now)
            #expect(Self.status(board, journal).state == .idle, "idle again once nothing waits")
        }
    }

    @Test func aPathFailingPastTheBoundIsAProblemLoggedOnce() throws {
        try Self.withJournal { journal in
            let path = RelativePath("sub/deeper/w015.bin")!
            let board = StatusBoard()
            for attempt in 1...5 {
                try journal.recordError("changed since the last scan; not overwritten", for: path, retryAt: Self.now.addingTimeInterval(3600))
                let news = board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now)
                #expect(news.newlyFailing.map(\.path) == (attempt == 5 ? [path] : []), "attempt \(attempt)")
            }
            let again = board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now)
            #expect(again.newlyFailing.isEmpty, "warned once, not on every pass")

            let status = Self.status(board, journal)
            #expect(status.state == .waiting && status.failing == 1)
            #expect(status.summary == "Waiting — 1 path to retry (next in 1 h), 1 failing repeatedly; 0 files in sync")
            #expect(status.errors.first?.kind == .failing)
            let text = StatusText.render(status, now: Self.now)
            #expect(
                text.contains(
                    "Failing repeatedly (still retried; `syncd doctor` checks the usual causes):\n  sub/deeper/w015.bin: changed since the last scan; not overwritten — 5 attempts, retry in 1 h"
                ),
                "\(text)"
            )
            #expect(DaemonMetrics(folder: status.folder).render(status).contains("syncd_paths_failing{folder=\"/home/ada/Sync\"} 1.0\n"))
        }
    }

    @Test func aPathFailingForTenMinutesIsAProblemToo() throws {
        try Self.withJournal { journal in
            let path = RelativePath("w022.bin")!
            let board = StatusBoard()
            try journal.recordError("503 from S3", for: path, retryAt: Self.now.addingTimeInterval(300))
            #expect(board.record(SyncReport(), pathErrors: try journal.errors(), now: Self.now).newlyFailing.isEmpty)
            try journal.recordError("503 from S3", for: path, retryAt: Self.now.addingTimeInterval(900))
            let later = Self.now.addingTimeInterval(601)
            #expect(board.record(SyncReport(), pathErrors: try journal.errors(), now: later).newlyFailing.map(\.path) == [path])
            #expect(Self.status(board, journal, at: later).failing == 1)
        }
    }

    @Test func aNameThatIsNotUTF8IsListedAndLoggedOnce() throws {
        try Self.withJournal { journal in
            let board = StatusBoard()
            var report = SyncReport()
            report.scanProblems = [ScanProblem(kind: .invalidName, path: "docs/caf\u{FFFD}.txt", message: "name is not valid UTF-8; not synced")]
            #expect(board.record(report, pathErrors: [], now: Self.now).newlySkipped.map(\.path) == ["docs/caf\u{FFFD}.txt"])
            #expect(board.record(report, pathErrors: [], now: Self.now).newlySkipped.isEmpty, "logged once")

            let status = Self.status(board, journal)
            #expect(status.state == .idle, "a skipped name waits for the user, not for a retry")
            #expect(status.summary == "Idle — 0 files in sync, 1 not synced here (see below)")
            #expect(
                StatusText.render(status, now: Self.now).contains(
                    "Not synced on this device:\n  docs/caf\u{FFFD}.txt: name is not valid UTF-8; not synced"
                )
            )
            #expect(DaemonMetrics(folder: status.folder).render(status).contains("syncd_paths_not_synced{folder=\"/home/ada/Sync\"} 1.0\n"))

            // A rescan of another subtree keeps it; a rescan of its folder that no longer finds it drops it.
            var elsewhere = SyncReport()
            elsewhere.scope = .subtrees([RelativePath("photos")!])
            board.record(elsewhere, pathErrors: [], now: Self.now)
            #expect(Self.status(board, journal).errors.count == 1)
            var renamed = SyncReport()
            renamed.scope = .subtrees([RelativePath("docs")!])
            board.record(renamed, pathErrors: [], now: Self.now)
            #expect(Self.status(board, journal).errors.isEmpty)
        }
    }

    @Test func aFileBeingWrittenIsWaitingNotIdle() throws {
        try Self.withJournal { journal in
            let board = StatusBoard()
            var report = SyncReport()
            report.scanProblems = [ScanProblem(kind: .changing, path: "big.iso", message: "changed while it was read; looked at again next scan")]
            board.record(report, pathErrors: [], now: Self.now)
            let status = Self.status(board, journal)
            #expect(status.state == .waiting)
            #expect(status.summary == "Waiting — 1 file still being written; 0 files in sync")
        }
    }

    @Test func everyEventHasACatalogEntry() throws {
        let catalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/syncd.catalog")
        let text = try String(contentsOf: catalog, encoding: .utf8)
        for event in SyncEvent.allCases {
            #expect(text.contains("-- \(event.messageId)\n"), "\(event) has no entry in systemd/syncd.catalog")
        }
        #expect(Set(SyncEvent.allCases.map(\.messageId)).count == SyncEvent.allCases.count, "MESSAGE_IDs are unique")
    }
}
