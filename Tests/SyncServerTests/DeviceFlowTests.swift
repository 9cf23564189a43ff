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
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            let name = "syncd on <b>build-01</b>"
            let codes = try decode(DeviceCodeResponse.self, try await client.api(.post, "/api/v1/device/code", token: nil, body: DeviceCodeRequest(name: name)).body)
            #expect(codes.userCode.count == 9 && codes.interval == 2 && codes.expiresIn == 900)
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
            #expect(page.status == .ok && page.body.contains(codes.userCode))
            #expect(page.body.contains("syncd on &lt;b&gt;build-01&lt;/b&gt;") && !page.body.contains("<b>build-01"), "the name is text, not HTML")
            let csrf = try #require(page.body.range(of: #"name="csrf" value=""#).map { String(page.body[$0.upperBound...].prefix { $0 != "\"" }) })

            #expect(try await browser.send(.post, "/device", client: client, form: "code=\(codes.userCode)&decision=approve").status == .forbidden)
            let approved = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(codes.userCode)&decision=approve")
            #expect(approved.status == .ok && approved.body.contains("Device approved"))

            try await Task.sleep(for: .seconds(1.1))
            let granted = try await poll()
            #expect(granted.status == .ok)
            let token = try decode(DeviceTokenResponse.self, granted.body)
            let devices = try decode([DeviceInfo].self, try await client.api(.get, "/api/v1/devices", token: token.token).body)
            #expect(devices.map(\.name) == [name] && devices.first?.current == true)
            let session = try decode(SessionInfo.self, try await client.api(.get, "/api/v1/session", token: token.token).body)
            #expect(session.email == "alice@example.org" && session.csrfToken == nil)
            #expect(try decode(APIErrorBody.self, try await poll().body).code == "expired_token", "the token is handed out once")
            // Only the token's hash is stored.
            let stored = try await env.store.database.query("SELECT token_hash FROM devices WHERE id = ?", [.text(token.deviceId)])
            #expect(try stored.first?.text("token_hash") == MetadataStore.tokenHash(token.token))

            // A denied code ends the daemon's wait; an unknown code approves nothing.
            let other = try decode(DeviceCodeResponse.self, try await client.api(.post, "/api/v1/device/code", token: nil, body: DeviceCodeRequest(name: "laptop")).body)
            let denied = try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=\(other.userCode)&decision=deny")
            #expect(denied.status == .ok && denied.body.contains("Device denied"))
            let deniedPoll = try await client.api(.post, "/api/v1/device/token", token: nil, body: DeviceTokenRequest(deviceCode: other.deviceCode))
            #expect(try decode(APIErrorBody.self, deniedPoll.body).code == "access_denied")
            #expect(try await browser.send(.post, "/device", client: client, form: "csrf=\(csrf)&code=BCDF-GHJK&decision=approve").status == .notFound)
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
            #expect(try await store.pendingDeviceCode(userCode: userCode.lowercased())?.name == "laptop")
            #expect(try await store.decideDeviceCode(userCode: userCode, userId: user.id, approve: true))
            #expect(try await store.decideDeviceCode(userCode: userCode, userId: user.id, approve: false) == false, "decided once")
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
            #expect(try await store.pendingDeviceCode(userCode: lateUser) == nil)
            #expect(try await store.decideDeviceCode(userCode: lateUser, userId: user.id, approve: true) == false, "an expired code cannot be approved")
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
            let status = try await client.execute(uri: "/api/v1/device/code", method: .post, headers: [.contentType: "application/json"], body: huge) { $0.status }
            #expect(status == .contentTooLarge)
            var browser = ServerBrowser(cookies: ["syncd_session": "whatever"])
            let form = String(repeating: "x", count: 20 << 10)
            #expect(try await browser.send(.post, "/auth/logout", client: client, form: "csrf=" + form).status == .contentTooLarge)
        }
    }

    @Test func userCodesAreNormalizedAndConsonantsOnly() {
        #expect(MetadataStore.normalizedUserCode("bcdf ghjk") == "BCDF-GHJK")
        #expect(MetadataStore.normalizedUserCode("BCDF-GHJ") == nil)
        #expect(MetadataStore.normalizedUserCode("BCDF-GHJA") == nil, "no vowels are ever issued")
        let codes = (0..<200).map { _ in MetadataStore.randomUserCode() }
        #expect(codes.allSatisfy { MetadataStore.normalizedUserCode($0) == $0 })
        #expect(Set(codes).count > 195)
    }

    /// Every route that names a file, upload, share, version, trash entry or device, called by
    /// another user signed in with a browser: 404 (or an empty list), and nothing changes.
    @Test(arguments: StoreBackend.allCases)
    func aSignedInStrangerLearnsNothing(backend: StoreBackend) async throws {
        let idp = try TestIdentityProvider.fromEnvironment()
        try await APIEnvironment.with(backend, isolated: true, oidc: idp.provider(), publicBaseURL: TestIdentityProvider.publicBaseURL) { env, client in
            let (bob, bobToken) = try await env.newUser()
            let v1 = try await env.put(Array("bob v1".utf8), at: "notes.txt", token: bobToken, client: client)
            let v2 = try await env.put(Array("bob v2".utf8), at: "notes.txt", token: bobToken, client: client, baseRevision: v1.revision)
            _ = try await env.put(Array("old".utf8), at: "old.txt", token: bobToken, client: client)
            let old = try #require(try await env.store.files(userId: bob.id).first { $0.path == "old.txt" })
            #expect(try await client.api(.post, "/api/v1/trash", token: bobToken, body: TrashRequest(path: "old.txt", revision: old.revision)).status == .noContent)
            let trashed = try #require(try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: bobToken).body).first)
            let share = try decode(ShareInfo.self, try await client.api(.post, "/api/v1/shares", token: bobToken, body: CreateShareRequest(path: "notes.txt")).body)
            let content = Array("pending".utf8)
            let plan = try decode(BeginUploadResponse.self, try await client.api(
                .post, "/api/v1/uploads", token: bobToken, body: BeginUploadRequest(path: "pending.txt", size: Int64(content.count), sha256: sha256Hex(content))).body)
            let uploadId = try #require(plan.uploadId)
            let bobDevice = try #require(try await env.store.devices(userId: bob.id).first)
            let changesBefore = try await env.store.latestSeq(userId: bob.id)

            var alice = ServerBrowser()
            _ = try await alice.signIn("alice", "alice-pw", client: client)
            let csrf = try await alice.csrfToken(client: client)
            func call(_ method: HTTPRequest.Method, _ uri: String, _ body: (some Encodable)? = Optional<String>.none) async throws -> ServerBrowser.Answer {
                try await alice.send(method, uri, client: client, headers: [.csrfToken: csrf], json: try body.map { try JSONEncoder().encode($0) })
            }
            let notFound: [(String, ServerBrowser.Answer)] = [
                ("download", try await call(.get, "/api/v1/download?path=notes.txt")),
                ("versions", try await call(.get, "/api/v1/versions?path=notes.txt")),
                ("restore version", try await call(.post, "/api/v1/versions/restore", RestoreVersionRequest(path: "notes.txt", revision: v1.revision, baseRevision: v2.revision))),
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
