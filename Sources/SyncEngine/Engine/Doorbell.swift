import Synchronization

/// Ends a wait early: the sync loop sleeps until its next deadline or until a hint rings, so
/// a change starts its pass when it is due, not at the next turn of a polling loop.
final class Doorbell: Sendable {
    private struct State {
        /// Rung while nobody waited: the next wait returns at once.
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the current wait, or the next one if none is waiting.
    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung, after `timeout`, or when the task is cancelled, whichever is first.
    /// One waiter at a time.
    func wait(upTo timeout: Duration) async {
        let timer = Task { [self] in
            // A timer cancelled because the wait ended otherwise does not ring.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            ring()
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    precondition(state.waiter == nil, "one waiter at a time")
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
        // A timer that fired just as the wait ended otherwise may still ring and wake the next
        // wait early: one spare turn of the loop, never a missed hint.
    }
}
