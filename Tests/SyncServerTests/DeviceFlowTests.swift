import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SyncAPI
import Synchronization
import Testing

@testable import SyncServer

/// `syncd login`'s device authorization, with a person signing in and approving through the
/// real OIDC provider; and the authorization matrix with a browser session as the intruder.
@Suite struct DeviceFlowTests {
    @Test(arguments: StoreBackend.allCases)
    func aDaemonGetsATokenOnceSomeoneApproves(backend: StoreBackend) async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) {
            env,
            client in
            let name = "syncd on <b>build-01</b>"
            let codes = try decode(
                DeviceCodeResponse.self,
                try await client.api(.post, "/api/v1/device/code", token: nil, body: DeviceCodeRequest(name: name)).body
            )
            #expect(codes.userCode.count == 11 && codes.interval == 2 && codes.expiresIn == 900)
            #expect(codes.verificationURL == TestIdentityProvider.publicBaseURL + "/device")
            let poll = { try await client.api(.post, "/api/v1/device/token", token: nil, body: DeviceTokenRequest(deviceCode: codes.deviceCode)) }
            #expect(try decode(APIErrorBody.self, try await poll().body).code == "authorization_pending")

            // The person opens the link: sign-in first, then back to the approval page.
            var browser = ServerBrowser()
            let path = "/device?code=" + codes.userCode.lowercased().replacingOccurrences(of: "-", with: "")
            let redirect = try await browser.send(.get, path, client: client)
            #expect(redirect.status == .seeOther && redirect.location?.hasPrefix("/auth/login?return_to=") == true)
            let signedIn = try await browser.signIn("alice", "alice-pw", client: client, returnTo: "%2Fdevice%3Fcode%3D" + codes.userCode)
            #expect(signedIn.location == "/device?code=" + codes.userCode)
            let page = try await browser.send(.get, path, client: client)
            #expect(page.status == .ok && !page.body.contains("build-01"), "the link's page does not say whose code it is")
            let csrf = try #require(Self.hidden("csrf", in: page.body))
            #expect(try await browser.send(.post, "/device", client: client, form: "code=\(codes.userCode)").status == .forbidden)
            let confirm = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(codes.userCode.lowercased())")
            #expect(confirm.status == .ok && confirm.body.contains(codes.userCode))
            #expect(
                confirm.body.contains("syncd on &lt;b&gt;build-01&lt;/b&gt;") && !confirm.body.contains("<b>build-01"),
                "the name is text, not HTML"
            )

            #expect(try await browser.send(.post, "/device", client: client, form: "code=\(codes.userCode)&decision=approve").status == .forbidden)
            let approved = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(codes.userCode)&decision=approve")
            #expect(approved.status == .ok && approved.body.contains("Device approved") && approved.body.contains("alice@example.org"))

            try await Task.sleep(for: .seconds(1.1))
            let granted = try await poll()
            #expect(granted.status == .ok)
            let token = try decode(DeviceTokenResponse.self, granted.body)
            #expect(token.email == "alice@example.org", "the daemon learns which account it joined")
            let devices = try decode([DeviceInfo].self, try await client.api(.get, "/api/v1/devices", token: token.token).body)
            #expect(devices.map(\.name) == [name] && devices.first?.current == true)
            let session = try decode(SessionInfo.self, try await client.api(.get, "/api/v1/session", token: token.token).body)
            #expect(session.email == "alice@example.org" && session.csrfToken == nil)
            #expect(try decode(APIErrorBody.self, try await poll().body).code == "expired_token", "the token is handed out once")
            // Only the token's hash is stored.
            let stored = try await env.store.database.query("SELECT token_hash FROM devices WHERE id = ?", [.text(token.deviceId)])
            #expect(try stored.first?.text("token_hash") == MetadataStore.tokenHash(token.token))

            // A denied code ends the daemon's wait; an unknown code approves nothing.
            let other = try decode(
                DeviceCodeResponse.self,
                try await client.api(.post, "/api/v1/device/code", token: nil, body: DeviceCodeRequest(name: "laptop")).body
            )
            let denied = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(other.userCode)&decision=deny")
            #expect(denied.status == .ok && denied.body.contains("Device denied"))
            let deniedPoll = try await client.api(.post, "/api/v1/device/token", token: nil, body: DeviceTokenRequest(deviceCode: other.deviceCode))
            #expect(try decode(APIErrorBody.self, deniedPoll.body).code == "access_denied")
            #expect(
                try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=BCDFG-HJKLM&decision=approve").status == .notFound
            )
        }
    }

    /// Polling rules with the store's clock in hand: too fast is `slow_down`, the code expires,
    /// the token is handed out once.
    @Test(arguments: StoreBackend.allCases)
    func pollingFollowsRFC8628(backend: StoreBackend) async throws {
        try await backend.withStore { shared in
            let clock = Mutex(Date(timeIntervalSince1970: 2_000_000_000))
            let store = MetadataStore(database: shared.database, notifier: shared.notifier, now: { clock.withLock { $0 } })
            func advance(_ seconds: TimeInterval) { clock.withLock { $0 = $0.addingTimeInterval(seconds) } }
            let user = try await store.upsertUser(email: "poller-\(UUID().uuidString)@example.com", name: "Poller")
            let (code, userCode, expires) = try await store.createDeviceCode(name: "laptop")
            #expect(expires == clock.withLock { $0 }.addingTimeInterval(15 * 60))
            #expect(try await store.pollDeviceCode(code) == .pending)
            advance(0.5)
            #expect(try await store.pollDeviceCode(code) == .slowDown, "polled again within half the interval")
            advance(2)
            #expect(try await store.pollDeviceCode(code) == .pending)
            guard case .pending(let pending) = try await store.lookUpDeviceCode(userCode: userCode.lowercased(), userId: user.id) else {
                Issue.record("the typed code finds the pending one")
                return
            }
            #expect(pending.name == "laptop")
            #expect(try await store.decideDeviceCode(userCode: userCode, userId: user.id, approve: true) == .pending(pending))
            #expect(try await store.decideDeviceCode(userCode: userCode, userId: user.id, approve: false) == .unknown, "decided once")
            advance(2)
            guard case .approved(let device, let token) = try await store.pollDeviceCode(code) else {
                Issue.record("an approved code hands out its token")
                return
            }
            #expect(try await store.authenticate(token: token)?.device.id == device.id)
            #expect(try await store.pollDeviceCode(code) == .expired, "the token is handed out once")

            let (late, lateUser, _) = try await store.createDeviceCode(name: "slow")
            advance(15 * 60 + 1)
            #expect(try await store.pollDeviceCode(late) == .expired)
            #expect(try await store.lookUpDeviceCode(userCode: lateUser, userId: user.id) == .unknown)
            #expect(
                try await store.decideDeviceCode(userCode: lateUser, userId: user.id, approve: true) == .unknown,
                "an expired code cannot be approved"
            )
        }
    }

    @Test func deviceCodesAreRateLimited() async throws {
        try await APIEnvironment.with(.sqlite) { _, client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 {
                statuses.append(try await client.api(.post, "/api/v1/device/code", token: nil, body: DeviceCodeRequest(name: "flood")).status)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .ok } && statuses.last == .tooManyRequests)
        }
    }

    @Test func oversizedBodiesAreRefusedBeforeTheyAreRead() async throws {
        try await APIEnvironment.with(.sqlite) { _, client in
            let huge = ByteBuffer(repeating: UInt8(ascii: "a"), count: 2 << 20)
            let status = try await client.execute(uri: "/api/v1/device/code", method: .post, headers: [.contentType: "application/json"], body: huge)
            { $0.status }
            #expect(status == .contentTooLarge)
            var browser = ServerBrowser(cookies: ["syncd_session": "whatever"])
            let form = String(repeating: "x", count: 20 << 10)
            #expect(try await browser.send(.post, "/auth/logout", client: client, form: "csrf=" + form).status == .contentTooLarge)
        }
    }

    @Test func userCodesAreNormalizedConsonantsOnlyAndOverFortyBits() {
        #expect(MetadataStore.normalizedUserCode("bcdfg hjklm") == "BCDFG-HJKLM")
        #expect(MetadataStore.normalizedUserCode("BCDF-GHJK") == nil, "the old 8-letter codes are too short")
        #expect(MetadataStore.normalizedUserCode("BCDFG-HJKLA") == nil, "no vowels are ever issued")
        let bits = Double(MetadataStore.userCodeLength) * log2(Double(MetadataStore.userCodeAlphabet.count))
        #expect(bits >= 43, "\(bits) bits")
        let codes = (0..<200).map { _ in MetadataStore.randomUserCode() }
        #expect(codes.allSatisfy { MetadataStore.normalizedUserCode($0) == $0 && $0.count == 11 })
        #expect(Set(codes).count == 200)
    }

    /// Until a signed-in person submits a code, nothing says whether a daemon waits for it:
    /// the link's page is the same for a pending and an unknown code.
    @Test func theCodePageSaysNothingAboutPendingCodes() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            let (_, pending, _) = try await env.store.createDeviceCode(name: "secret-laptop")
            let unknown = Self.sibling(of: pending, differingAt: 0)
            var stranger = ServerBrowser()
            let signedOut = [
                try await stranger.send(.get, "/device?code=" + pending, client: client),
                try await stranger.send(.get, "/device?code=" + unknown, client: client),
            ]
            #expect(signedOut.map(\.status) == [.seeOther, .seeOther])
            // The code rides along to the sign-in, percent-encoded twice (its dash as %252D).
            func twice(_ code: String) -> String { code.replacingOccurrences(of: "-", with: "%252D") }
            #expect(
                signedOut[0].location?.replacingOccurrences(of: twice(pending), with: "CODE")
                    == signedOut[1].location?.replacingOccurrences(of: twice(unknown), with: "CODE")
            )

            var browser = ServerBrowser()
            _ = try await browser.signIn("alice", "alice-pw", client: client)
            let pages = [
                try await browser.send(.get, "/device?code=" + pending, client: client),
                try await browser.send(.get, "/device?code=" + unknown, client: client),
            ]
            #expect(pages.map(\.status) == [.ok, .ok])
            #expect(pages[0].body.replacingOccurrences(of: pending, with: "CODE") == pages[1].body.replacingOccurrences(of: unknown, with: "CODE"))
            #expect(!pages[0].body.contains("secret-laptop"))
            // Submitted with the session's CSRF token, the right code shows its device.
            let csrf = try #require(Self.hidden("csrf", in: pages[0].body))
            #expect(try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(pending)").body.contains("secret-laptop"))
        }
    }

    /// Wrong codes that share a pending code's first half burn it after five: even someone who
    /// knew that half gets six tries at the rest. The guesser sees the same answer every time.
    @Test func aPendingCodeIsBurnedAfterFiveNearMisses() async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(.sqlite, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            let (deviceCode, pending, _) = try await env.store.createDeviceCode(name: "victim")
            var browser = ServerBrowser()
            _ = try await browser.signIn("alice", "alice-pw", client: client)
            let csrf = try await browser.csrfToken(client: client)
            var answers: [String] = []
            for position in 6..<11 {
                let guess = Self.sibling(of: pending, differingAt: position)
                let answer = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(guess)&decision=approve")
                #expect(answer.status == .notFound)
                answers.append(answer.body.replacingOccurrences(of: guess, with: "CODE"))
            }
            #expect(Set(answers).count == 1, "every wrong code gets the same page")
            let late = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(pending)&decision=approve")
            #expect(late.status == .notFound, "the code is burned")
            let poll = try await client.api(.post, "/api/v1/device/token", token: nil, body: DeviceTokenRequest(deviceCode: deviceCode))
            #expect(try decode(APIErrorBody.self, poll.body).code == "expired_token", "its daemon hears it and starts again")
            // Six wrong codes so far; at ten a user's budget is spent and even a fresh right code waits.
            let (_, fresh, _) = try await env.store.createDeviceCode(name: "later")
            for position in 0..<4 {
                _ = try await browser.send(
                    .post,
                    "/device",
                    client: client,
                    form: "csrf=\(csrf)&code=\(Self.sibling(of: fresh, differingAt: position))"
                )
            }
            let throttled = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(fresh)")
            #expect(throttled.status == .tooManyRequests && throttled.body.contains("Too many wrong device codes"))
        }
    }

    /// Wrong codes count per user and server-wide over a window; a spent budget refuses even
    /// the right code (or it would cap nothing), and the window's end restores it.
    @Test(arguments: StoreBackend.allCases)
    func wrongCodesAreCappedPerUserAndServerWide(backend: StoreBackend) async throws {
        try await backend.withStore(isolated: true) { shared in
            let clock = Mutex(Date(timeIntervalSince1970: 2_000_000_000))
            let store = MetadataStore(database: shared.database, notifier: shared.notifier, now: { clock.withLock { $0 } })
            let limits = DeviceCodeLimits(missesPerCode: 100, missesPerUser: 3, missesServerWide: 5, window: 600)
            let a = try await store.upsertUser(email: "a@example.com", name: "A")
            let b = try await store.upsertUser(email: "b@example.com", name: "B")
            let (_, code, _) = try await store.createDeviceCode(name: "laptop")
            let wrong = Self.sibling(of: code, differingAt: 0)
            for _ in 0..<3 { #expect(try await store.lookUpDeviceCode(userCode: wrong, userId: a.id, limits: limits) == .unknown) }
            #expect(try await store.lookUpDeviceCode(userCode: code, userId: a.id, limits: limits) == .throttled, "a's budget is spent")
            guard case .pending = try await store.lookUpDeviceCode(userCode: code, userId: b.id, limits: limits) else {
                Issue.record("b still has budget")
                return
            }
            for _ in 0..<2 { #expect(try await store.lookUpDeviceCode(userCode: wrong, userId: b.id, limits: limits) == .unknown) }
            #expect(
                try await store.decideDeviceCode(userCode: code, userId: b.id, approve: true, limits: limits) == .throttled,
                "the server's budget is spent"
            )
            clock.withLock { $0 = $0.addingTimeInterval(601) }
            guard case .pending = try await store.decideDeviceCode(userCode: code, userId: b.id, approve: true, limits: limits) else {
                Issue.record("the window's end restores the budgets")
                return
            }
        }
    }

    /// Ten accounts spending the whole server-wide budget do not lock everyone else out: a
    /// user without a wrong code of their own in the window still approves their device; the
    /// guessers stay throttled. Spent budgets are reported (for the log and the metric).
    @Test(arguments: StoreBackend.allCases)
    func aSpentServerWideBudgetDoesNotThrottleAUserWithoutMisses(backend: StoreBackend) async throws {
        try await backend.withStore(isolated: true) { store in
            let limits = DeviceCodeLimits()
            let (_, code, _) = try await store.createDeviceCode(name: "victim's laptop")
            let wrong = Self.sibling(of: code, differingAt: 0)
            var guessers: [User] = []
            let spent = Mutex<[DeviceCodeBudget]>([])
            for n in 0..<10 {
                let guesser = try await store.upsertUser(email: "guesser-\(n)@example.com", name: "Guesser")
                guessers.append(guesser)
                for _ in 0..<10 {
                    let answer = try await store.lookUpDeviceCode(userCode: wrong, userId: guesser.id, limits: limits) { budget in
                        spent.withLock { $0.append(budget) }
                    }
                    #expect(answer == .unknown)
                }
            }
            #expect(spent.withLock { $0 } == Array(repeating: .user, count: 10) + [.serverWide], "each guesser's budget, then the server's")
            #expect(try await store.lookUpDeviceCode(userCode: code, userId: guessers[0].id, limits: limits) == .throttled)
            let victim = try await store.upsertUser(email: "victim@example.com", name: "Victim")
            guard case .pending(let pending) = try await store.decideDeviceCode(userCode: code, userId: victim.id, approve: true, limits: limits)
            else {
                Issue.record("a user with no wrong codes is not throttled by others' misses")
                return
            }
            #expect(pending.userCode == code)
            // Once the victim types a wrong code too, the spent server-wide budget refuses them.
            let (_, next, _) = try await store.createDeviceCode(name: "victim's desktop")
            #expect(try await store.lookUpDeviceCode(userCode: Self.sibling(of: next, differingAt: 0), userId: victim.id, limits: limits) == .unknown)
            #expect(try await store.lookUpDeviceCode(userCode: next, userId: victim.id, limits: limits) == .throttled)
        }
    }

    /// Wrong codes typed at the same moment (PostgreSQL, several connections) take turns: no
    /// more misses are recorded than the budget allows, whatever the interleaving.
    @Test func concurrentWrongCodesDoNotOvershootTheBudgetOnPostgreSQL() async throws {
        try await StoreBackend.postgres.withStore(isolated: true) { store in
            let limits = DeviceCodeLimits(missesPerCode: 1_000, missesPerUser: 5, missesServerWide: 1_000)
            let guesser = try await store.upsertUser(email: "guesser@example.com", name: "Guesser")
            let (_, code, _) = try await store.createDeviceCode(name: "laptop")
            let wrong = Self.sibling(of: code, differingAt: 0)
            let answers = try await withThrowingTaskGroup(of: DeviceCodeLookup.self) { group in
                for _ in 0..<40 { group.addTask { try await store.lookUpDeviceCode(userCode: wrong, userId: guesser.id, limits: limits) } }
                return try await group.reduce(into: [DeviceCodeLookup]()) { $0.append($1) }
            }
            let recorded = try await store.database.query("SELECT user_id FROM device_code_misses WHERE user_id = ?", [.text(guesser.id)]).count
            #expect(recorded == 5 && answers.filter { $0 == .unknown }.count == 5, "\(recorded) misses recorded")
        }
    }

    /// A code equal to `code` but for the letter at `position` (0...10, the dash at 5).
    static func sibling(of code: String, differingAt position: Int) -> String {
        var letters = Array(code)
        let alphabet = MetadataStore.userCodeAlphabet
        letters[position] = alphabet[(alphabet.firstIndex(of: letters[position])! + 1) % alphabet.count]
        return String(letters)
    }

    static func hidden(_ name: String, in body: String) -> String? {
        body.range(of: "name=\"\(name)\" value=\"").map { String(body[$0.upperBound...].prefix { $0 != "\"" }) }
    }

    /// Every route that names a file, upload, share, version, trash entry or device, called by
    /// another user signed in with a browser: 404 (or an empty list), and nothing changes.
    @Test(arguments: StoreBackend.allCases)
    func aSignedInStrangerLearnsNothing(backend: StoreBackend) async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) {
            env,
            client in
            let (bob, bobToken) = try await env.newUser()
            let v1 = try await env.put(Array("bob v1".utf8), at: "notes.txt", token: bobToken, client: client)
            let v2 = try await env.put(Array("bob v2".utf8), at: "notes.txt", token: bobToken, client: client, baseRevision: v1.revision)
            _ = try await env.put(Array("old".utf8), at: "old.txt", token: bobToken, client: client)
            let old = try #require(try await env.store.files(userId: bob.id).first { $0.path == "old.txt" })
            #expect(
                try await client.api(.post, "/api/v1/trash", token: bobToken, body: TrashRequest(path: "old.txt", revision: old.revision)).status
                    == .noContent
            )
            let trashed = try #require(try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: bobToken).body).first)
            let share = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: bobToken, body: CreateShareRequest(path: "notes.txt")).body
            )
            let content = Array("pending".utf8)
            let plan = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: bobToken,
                    body: BeginUploadRequest(
                        path: "pending.txt",
                        size: Int64(content.count),
                        sha256: identityHex(content),
                        blockSha256: blockSha256(content)
                    )
                ).body
            )
            let uploadId = try #require(plan.uploadId)
            let bobDevice = try #require(try await env.store.devices(userId: bob.id).first)
            let changesBefore = try await env.store.latestSeq(userId: bob.id)

            var alice = ServerBrowser()
            _ = try await alice.signIn("alice", "alice-pw", client: client)
            let csrf = try await alice.csrfToken(client: client)
            func call(
                _ method: HTTPRequest.Method,
                _ uri: String,
                _ body: (some Encodable)? = Optional<String>.none
            ) async throws -> ServerBrowser.Answer {
                try await alice.send(method, uri, client: client, headers: [.csrfToken: csrf], json: try body.map { try JSONEncoder().encode($0) })
            }
            let notFound: [(String, ServerBrowser.Answer)] = [
                ("download", try await call(.get, "/api/v1/download?path=notes.txt")),
                ("versions", try await call(.get, "/api/v1/versions?path=notes.txt")),
                (
                    "restore version",
                    try await call(
                        .post,
                        "/api/v1/versions/restore",
                        RestoreVersionRequest(path: "notes.txt", revision: v1.revision, baseRevision: v2.revision)
                    )
                ),
                ("move", try await call(.post, "/api/v1/move", MoveRequest(from: "notes.txt", to: "mine.txt", revision: v2.revision))),
                ("trash", try await call(.post, "/api/v1/trash", TrashRequest(path: "notes.txt", revision: v2.revision))),
                ("restore trash", try await call(.post, "/api/v1/trash/restore", RestoreTrashRequest(id: trashed.id))),
                ("share", try await call(.post, "/api/v1/shares", CreateShareRequest(path: "notes.txt"))),
                ("revoke share", try await call(.delete, "/api/v1/shares/\(share.id)")),
                ("upload parts", try await call(.post, "/api/v1/uploads/\(uploadId)/parts", PartURLsRequest(partNumbers: [1]))),
                ("complete upload", try await call(.post, "/api/v1/uploads/\(uploadId)/complete", CompleteUploadRequest())),
                ("abort upload", try await call(.delete, "/api/v1/uploads/\(uploadId)")),
                ("revoke device", try await call(.delete, "/api/v1/devices/\(bobDevice.id)")),
            ]
            for (route, answer) in notFound {
                #expect(answer.status == .notFound, "\(route): \(answer.status)")
                #expect(!answer.body.contains("notes.txt") && !answer.body.contains("bob"), "\(route) leaks: \(answer.body)")
            }
            #expect(try decode(FileListing.self, Data(try await call(.get, "/api/v1/files").body.utf8)).files.isEmpty)
            #expect(try decode(ChangesResponse.self, Data(try await call(.get, "/api/v1/changes?after=0").body.utf8)).changes.isEmpty)
            #expect(try decode([TrashedItem].self, Data(try await call(.get, "/api/v1/trash").body.utf8)).isEmpty)
            #expect(try decode([ShareInfo].self, Data(try await call(.get, "/api/v1/shares").body.utf8)).isEmpty)
            #expect(try decode([DeviceInfo].self, Data(try await call(.get, "/api/v1/devices").body.utf8)).isEmpty)

            // Bob's world is as he left it.
            #expect(try await env.store.latestSeq(userId: bob.id) == changesBefore)
            #expect(try await Presigned.send("PUT", try #require(plan.url), headers: plan.headers, body: content).status == 200)
            #expect(try await client.api(.post, "/api/v1/uploads/\(uploadId)/complete", token: bobToken, body: CompleteUploadRequest()).status == .ok)
            #expect(try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: bobToken).body).map(\.revoked) == [false])
            #expect(try await env.store.devices(userId: bob.id).allSatisfy { $0.revokedAt == nil })
        }
    }
}
