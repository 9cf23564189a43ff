import Foundation
import NIOConcurrencyHelpers

/// Wakes change-feed long-polls when a user's tree changes: directly for changes made by this
/// process, and through PostgreSQL `LISTEN/NOTIFY` for changes made by other replicas.
public final class ChangeNotifier: Sendable {
    /// One long-poll's registration; created before the feed is read, so that a change landing
    /// between the read and the wait is not missed.
    final class Ticket: Sendable {
        let userId: String
        private let state = NIOLockedValueBox<(notified: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))

        init(userId: String) { self.userId = userId }

        func fire() {
            let continuation = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                state.notified = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume()
        }

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.notified { return true }
                    state.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private let tickets = NIOLockedValueBox<[ObjectIdentifier: Ticket]>([:])
    /// Set on shutdown: long-polls answer at once, so that the server stops without waiting
    /// out their timeouts.
    private let closed = NIOLockedValueBox(false)
    /// The most long-polls one user may have waiting at once (each holds a connection and a
    /// task); one more is refused with ``TooManyWaiting``.
    public let maxWaitingPerUser: Int

    /// A long-poll refused because the user already has ``maxWaitingPerUser`` waiting.
    public struct TooManyWaiting: Error, Sendable {
        public let limit: Int
    }

    public init(maxWaitingPerUser: Int = 8) {
        self.maxWaitingPerUser = maxWaitingPerUser
    }

    /// Long-polls waiting now (registered and not yet released), for tests and metrics.
    public func waiting(userId: String) -> Int {
        tickets.withLockedValue { $0.values.count(where: { $0.userId == userId }) }
    }

    /// Answers every waiting long-poll now, and every later one at once.
    public func shutdown() {
        closed.withLockedValue { $0 = true }
        let all = tickets.withLockedValue { Array($0.values) }
        for ticket in all { ticket.fire() }
    }

    /// The user's tree changed (here or on another replica).
    public func changed(userId: String) {
        let matching = tickets.withLockedValue { $0.values.filter { $0.userId == userId } }
        for ticket in matching { ticket.fire() }
    }

    /// A ticket for a long-poll of `userId`; throws ``TooManyWaiting`` when the user already
    /// has ``maxWaitingPerUser``. The caller must ``unregister(_:)`` it on every path.
    func register(userId: String) throws -> Ticket {
        let ticket = Ticket(userId: userId)
        let admitted = tickets.withLockedValue { tickets -> Bool in
            guard tickets.values.count(where: { $0.userId == userId }) < maxWaitingPerUser else { return false }
            tickets[ObjectIdentifier(ticket)] = ticket
            return true
        }
        guard admitted else { throw TooManyWaiting(limit: maxWaitingPerUser) }
        if closed.withLockedValue({ $0 }) { ticket.fire() }
        return ticket
    }

    func unregister(_ ticket: Ticket) {
        tickets.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(ticket)) }
        ticket.fire()  // releases a waiter, if any
    }

    /// Waits until the ticket fires or `timeout` passes.
    func wait(_ ticket: Ticket, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await ticket.wait() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            unregister(ticket)
        }
    }
}
