import Dispatch
import Synchronization

/// Elements handed from one thread to another in chunks, with at most `capacity` chunks in
/// between (the producer waits): the quick check's walk of the folder runs on its own thread
/// beside the read of the journal, and neither holds more than a few chunks of the other.
final class ChunkPipe<Element: Sendable>: Sendable {
    private struct State: Sendable {
        var chunks: [[Element]] = []
        var finished = false
        var failure: (any Error)?
        var cancelled = false
    }

    private let state = Mutex(State())
    private let filled = DispatchSemaphore(value: 0)
    /// Room for chunks. Made at 0 and raised: libdispatch aborts when a semaphore is freed with
    /// a count below the one it was made with, which a consumer that stops early leaves.
    private let free = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        for _ in 0..<max(1, capacity) { free.signal() }
    }

    /// Hands over a chunk (waiting for room); false when the consumer has stopped.
    func put(_ chunk: [Element]) -> Bool {
        free.wait()
        let taken = state.withLock { state in
            guard !state.cancelled else { return false }
            state.chunks.append(chunk)
            return true
        }
        if taken { filled.signal() }
        return taken
    }

    /// Ends the stream, with the producer's failure if it failed.
    func finish(failure: (any Error)? = nil) {
        state.withLock {
            $0.finished = true
            $0.failure = failure
        }
        filled.signal()
    }

    /// The next chunk (waiting for one); nil at the end. Throws the producer's failure.
    func take() throws -> [Element]? {
        filled.wait()
        let (chunk, failure) = state.withLock { state -> ([Element]?, (any Error)?) in
            state.chunks.isEmpty ? (nil, state.failure) : (state.chunks.removeFirst(), nil)
        }
        if chunk != nil {
            free.signal()
        } else {
            filled.signal()  // the end stays the end for a later take
        }
        if let failure { throw failure }
        return chunk
    }

    /// The consumer stops: a producer waiting for room wakes, and nothing more is taken.
    func cancel() {
        state.withLock { $0.cancelled = true }
        free.signal()
    }
}
