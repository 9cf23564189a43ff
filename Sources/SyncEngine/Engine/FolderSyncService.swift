import Foundation
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
    let onFailure: @Sendable (any Error) -> Void
    let heartbeat: @Sendable () -> Void
    /// The zero of the coalescer's clock.
    private let origin = ContinuousClock.now
    /// Part of the folder is unwatched (inotify watch limit): rescan often.
    private let limited = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)
    /// Set by `resume` and `requestFullPass`: the next pass looks at everything.
    private let resumed = Atomic<Bool>(false)
    /// Rung by every hint, so that the loop waits for exactly the coalescer's deadline.
    private let doorbell = Doorbell()

    /// - Parameters:
    ///   - rescanInterval: how often a full pass runs with a healthy watcher.
    ///   - limitedRescanInterval: how often when part of the folder is not watched.
    ///   - onReport: called after every pass (status, metrics, logs).
    ///   - onFailure: called when a pass could not run (the folder or the server unusable).
    ///   - heartbeat: called on every turn of the loop (a few times a second while waiting,
    ///     and after each pass): the watchdog's sign that the engine is not hung.
    public init(
        engine: FolderSync,
        debounce: Duration = .milliseconds(300),
        rescanInterval: Duration = .seconds(3600),
        limitedRescanInterval: Duration = .seconds(60),
        onReport: @escaping @Sendable (SyncReport) -> Void = { _ in },
        onFailure: @escaping @Sendable (any Error) -> Void = { _ in },
        heartbeat: @escaping @Sendable () -> Void = {}
    ) {
        self.onFailure = onFailure
        self.heartbeat = heartbeat
        self.engine = engine
        self.rescanInterval = rescanInterval
        self.limitedRescanInterval = limitedRescanInterval
        coalescer = Mutex(RescanCoalescer(debounce: debounce))
        self.onReport = onReport
    }

    /// The server's change feed moved: sync the remote side now (no local rescan).
    public func remoteChanged() {
        let now = ContinuousClock.now - origin
        coalescer.withLock { $0.remoteChanged(at: now) }
        doorbell.ring()
    }

    /// Stops starting passes (a running one finishes) until `resume`.
    public func pause() {
        paused.store(true, ordering: .relaxed)
    }

    public func resume() {
        resumed.store(true, ordering: .relaxed)
        paused.store(false, ordering: .relaxed)
    }

    public var isPaused: Bool { paused.load(ordering: .relaxed) }

    /// Asks for a full pass (a rescan of the whole folder) as soon as the current one ends.
    public func requestFullPass() {
        resumed.store(true, ordering: .relaxed)
    }

    public func run() async throws {
        let root = engine.configuration.root
        let watcher = try FolderWatcher(root: root, ignore: FolderScanner.loadIgnoreRules(root: root))
        let clock = ContinuousClock()
        let hints = watcher.hints()
        do {
            try await cancelWhenGracefulShutdown {
                try await self.loop(hints: hints, watcher: watcher, clock: clock, origin: self.origin)
            }
        } catch is CancellationError {
            // Shutting down: a wait or a transfer was interrupted, which is how it should end.
        }
        watcher.stop()
    }

    private func loop(
        hints: AsyncStream<FolderWatcher.Hint>,
        watcher: FolderWatcher,
        clock: ContinuousClock,
        origin: ContinuousClock.Instant
    ) async throws {
        let root = engine.configuration.root
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await hint in hints {
                    let now = clock.now - origin
                    coalescer.withLock { c in
                        switch hint {
                        case .changed(let path): c.changed(under: path, at: now)
                        case .finished(let path): c.changed(under: path, at: now, finished: true)
                        case .moved(let from, let to):
                            c.changed(under: from, at: now)
                            c.changed(under: to, at: now)
                        case .overflow: c.overflowed(at: now)
                        case .watchLimitReached(let message):
                            limited.store(true, ordering: .relaxed)
                            engine.logger.error("\(message)")
                        }
                    }
                    doorbell.ring()
                }
            }
            group.addTask { [self] in
                var scope = RescanCoalescer.Request.root  // the first pass looks at everything
                var lastFull = clock.now
                var failures = 0
                while !Task.isCancelled {
                    while paused.load(ordering: .relaxed) {
                        heartbeat()
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    if resumed.exchange(false, ordering: .relaxed) { scope = .root }
                    var retryAt: ContinuousClock.Instant?
                    var pathRetryAt: ContinuousClock.Instant?
                    var again: RescanCoalescer.Request?
                    do {
                        let started = Date()
                        let report = try await engine.pass(scope: scope, now: started)
                        failures = 0
                        onReport(report)
                        again = report.replan
                        if case .root = scope { lastFull = clock.now }
                        // A path that failed waits for its own retry time, and nothing else may
                        // come to wake the loop then: the next pass is due at the earliest.
                        if let next = try engine.journal.errors().map(\.retryAt).filter({ $0 > started }).min() {
                            pathRetryAt = clock.now + .seconds(max(0, next.timeIntervalSinceNow))
                        }
                    } catch is CancellationError {
                        return
                    } catch {
                        engine.logger.error("sync pass failed: \(error)", metadata: ["folder": "\(root)"])
                        onFailure(error)
                        // Whatever the pass was to look at is still unseen: a full pass after a
                        // backoff (1 s, 2 s, 4 s ... 60 s), sooner if hints come.
                        failures += 1
                        retryAt = clock.now + .seconds(min(60, 1 << min(failures - 1, 6)))
                    }
                    // A step learned something the plan did not know (a 409 with the server's
                    // item, a file changed since the scan): plan again now, not after a wait.
                    if let again {
                        heartbeat()
                        scope = again
                        continue
                    }
                    scope = try await nextScope(lastFull: lastFull, retryAt: retryAt, pathRetryAt: pathRetryAt, clock: clock, origin: origin)
                    if retryAt != nil { scope = .root }
                }
                watcher.stop()
            }
            try await group.next()
            group.cancelAll()
            watcher.stop()
        }
    }

    /// Waits for the coalescer's next request, the retry of a failed pass or of a failed path,
    /// or the periodic full pass, whichever comes first. A path's retry rescans nothing (the
    /// plan covers every path; the journal has the rest).
    private func nextScope(
        lastFull: ContinuousClock.Instant,
        retryAt: ContinuousClock.Instant?,
        pathRetryAt: ContinuousClock.Instant?,
        clock: ContinuousClock,
        origin: ContinuousClock.Instant
    ) async throws -> RescanCoalescer.Request {
        while true {
            heartbeat()
            let interval = limited.load(ordering: .relaxed) ? limitedRescanInterval : rescanInterval
            if clock.now - lastFull >= interval { return .root }
            if let retryAt, clock.now >= retryAt { return .root }
            if let pathRetryAt, clock.now >= pathRetryAt { return .subtrees([]) }
            if paused.load(ordering: .relaxed) || resumed.load(ordering: .relaxed) { return .root }
            let (request, deadline) = coalescer.withLock { c in (c.take(at: clock.now - origin), c.deadline) }
            if let request { return request }
            // Until the coalescer's deadline or the next hint; at most 50 ms, for the checks
            // above (pause, retries, the heartbeat).
            var wait = Duration.milliseconds(50)
            if let deadline { wait = max(.zero, min(wait, deadline - (clock.now - origin))) }
            await doorbell.wait(upTo: wait)
            try Task.checkCancellation()
        }
    }
}
