import Foundation
import Testing

@testable import SyncEngine

/// When a failing path is tried again, and what waits for it: pure, so every case is a value.
@Suite struct RetryScheduleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    let schedule = RetrySchedule(base: 5, cap: 3600, transientCap: 60)

    func delay(_ attempts: Int, transient: Bool = false, jitter: Double = 1) -> TimeInterval {
        schedule.retryAt(now: Self.now, attempts: attempts, transient: transient, jitter: jitter).timeIntervalSince(Self.now)
    }

    @Test func theWaitDoublesUpToItsCap() {
        #expect((0..<6).map { delay($0) } == [5, 10, 20, 40, 80, 160])
        #expect(delay(10) == 3600 && delay(1_000) == 3600 && delay(Int.max) == 3600, "2^n overflowing is the cap, not a trap")
        #expect(delay(-3) == 5, "a negative count from a damaged journal is a first failure")
        let immediate = RetrySchedule(base: 0, cap: 3600, transientCap: 60)
        #expect(
            immediate.retryAt(now: Self.now, attempts: Int.max, transient: false, jitter: 1) == Self.now,
            "a zero base stays zero however many attempts (0 × 2^n is not NaN, nor the cap)"
        )
    }

    @Test func aTransientFailureWaitsAtMostAMinute() {
        #expect(delay(2, transient: true) == 20)
        #expect(delay(30, transient: true) == 60, "when the network comes back, files go within a minute, not an hour")
        #expect(RetrySchedule(base: 5, cap: 30, transientCap: 60).transientCap == 30, "never longer than the cap")
    }

    @Test func jitterSpreadsTheRetryAndIsClamped() {
        #expect(delay(3, jitter: 0.5) == 20 && delay(3, jitter: 0.75) == 30)
        #expect(delay(3, jitter: 0) == 20 && delay(3, jitter: 7) == 40 && delay(3, jitter: .nan) == 40 && delay(3, jitter: -.infinity) == 20)
    }

    @Test func stepsOnAFailedOrWaitingPathWait() {
        let a = RelativePath("a.txt")!
        let b = RelativePath("b.txt")!
        let c = RelativePath("c.txt")!
        let d = RelativePath("d.txt")!
        let batch: [SyncAction] = [.upload(a, baseRevision: nil), .download(b), .download(c), .upload(d, baseRevision: 3)]
        let split = RetrySchedule.split(
            batch,
            failedThisPass: [a],
            waiting: [b: Self.now.addingTimeInterval(1), c: Self.now, d: Self.now.addingTimeInterval(-1)],
            now: Self.now
        )
        #expect(split.deferred == [.upload(a, baseRevision: nil), .download(b)], "failed this pass, or its retry still ahead")
        #expect(split.run == [.download(c), .upload(d, baseRevision: 3)], "a retry that is due runs")
    }
}
