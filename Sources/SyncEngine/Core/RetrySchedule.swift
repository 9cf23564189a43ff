public import Foundation

/// When a failed step is tried again, and which planned steps wait meanwhile: decided in pure
/// code, with the time and the jitter as parameters (the engine reads the clock and draws the
/// jitter, tests give both).
public struct RetrySchedule: Sendable, Equatable {
    /// The first wait; each further failure of the path doubles it.
    public var base: TimeInterval
    /// The longest wait.
    public var cap: TimeInterval
    /// The longest wait after a ``TransientFailure`` (the server or storage unreachable or
    /// overloaded): when the network comes back, waiting files go within this.
    public var transientCap: TimeInterval

    public init(base: TimeInterval, cap: TimeInterval, transientCap: TimeInterval) {
        self.base = max(0, base)
        self.cap = max(0, cap)
        self.transientCap = min(max(0, transientCap), self.cap)
    }

    /// When to try again a step that failed at `now` on a path that had failed `attempts` times
    /// before: `base * 2^attempts`, capped, times `jitter` (drawn from 0.5...1, so that paths
    /// that failed together do not come back together; clamped to that range).
    public func retryAt(now: Date, attempts: Int, transient: Bool, jitter: Double) -> Date {
        let ceiling = transient ? transientCap : cap
        // 2^attempts would overflow to infinity, and 0 × infinity is NaN: the exponent stops at
        // 1,000 (2^1000 is finite, and past any cap for any base above 0).
        let delay = min(ceiling, base * pow(2, Double(min(max(0, attempts), 1_000))))
        let spread = jitter.isNaN ? 1 : min(1, max(0.5, jitter))
        return now.addingTimeInterval(delay * spread)
    }

    /// The steps of `batch` that run now, and those that wait: a step on a path a failed step
    /// of this pass touched waits for its retry (the download that follows a failed conflict
    /// copy would replace the version it was to keep), and so does one whose path's retry is
    /// still ahead (`waiting`: the path's retry time).
    public static func split(
        _ batch: [SyncAction],
        failedThisPass: Set<RelativePath>,
        waiting: [RelativePath: Date],
        now: Date
    ) -> (run: [SyncAction], deferred: [SyncAction]) {
        var run: [SyncAction] = []
        var deferred: [SyncAction] = []
        for action in batch {
            let path = action.primaryPath
            if failedThisPass.contains(path) || waiting[path].map({ $0 > now }) == true { deferred.append(action) } else { run.append(action) }
        }
        return (run, deferred)
    }
}
