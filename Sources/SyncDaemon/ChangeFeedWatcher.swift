import Foundation
import Logging
import ServiceLifecycle
import SyncAPI
import SyncEngine
import Synchronization

/// Long-polls the server's change feed and says when something changed there (the dashboard,
/// another machine), so that it lands in the folder within about a second. The feed is only a
/// wake-up: the pass it starts reads the changes after the journal's own cursor (the whole tree
/// when there is none), so a missed or repeated wake-up costs nothing.
final class ChangeFeedWatcher: Service, Sendable {
    let api: ServerAPI
    let journal: Journal
    let onChange: @Sendable () -> Void
    let logger: Logger
    let wait: Int
    /// Whether the last poll reached the server (assumed until one fails).
    let online = Atomic<Bool>(true)

    init(api: ServerAPI, journal: Journal, wait: Int = 25, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.api = api
        self.journal = journal
        self.wait = wait
        self.logger = logger
        self.onChange = onChange
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.poll() }
        } catch is CancellationError {
            // Shutting down mid-poll or mid-backoff.
        }
    }

    private func poll() async throws {
        var cursor = (try? journal.remoteCursor()).flatMap { $0.flatMap { Int64($0) } } ?? 0
        var failures = 0
        while !Task.isCancelled {
            do {
                let answer: ChangesResponse = try await api.get("/changes?after=\(cursor)&wait=\(wait)", timeout: .seconds(wait + 30))
                online.store(true, ordering: .relaxed)
                let cameBack = failures > 0
                if cameBack { logger.info("the server answers again") }
                failures = 0
                if !answer.changes.isEmpty || answer.cursor < cursor || cameBack {
                    onChange()
                }
                cursor = answer.cursor
            } catch is CancellationError {
                return
            } catch {
                online.store(false, ordering: .relaxed)
                failures += 1
                if failures == 1 { logger.warning("change feed: \(error)") }
                // 1 s, 2 s, 4 s ... at most 60 s between tries while the server is away.
                try await Task.sleep(for: .seconds(min(60, 1 << min(failures - 1, 6))))  // cancelled: shutdown
            }
        }
    }
}
