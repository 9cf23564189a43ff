import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import SyncAPI
import Testing

@testable import SyncServer

/// Browser sign-in end to end through the real OpenID Connect provider on loopback, and every
/// way a sign-in must fail.
@Suite struct SignInTests {
    @Test(arguments: StoreBackend.allCases)
    func signInSessionCSRFAndSignOut(backend: StoreBackend) async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) {
            env,
            client in
            var browser = ServerBrowser()
            #expect(try await browser.send(.get, "/api/v1/session", client: client).status == .unauthorized)
            let start = try await browser.send(.get, "/auth/login?return_to=/device", client: client)
            let startCookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("syncd_signin=") })
            #expect(startCookie.contains("HttpOnly") && startCookie.contains("SameSite=Lax") && startCookie.contains("Path=/auth"))
            let location = try #require(start.location)
            let authorize = try #require(URLComponents(string: location))
            let query = Dictionary(uniqueKeysWithValues: (authorize.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(authorize.path == "/authorize" && query["code_challenge_method"] == "S256" && query["client_id"] == idp.clientId)
            #expect((query["state"]?.count ?? 0) >= 43 && (query["nonce"]?.count ?? 0) >= 43 && (query["code_challenge"]?.count ?? 0) == 43)

            let callbackURL = try await ProviderBrowser.logIn(at: authorize.string!, username: "alice", password: "alice-pw")
            let callbackPath = String(callbackURL.dropFirst(TestIdentityProvider.publicBaseURL.count))
            let back = try await browser.send(.get, callbackPath, client: client)
            #expect(back.status == .seeOther && back.location == "/device", "back where the sign-in started")
            let sessionCookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("syncd_session=") })
            #expect(sessionCookie.contains("HttpOnly") && sessionCookie.contains("SameSite=Lax") && sessionCookie.contains("Path=/"))
            #expect(!sessionCookie.contains("Secure"), "plain http on loopback; Secure behind https")

            let session = try decode(SessionInfo.self, Data(try await browser.send(.get, "/api/v1/session", client: client).body.utf8))
            #expect(session.email == "alice@example.org")
            let csrf = try #require(session.csrfToken)
            #expect(try await env.store.user(id: session.userId)?.email == "alice@example.org")
            #expect(try await browser.send(.get, "/api/v1/files", client: client).status == .ok)

            // State-changing requests of a session need its CSRF token.
            let folder = try JSONEncoder().encode(CreateFolderRequest(path: "Photos"))
            #expect(try await browser.send(.post, "/api/v1/folders", client: client, json: folder).status == .forbidden)
            #expect(
                try await browser.send(
                    .post,
                    "/api/v1/folders",
                    client: client,
                    headers: [.csrfToken: (csrf.first == "A" ? "B" : "A") + csrf.dropFirst()],
                    json: folder
                ).status == .forbidden
            )
            #expect(try await browser.send(.post, "/api/v1/folders", client: client, headers: [.csrfToken: csrf], json: folder).status == .created)

            // The same answer from the provider, replayed, signs nobody in (its state is used up).
            var replay = ServerBrowser(cookies: ["syncd_signin": try #require(query["state"])])
            #expect(try await replay.send(.get, callbackPath, client: client).status == .unauthorized)
            #expect(replay.cookies["syncd_session"] == nil)

            // Sign-out is a POST with the CSRF token; afterwards the session is gone on the server.
            let sessionId = try #require(browser.cookies["syncd_session"])
            #expect(try await browser.send(.post, "/auth/logout", client: client, form: "csrf=wrong").status == .forbidden)
            let out = try await browser.send(.post, "/auth/logout", client: client, form: "csrf=" + csrf)
            #expect(out.status == .seeOther && browser.cookies["syncd_session"] == nil)
            var stolen = ServerBrowser(cookies: ["syncd_session": sessionId])
            #expect(try await stolen.send(.get, "/api/v1/session", client: client).status == .unauthorized, "a signed-out session id is dead")
        }
    }

    /// `return_to` as a client sends it (percent-encoded in the query) and the path the
    /// sign-in stores to send the browser back to.
    @Test func returnToFollowsAStrictPathGrammar() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, signInBurst: 40, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) {
            env,
            client in
            func storedReturnPath(_ query: String) async throws -> String {
                var browser = ServerBrowser()
                let start = try await browser.send(.get, "/auth/login?return_to=" + query, client: client)
                #expect(start.status == .found)
                let state = try #require(browser.cookies["syncd_signin"])
                let rows = try await env.store.database.query(
                    "SELECT return_to FROM sign_ins WHERE state_hash = ?",
                    [.text(MetadataStore.tokenHash(state))]
                )
                return try #require(rows.first).text("return_to")
            }
            let refused = [
                "/%09/evil.example", "%2F%09%2Fevil.example", "/%0D%0A/evil.example", "/%5Cevil.example", "%2F%5C%2Fevil.example",
                "%2F%252F%2Fevil.example", "%2F%255Cevil.example", "//evil.example", "%2F%2Fevil.example", "https://evil.example",
                "https%3A%2F%2Fevil.example", "/%E2%80%8B/x",
            ]
            for query in refused {
                let path = try await storedReturnPath(query)
                #expect(path == "/", "return_to=\(query)")
            }
            let folder = try await storedReturnPath("%2F%3Ffolder%3Da%2520b")
            #expect(folder == "/?folder=a%20b")
            let device = try await storedReturnPath("/device")
            #expect(device == "/device")
        }
    }

    /// The path read back from `sign_ins` at the callback is checked again before it becomes
    /// the redirect: a row written by an older server (before the grammar) or by anyone with
    /// write access to the table never sends the browser to another host.
    @Test func aStoredReturnPathIsCheckedAgainAtTheCallback() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            for stored in ["//evil.example", "/\t/evil.example", "https://evil.example/"] {
                var browser = ServerBrowser()
                let start = try await browser.send(.get, "/auth/login?return_to=/device", client: client)
                let state = try #require(browser.cookies["syncd_signin"])
                try await env.store.database.query(
                    "UPDATE sign_ins SET return_to = ? WHERE state_hash = ?",
                    [.text(stored), .text(MetadataStore.tokenHash(state))]
                )
                let callback = try await ProviderBrowser.logIn(at: try #require(start.location), username: "alice", password: "alice-pw")
                let back = try await browser.send(.get, String(callback.dropFirst(TestIdentityProvider.publicBaseURL.count)), client: client)
                #expect(back.status == .seeOther && back.location == "/", "stored \(stored.debugDescription)")
                #expect(browser.cookies["syncd_session"] != nil, "the sign-in itself succeeds")
            }
        }
    }

    /// Accounts are the provider's `(iss, sub)`: an account made by e-mail before (an upgrade,
    /// or `admin create-user`) is linked on its first sign-in; afterwards a changed e-mail at
    /// the provider is the same account, and another subject with the same e-mail is refused.
    @Test(arguments: StoreBackend.allCases)
    func accountsAreKeyedByIssuerAndSubject(backend: StoreBackend) async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) {
            env,
            client in
            let existing = try await env.store.upsertUser(email: "alice@example.org", name: "Alice, before the upgrade")
            func signIn() async throws -> (ServerBrowser.Answer, SessionInfo?) {
                var browser = ServerBrowser()
                let answer = try await browser.signIn("alice", "alice-pw", client: client)
                guard browser.cookies["syncd_session"] != nil else { return (answer, nil) }
                return (answer, try decode(SessionInfo.self, Data(try await browser.send(.get, "/api/v1/session", client: client).body.utf8)))
            }
            func link() async throws -> (issuer: String?, subject: String?) {
                let row = try #require(
                    try await env.store.database.query("SELECT oidc_issuer, oidc_subject FROM users WHERE id = ?", [.text(existing.id)]).first
                )
                return (row.optionalText("oidc_issuer"), row.optionalText("oidc_subject"))
            }
            func userCount() async throws -> Int { try await env.store.database.query("SELECT id FROM users", []).count }

            #expect(try await link().subject == nil)
            let (_, first) = try await signIn()
            #expect(first?.userId == existing.id, "the e-mail-only row is linked, not duplicated")
            let linked = try await link()
            #expect(linked.issuer == idp.issuer && linked.subject?.isEmpty == false)

            // The provider's e-mail changed since the last sign-in: same account, new e-mail.
            try await env.store.database.query("UPDATE users SET email = ? WHERE id = ?", [.text("alice-old@example.org"), .text(existing.id)])
            let (_, second) = try await signIn()
            #expect(second?.userId == existing.id && second?.email == "alice@example.org")
            #expect(try await userCount() == 1, "no second account")

            // The account belongs to another subject of the provider: the same e-mail does not take it over.
            try await env.store.database.query("UPDATE users SET oidc_subject = ? WHERE id = ?", [.text("someone-else"), .text(existing.id)])
            let (refused, third) = try await signIn()
            #expect(third == nil && refused.status == .forbidden)
            #expect(refused.body.contains("belongs to another account"), "\(refused.body)")
            #expect(try await link().subject == "someone-else")
            #expect(try await userCount() == 1)
            #expect(try await env.store.database.query("SELECT id_hash FROM sessions WHERE user_id = ?", [.text(existing.id)]).count == 2)
        }
    }

    /// A database from before accounts were keyed by `(iss, sub)`: the upgrade keeps its user
    /// row, devices and files working, and the first sign-in links that row.
    @Test func anAccountFromBeforeTheUpgradeIsLinkedOnItsFirstSignIn() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await SQLiteDatabase.open(path: folder.appendingPathComponent("metadata.sqlite").path)
        let store = MetadataStore(database: database)
        do {
            // The schema as it was: every migration before this slice's.
            try await database.query("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)")
            for migration in MetadataStore.migrations.prefix(while: { $0.name != "auth-provider-identity-device-code-misses" }) {
                for statement in migration.statements { try await database.query(statement) }
                try await database.query("INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)", [.text(migration.name)])
            }
            try await database.query("INSERT INTO users (id, email, name, created_at) VALUES ('old-user', 'alice@example.org', 'Alice', 0)")
            try await database.query(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ('d1', 'old-user', 'laptop', ?, 0)",
                [.text(MetadataStore.tokenHash("sd_old"))]
            )

            try await store.migrate()
            #expect(try await store.authenticate(token: "sd_old")?.user.email == "alice@example.org", "the old device still gets in")
            let identity = SignedInIdentity(
                issuer: "https://idp.example",
                subject: "alice-sub",
                email: "alice@example.org",
                name: "Alice",
                picture: nil
            )
            #expect(try await store.signInUser(identity).id == "old-user")
            var moved = identity
            moved.email = "alice@new.example"
            #expect(try await store.signInUser(moved).id == "old-user", "keyed by subject from now on")
            #expect(try await store.user(id: "old-user")?.email == "alice@new.example")
            var impostor = identity
            impostor.subject = "other-sub"
            impostor.email = "alice@new.example"
            await #expect(throws: SignInError.self) { try await store.signInUser(impostor) }
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }

    /// A real token from the provider that carries an e-mail but no `email_verified`: refused.
    @Test func aTokenWithoutEmailVerifiedIsRefused() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        let token = try await idp.idToken(nonce: "n")  // asks for email only
        let claims = try await idp.provider().verify(idToken: token, nonce: "n", now: Date())
        #expect(claims.email == "alice@example.org" && claims.emailVerified == nil)
        let decision = SignInAllowList(emails: ["alice@example.org"], domains: []).decide(
            ProviderClaims(
                issuer: idp.issuer,
                subject: claims.sub,
                email: claims.email,
                emailVerified: claims.emailVerified,
                hostedDomain: claims.hd
            )
        )
        #expect(SignInPolicyTests.refusal(decision)?.contains("email_verified") == true)
    }

    @Test func aDisallowedAddressIsRefusedAndNothingIsCreated() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            var browser = ServerBrowser()
            let answer = try await browser.signIn("mallory", "mallory-pw", client: client)
            #expect(answer.status == .forbidden)
            #expect(answer.body.contains("mallory@evil.example is not on this server"))
            #expect(browser.cookies["syncd_session"] == nil)
            #expect(try await env.store.database.query("SELECT id FROM users WHERE email = ?", [.text("mallory@evil.example")]).isEmpty)
            #expect(try await env.store.database.query("SELECT id_hash FROM sessions", []).isEmpty)
        }
    }

    @Test func aCallbackFromAnotherBrowserIsRefused() async throws {
        // Login CSRF: an attacker's own code and state, sent to a victim's browser.
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { _, client in
            var attacker = ServerBrowser()
            let start = try await attacker.send(.get, "/auth/login", client: client)
            let callback = try await ProviderBrowser.logIn(at: try #require(start.location), username: "alice", password: "alice-pw")
            var victim = ServerBrowser()
            let answer = try await victim.send(.get, String(callback.dropFirst(TestIdentityProvider.publicBaseURL.count)), client: client)
            #expect(answer.status == .unauthorized && answer.body.contains("not started in this browser"))
            #expect(victim.cookies["syncd_session"] == nil)
        }
    }

    @Test func aCodeRedeemedWithAnotherSignInsVerifierIsRefused() async throws {
        // Sign-in A's state and PKCE verifier with sign-in B's code: the provider refuses the
        // exchange because B's challenge does not match A's verifier.
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { _, client in
            var a = ServerBrowser()
            var b = ServerBrowser()
            let startA = try await a.send(.get, "/auth/login", client: client)
            let startB = try await b.send(.get, "/auth/login", client: client)
            _ = startA
            let callbackB = try await ProviderBrowser.logIn(at: try #require(startB.location), username: "alice", password: "alice-pw")
            let codeB = try #require(URLComponents(string: callbackB)?.queryItems?.first { $0.name == "code" }?.value)
            let stateA = try #require(a.cookies["syncd_signin"])
            let answer = try await a.send(.get, "/auth/callback?code=\(codeB)&state=\(stateA)", client: client)
            #expect(answer.status == .unauthorized)
            #expect(answer.body.contains("refused the code exchange"), "\(answer.body)")
            #expect(a.cookies["syncd_session"] == nil)
        }
    }

    @Test func idTokensAreVerifiedClaimByClaim() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        let provider = idp.provider()
        let token = try await idp.idToken(nonce: "nonce-1")
        let now = Date()
        // The real token passes, and the key set is fetched once for two verifications.
        let claims = try await provider.verify(idToken: token, nonce: "nonce-1", now: now)
        #expect(claims.email == "alice@example.org" && claims.aud.values == [idp.clientId])
        _ = try await provider.verify(idToken: token, nonce: "nonce-1", now: now)
        #expect(await provider.keyFetches == 1)

        func refusal(_ body: () async throws -> Void) async -> String {
            do {
                try await body()
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(await refusal { _ = try await provider.verify(idToken: token, nonce: "nonce-2", now: now) }.contains("nonce does not match"))
        #expect(
            await refusal { _ = try await provider.verify(idToken: token, nonce: "nonce-1", now: now.addingTimeInterval(7_200)) }.contains("expired")
        )
        #expect(
            await refusal { _ = try await idp.provider(clientId: "someone-else").verify(idToken: token, nonce: "nonce-1", now: now) }.contains(
                "audience"
            )
        )
        #expect(
            await refusal {
                try IDTokenCheck(issuer: "https://accounts.google.com", clientId: idp.clientId).check(claims, nonce: "nonce-1", now: now)
            }.contains("issuer")
        )
        // A provider posing under another issuer name is refused at discovery.
        let renamed = idp.issuer.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        #expect(
            await refusal { _ = try await idp.provider(issuer: renamed).verify(idToken: token, nonce: "nonce-1", now: now) }.contains("names issuer")
        )

        let withoutNonce = try await idp.idToken(nonce: nil)
        #expect(await refusal { _ = try await provider.verify(idToken: withoutNonce, nonce: "nonce-1", now: now) }.contains("no nonce"))

        // A changed claim under the provider's signature, and the provider's key id on a token
        // signed with another key: both fail the signature.
        let parts = token.split(separator: ".").map(String.init)
        var payload = try JSONSerialization.jsonObject(with: try #require(Self.base64URLDecode(parts[1]))) as! [String: Any]
        payload["email"] = "admin@example.org"
        let forged = parts[0] + "." + OIDCProvider.base64URL(try JSONSerialization.data(withJSONObject: payload)) + "." + parts[2]
        #expect(await refusal { _ = try await provider.verify(idToken: forged, nonce: "nonce-1", now: now) }.contains("signature is not valid"))
        let kid = try OIDCProvider.header(of: token).kid!
        let otherKey = try Insecure.RSA.PrivateKey(pem: try Self.newRSAKeyPEM())
        let attacker = await JWTKeyCollection().add(rsa: otherKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        let resigned = try await attacker.sign(claims, kid: JWKIdentifier(string: kid))
        #expect(await refusal { _ = try await provider.verify(idToken: resigned, nonce: "nonce-1", now: now) }.contains("signature is not valid"))
        // A key id the provider does not publish: the key set is fetched again (keys rotate),
        // then the token is refused; a flood of such tokens costs one fetch per interval.
        let unknown = try await attacker.add(rsa: otherKey, digestAlgorithm: .sha256, kid: "not-published").sign(claims, kid: "not-published")
        #expect(await refusal { _ = try await provider.verify(idToken: unknown, nonce: "nonce-1", now: now) }.contains("does not publish"))
        #expect(await provider.keyFetches == 1, "fetched under 10 s ago")
        let eager = idp.provider(keyRefreshInterval: .zero)
        _ = try await eager.verify(idToken: token, nonce: "nonce-1", now: now)
        #expect(await refusal { _ = try await eager.verify(idToken: unknown, nonce: "nonce-1", now: now) }.contains("does not publish"))
        _ = try await eager.verify(idToken: token, nonce: "nonce-1", now: now)
        #expect(await eager.keyFetches == 2)
        // No signature at all.
        let unsigned = OIDCProvider.base64URL(Data(#"{"alg":"none","kid":"\#(kid)"}"#.utf8)) + "." + parts[1] + "."
        #expect(await refusal { _ = try await provider.verify(idToken: unsigned, nonce: "nonce-1", now: now) }.contains("not RS256"))
    }

    @Test func signInIsRateLimitedPerAddress() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, signInBurst: 5, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { _, client in
            var statuses: [HTTPResponse.Status] = []
            var browser = ServerBrowser()
            for _ in 0..<6 { statuses.append(try await browser.send(.get, "/auth/login", client: client).status) }
            #expect(statuses.prefix(5).allSatisfy { $0 == .found })
            #expect(statuses.last == .tooManyRequests)
        }
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s)
    }

    /// A fresh RSA key, from openssl (installed everywhere the tests run).
    static func newRSAKeyPEM() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
