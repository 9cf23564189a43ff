import GRDB
import Synchronization

/// Writes that tasks running side by side hand to the journal, committed together: whatever
/// arrived while the last transaction ran goes in the next one, each write in a savepoint of
/// its own. One fsync for many steps, no write waits for company (the first goes at once),
/// and every caller resumes only once its write is durable.
///
/// The transactions run on GRDB's writer queue (``DatabasePool/asyncWriteWithoutTransaction(_:)``):
/// no task of Swift's pool is blocked while a commit reaches the disk.
final class GroupCommit: Sendable {
    typealias Write = @Sendable (Database) throws -> Void

    private struct State {
        var pending: [(write: Write, caller: CheckedContinuation<Void, any Error>)] = []
        /// A transaction is queued or running; it takes what is pending when it starts and
        /// queues the next one if more came meanwhile.
        var scheduled = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `write` in the next group transaction; returns once that transaction is committed.
    /// Throws what `write` threw (its savepoint is rolled back, the others' writes stand), or
    /// the commit's failure.
    func write(_ write: @escaping Write) async throws {
        try await withCheckedThrowingContinuation { (caller: CheckedContinuation<Void, any Error>) in
            let first = state.withLock { state in
                state.pending.append((write, caller))
                defer { state.scheduled = true }
                return !state.scheduled
            }
            if first { flush() }
        }
    }

    private func flush() {
        pool.asyncWriteWithoutTransaction { db in
            let batch = self.state.withLock { state in
                defer { state.pending = [] }
                return state.pending
            }
            var outcomes: [Result<Void, any Error>] = []
            do {
                try db.inTransaction {
                    outcomes = batch.map { item in
                        Result {
                            try db.inSavepoint {
                                try item.write(db)
                                return .commit
                            }
                        }
                    }
                    return .commit
                }
            } catch {
                outcomes = batch.map { _ in .failure(error) }
            }
            for (item, outcome) in zip(batch, outcomes) { item.caller.resume(with: outcome) }
            let more = self.state.withLock { state in
                if state.pending.isEmpty { state.scheduled = false }
                return state.scheduled
            }
            if more { self.flush() }
        }
    }
}
