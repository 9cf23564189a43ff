import Foundation
import Testing

@testable import SyncServer

/// How a provider identity finds its account in the store: two sign-ins at the same moment
/// (PostgreSQL, READ COMMITTED, several replicas), and the administrator's unlink.
@Suite struct SignInLinkingTests {
    /// What one sign-in ended as: the account, or a refusal the sign-in page can show. Any
    /// other error (a 500) fails the test; a trap would kill the test process.
    enum Outcome: Sendable, Equatable {
        case user(String)
        case refused
    }

    static func outcome(_ store: MetadataStore, _ identity: SignedInIdentity) async throws -> Outcome {
        do {
            return .user(try await store.signInUser(identity).id)
        } catch is SignInError {
            return .refused
        } catch {
            // PostgresNIO hides the server's message from `description`.
            throw StoreTestError("sign-in of \(identity.email) failed with \(String(reflecting: error))")
        }
    }

    static func identity(_ email: String, subject: String = "sub-\(UUID().uuidString)") -> SignedInIdentity {
        SignedInIdentity(issuer: "https://idp.example", subject: subject, email: email, name: "Alice", picture: nil)
    }

    /// Two first sign-ins at once, 20 rounds each of: the same identity onto an e-mail-only
    /// account (both get it), two identities with the same address onto it (one gets it, the
    /// other is refused), and the same brand-new identity twice (one account, both get it).
    @Test func concurrentFirstSignInsOnPostgreSQLEndInTheAccountOrARefusal() async throws {
        try await StoreBackend.postgres.withStore { store in
            for round in 0..<20 {
                let email = "race-\(round)-\(UUID().uuidString.lowercased())@example.org"
                let existing = try await store.upsertUser(email: email, name: "Before the upgrade")
                let alice = Self.identity(email)
                async let first = Self.outcome(store, alice)
                async let second = Self.outcome(store, alice)
                let same = try await [first, second]
                #expect(same == [.user(existing.id), .user(existing.id)], "round \(round): the same person twice")

                let contested = "contested-\(round)-\(UUID().uuidString.lowercased())@example.org"
                let account = try await store.upsertUser(email: contested, name: "Before the upgrade")
                async let one = Self.outcome(store, Self.identity(contested))
                async let other = Self.outcome(store, Self.identity(contested))
                let both = try await [one, other]
                #expect(both.filter { $0 == .user(account.id) }.count == 1 && both.contains(.refused), "round \(round): \(both)")

                let fresh = Self.identity("new-\(round)-\(UUID().uuidString.lowercased())@example.org")
                async let a = Self.outcome(store, fresh)
                async let b = Self.outcome(store, fresh)
                let created = try await [a, b]
                let rows = try await store.database.query("SELECT id FROM users WHERE email = ?", [.text(fresh.email)])
                #expect(rows.count == 1, "round \(round): one account")
                let id = try #require(rows.first).text("id")
                #expect(created == [.user(id), .user(id)], "round \(round): \(created)")
            }
        }
    }

    /// `admin unlink-user`: the account keeps its id, devices and files; the next verified
    /// sign-in with its address links it again, even as another subject (a new issuer).
    @Test(arguments: StoreBackend.allCases)
    func anUnlinkedAccountIsLinkedAgainByItsAddress(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let email = "moved-\(UUID().uuidString.lowercased())@example.org"
            let before = Self.identity(email)
            let user = try await store.signInUser(before)
            var after = Self.identity(email)
            after.issuer = "https://new-idp.example"
            #expect(try await Self.outcome(store, after) == .refused, "linked to the old subject")

            #expect(try await store.unlinkUser(email: email.uppercased())?.id == user.id)
            let row = try #require(try await store.database.query("SELECT oidc_issuer, oidc_subject FROM users WHERE id = ?", [.text(user.id)]).first)
            #expect(row.optionalText("oidc_issuer") == nil && row.optionalText("oidc_subject") == nil)
            #expect(try await Self.outcome(store, after) == .user(user.id), "linked again, to the new subject")
            #expect(try await Self.outcome(store, before) == .refused, "and no longer to the old one")
            #expect(try await store.unlinkUser(email: "nobody-\(UUID().uuidString)@example.org") == nil)
        }
    }
}
