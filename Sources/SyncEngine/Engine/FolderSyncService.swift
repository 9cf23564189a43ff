import Logging
public import ServiceLifecycle
import Synchronization

/// Keeps one folder in sync for as long as it runs: watcher hints are coalesced into rescans
/// of the changed subtrees, a full pass runs every `rescanInterval` as the safety net (and much
/// more often when the watch limit is reached), failures back off.
public final class FolderSyncService: Service, Sendable {
    public let engine: FolderSync
    let rescanInterval: Duration
    let limitedRescanInterval: Duration
    let coalescer: Mutex<RescanCoalescer>
    let onReport: @Sendable (SyncReport) -> Void
    /// Part of the folder is unwatched (inotify watch limit): rescan often.
    private let limited = Atomic<Bool>(false)

    /// - Parameters:
    ///   - rescanInterval: how often a full pass runs with a healthy watcher.
    ///   - limitedRescanInterval: how often when part of the folder is not watched.
    ///   - onReport: called after every pass (status, metrics, logs).
    public init(
        engine: FolderSync, debounce: Duration = .milliseconds(300), rescanInterval: Duration = .seconds(3600),
        limitedRescanInterval: Duration = .seconds(60), onReport: @escaping @Sendable (SyncReport) -> Void = { _ in }
    ) {
        self.engine = engine
        self.rescanInterval = rescanInterval
        self.limitedRescanInterval = limitedRescanInterval
        coalescer = Mutex(RescanCoalescer(debounce: debounce))
        self.onReport = onReport
    }

    public func run() async throws {
        let root = engine.configuration.root
        let watcher = try FolderWatcher(root: root, ignore: FolderScanner.loadIgnoreRules(root: root))
        let clock = ContinuousClock()
        let origin = clock.now
        let hints = watcher.hints()
        try await cancelWhenGracefulShutdown {
            try await self.loop(hints: hints, watcher: watcher, clock: clock, origin: origin)
        }
        watcher.stop()
    }

    private func loop(hints: AsyncStream<FolderWatcher.Hint>, watcher: FolderWatcher, clock: ContinuousClock, origin: ContinuousClock.Instant) async throws {
        let root = engine.configuration.root
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await hint in hints {
                    let now = clock.now - origin
                    coalescer.withLock { c in
                        switch hint {
                        case .changed(let path): c.changed(under: path, at: now)
                        case .moved(let from, let to):
                            c.changed(under: from, at: now)
                            c.changed(under: to, at: now)
                        case .overflow: c.overflowed(at: now)
                        case .watchLimitReached(let message):
                            limited.store(true, ordering: .relaxed)
                            engine.logger.error("\(message)")
                        }
                    }
                }
            }
            group.addTask { [self] in
                var scope = RescanCoalescer.Request.root  // the first pass looks at everything
                var lastFull = clock.now
                while !Task.isCancelled {
                    do {
                        let report = try await engine.pass(scope: scope)
                        onReport(report)
                    } catch {
                        engine.logger.error("sync pass failed: \(error)", metadata: ["folder": "\(root)"])
                    }
                    if case .root = scope { lastFull = clock.now }
                    scope = try await nextScope(lastFull: lastFull, clock: clock, origin: origin)
                }
                watcher.stop()
            }
            try await group.next()
            group.cancelAll()
            watcher.stop()
        }
    }

    /// Waits for the coalescer's next request, or for the periodic full pass, whichever first.
    private func nextScope(lastFull: ContinuousClock.Instant, clock: ContinuousClock, origin: ContinuousClock.Instant) async throws -> RescanCoalescer.Request {
        while true {
            let interval = limited.load(ordering: .relaxed) ? limitedRescanInterval : rescanInterval
            if clock.now - lastFull >= interval { return .root }
            if let request = coalescer.withLock({ $0.take(at: clock.now - origin) }) { return request }
            try await Task.sleep(for: .milliseconds(50))
            try Task.checkCancellation()
        }
    }
}
