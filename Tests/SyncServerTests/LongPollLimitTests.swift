import Foundation
import Hummingbird
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// Long-polls of the change feed: at most `maxWaitingPerUser` wait at once per user (the next
/// is answered 429 at once), and every ticket is released, whatever ends the poll.
@Suite(.timeLimit(.minutes(2))) struct LongPollLimitTests {
    @Test(arguments: StoreBackend.allCases)
    func aUserHasAtMostEightLongPollsWaiting(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let (_, other) = try await env.newUser()
            let cap = env.store.notifier.maxWaitingPerUser
            #expect(cap == 8)
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<cap {
                    group.addTask { try await client.api(.get, "/api/v1/changes?after=0&wait=50", token: token).status }
                }
                try await waitUntil { env.store.notifier.waiting(userId: user.id) == cap }
                let over = try await client.api(.get, "/api/v1/changes?after=0&wait=50", token: token)
                #expect(over.status == .tooManyRequests)
                #expect(try InputLimitsTests.error(over).code == "too_many_long_polls")
                #expect(try await client.api(.get, "/api/v1/changes?after=0", token: token).status == .ok, "a poll without wait is always answered")
                #expect(try await client.api(.get, "/api/v1/changes?after=0&wait=0.1", token: other).status == .ok, "the cap is per user")
                // A change answers all of them.
                _ = try await env.store.commit(userId: user.id, path: "wake", kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
                for try await status in group { #expect(status == .ok) }
            }
            #expect(env.store.notifier.waiting(userId: user.id) == 0)
            #expect(try await client.api(.get, "/api/v1/changes?after=1&wait=0.1", token: token).status == .ok, "room again once they answered")
        }
    }

    /// The ticket goes on every path: a cancelled poll, and (PostgreSQL) a query that fails
    /// after the ticket was registered, which the old code leaked.
    @Test(arguments: StoreBackend.allCases)
    func ticketsAreReleasedOnCancellationAndOnError(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await store.upsertUser(email: "lp-\(UUID().uuidString)@example.com", name: "LP")
            let poll = Task { try await store.changes(userId: user.id, after: 0, limit: 10, wait: .seconds(50)) }
            try await waitUntil { store.notifier.waiting(userId: user.id) == 1 }
            poll.cancel()
            _ = try? await poll.value
            #expect(store.notifier.waiting(userId: user.id) == 0, "a cancelled long-poll releases its ticket")
            if backend == .postgres {
                // LIMIT -1 is an error in PostgreSQL: the first read fails after registration.
                await #expect(throws: (any Error).self) { _ = try await store.changes(userId: user.id, after: 0, limit: -1, wait: .seconds(50)) }
                #expect(store.notifier.waiting(userId: user.id) == 0, "a failed long-poll releases its ticket")
            }
            for _ in 0..<store.notifier.maxWaitingPerUser + 2 {
                _ = try await store.changes(userId: user.id, after: 0, limit: 10, wait: .milliseconds(10))
            }
            #expect(store.notifier.waiting(userId: user.id) == 0)
        }
    }

    /// Polls `condition` every 20 ms for up to 20 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StoreTestError("the condition never held")
    }
}
