import Foundation
import SyncAPI
import Synchronization
import Testing

@testable import SyncDaemon

/// Uploads running side by side share begin and complete requests: each caller still gets its
/// own item's answer, or its own item's refusal, or the request's failure.
@Suite struct BatchQueueTests {
    struct Refused: Error {}

    /// Until `open`, every request waits: the test decides when the queue has filled.
    final class Gate: Sendable {
        private let isOpen = Mutex(false)
        func open() { isOpen.withLock { $0 = true } }
        func pass() async throws {
            while !isOpen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
        }
    }

    /// Polls `condition` until it holds (at most 30 s).
    static func until(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw Refused() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test func callersAtOnceShareARequestAndEachGetsItsOwnAnswer() async throws {
        let requests = Mutex<[[Int]]>([])
        let gate = Gate()
        let queue = BatchQueue<Int, String>(maxBatch: 8) { items in
            requests.withLock { $0.append(items) }
            try await gate.pass()
            return items.map {
                $0 % 5 == 0
                    ? BatchResult(status: 409, error: ConflictBody(code: "revision_conflict", message: "no", current: nil))
                    : BatchResult(value: "v\($0)")
            }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Result<String, any Error>).self) { group in
            for item in 1...20 {
                group.addTask {
                    do { return (item, .success(try await queue.submit(item))) } catch { return (item, .failure(error)) }
                }
            }
            // Two requests out (one item each: neither waited for company), eighteen waiting.
            try await Self.until { await queue.pendingCount == 18 }
            gate.open()
            var answers: [Int: Result<String, any Error>] = [:]
            for try await (item, answer) in group { answers[item] = answer }
            return answers
        }
        for item in 1...20 {
            switch answers[item] {
            case .success(let value)?: #expect(item % 5 != 0 && value == "v\(item)")
            case .failure(let error as ServerError)?: #expect(item % 5 == 0 && error.status == 409 && error.code == "revision_conflict")
            default: Issue.record("item \(item): \(String(describing: answers[item]))")
            }
        }
        let sent = requests.withLock { $0 }
        #expect(sent.flatMap { $0 }.sorted() == Array(1...20), "every item went exactly once")
        #expect(sent.prefix(2).map(\.count) == [1, 1], "the first calls did not wait for company")
        #expect(sent.count < 20 && sent.allSatisfy { $0.count <= 8 }, "batched, none over the limit: \(sent.map(\.count))")
    }

    @Test func aFailedRequestFailsEveryItemInItAndTheNextBatchStillGoes() async throws {
        let requests = Mutex<[[Int]]>([])
        let gate = Gate()
        let queue = BatchQueue<Int, String>(maxInFlight: 1) { items in
            let call = requests.withLock {
                $0.append(items)
                return $0.count
            }
            if call == 1 { try await gate.pass() }
            if call <= 2 { throw Refused() }
            return items.map { BatchResult(value: "v\($0)") }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // 1 goes alone; 2, 3 and 4 come while it is out and go together.
            group.addTask { await #expect(throws: Refused.self) { _ = try await queue.submit(1) } }
            try await Self.until { requests.withLock { $0.count } == 1 }
            for item in 2...4 {
                group.addTask { await #expect(throws: Refused.self) { _ = try await queue.submit(item) } }
            }
            try await Self.until { await queue.pendingCount == 3 }
            gate.open()
            try await group.waitForAll()
        }
        #expect(requests.withLock { $0 }.map { $0.sorted() } == [[1], [2, 3, 4]])
        #expect(try await queue.submit(5) == "v5")
    }

    /// The caller whose task sends a batch gives up (its task is cancelled) while the request is
    /// out: the request still finishes for everyone in it.
    @Test func aCancelledSenderDoesNotFailTheOthersInItsBatch() async throws {
        let requests = Mutex<[[Int]]>([])
        let (first, second) = (Gate(), Gate())
        let queue = BatchQueue<Int, String>(maxInFlight: 1) { items in
            let call = requests.withLock {
                $0.append(items)
                return $0.count
            }
            // A cancelled task's sleep throws: the gates tell whose task the request runs on.
            try await (call == 1 ? first : second).pass()
            return items.map { BatchResult(value: "v\($0)") }
        }
        let one = Task { try await queue.submit(1) }
        try await Self.until { requests.withLock { $0.count } == 1 }
        let two = Task { try await queue.submit(2) }
        try await Self.until { await queue.pendingCount == 1 }
        let three = Task { try await queue.submit(3) }
        try await Self.until { await queue.pendingCount == 2 }
        first.open()
        // 2's caller is the oldest pending one: its task sends [2, 3].
        try await Self.until { requests.withLock { $0.count } == 2 }
        two.cancel()
        second.open()
        #expect(try await one.value == "v1")
        #expect(try await two.value == "v2", "the request went through; its answer is 2's")
        #expect(try await three.value == "v3", "3 does not fail because 2's caller gave up")
        #expect(requests.withLock { $0 } == [[1], [2, 3]])
    }
}
