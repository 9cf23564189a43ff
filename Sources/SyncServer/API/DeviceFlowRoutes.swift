import Foundation
import Hummingbird
import Logging
import SyncAPI

/// The device-authorization flow (RFC 8628) that `syncd login` uses:
///
/// - `POST /api/v1/device/code` {name}: no credentials; a device code to poll with and a user
///   code for a person to approve.
/// - `GET /device?code=XXXXX-XXXXX`: the code form for a signed-in browser (sign-in first
///   otherwise), the same for every code; `POST /device` with the code and the session's CSRF
///   token shows the device the code belongs to, and with `decision` approves or denies it.
/// - `POST /api/v1/device/token` {deviceCode}: the daemon's poll; once approved, the device's
///   bearer token, exactly once.
struct DeviceFlowRoutes {
    let store: MetadataStore
    let sessions: SessionKeys
    let publicBaseURL: String
    let metrics: ServerMetrics
    let codeBurst: Int
    let codesPerMinute: Double
    /// Budgets for wrong user codes on the approval page.
    var limits = DeviceCodeLimits()
    let logger = Logger(label: "syncd-server.device-flow")

    func register(on router: Router<AppRequestContext>) {
        let codes = router.group("api/v1/device").add(middleware: RateLimitMiddleware(capacity: codeBurst, perMinute: codesPerMinute))
        codes.post("code") { request, context in
            let body = try await request.decode(as: DeviceCodeRequest.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.count <= 200, !name.contains(where: { $0.isNewline }) else {
                throw APIError(.badRequest, code: "invalid_name", "name must be 1-200 characters on one line")
            }
            let (deviceCode, userCode, _) = try await store.createDeviceCode(name: name)
            return try json(
                DeviceCodeResponse(
                    deviceCode: deviceCode,
                    userCode: userCode,
                    verificationURL: publicBaseURL + "/device",
                    verificationURLComplete: publicBaseURL + "/device?code=" + userCode,
                    expiresIn: Int(MetadataStore.deviceCodeLifetime),
                    interval: MetadataStore.deviceCodeInterval
                )
            )
        }
        // Polling every 2 s is 30 a minute; the bucket allows a few daemons behind one address.
        let polls = router.group("api/v1/device").add(middleware: RateLimitMiddleware(capacity: 60, perMinute: 120))
        polls.post("token") { request, context in
            let body = try await request.decode(as: DeviceTokenRequest.self, context: context)
            switch try await store.pollDeviceCode(body.deviceCode) {
            case .pending: throw APIError(.badRequest, code: "authorization_pending", "waiting for someone to approve the code")
            case .slowDown: throw APIError(.badRequest, code: "slow_down", "polling too fast; wait the interval between polls")
            case .expired: throw APIError(.badRequest, code: "expired_token", "the device code has expired or was already used; start again")
            case .denied: throw APIError(.badRequest, code: "access_denied", "the request was denied")
            case .approved(let device, let token):
                // The account, so that `syncd login` can say which one it joined.
                let email = try await store.user(id: device.userId)?.email
                return try json(DeviceTokenResponse(token: token, deviceId: device.id, email: email))
            }
        }

        let page = router.group("device").add(middleware: RateLimitMiddleware(capacity: 20, perMinute: 30))
        // The page a link or a typed code opens looks the same whether or not a daemon waits for
        // that code: the store is asked only once a signed-in person submits the code (with the
        // session's CSRF token), and wrong codes count against `limits`.
        page.get { request, _ in
            let typed = String((request.uri.queryParameters.get("code") ?? "").prefix(64))
            guard let (sessionId, _) = try await signedIn(request) else {
                let back = "/device" + (typed.isEmpty ? "" : "?code=" + (typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                let location = "/auth/login?return_to=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
                return Response(status: .seeOther, headers: [.location: location])
            }
            return codeForm(csrf: sessions.csrfToken(for: sessionId), typed: typed)
        }
        page.post { request, _ in
            guard let (sessionId, user) = try await signedIn(request) else {
                throw APIError(.unauthorized, code: "unauthorized", "sign in first")
            }
            let form = try await SignInRoutes.form(request)
            let csrf = sessions.csrfToken(for: sessionId)
            guard constantTimeEqual(form["csrf"] ?? "", csrf) else {
                throw APIError(.forbidden, code: "csrf", "missing or wrong CSRF token")
            }
            let code = String((form["code"] ?? "").prefix(64))
            guard let decision = form["decision"] else {
                // Step 1: the code as typed; the device it belongs to, for the person to check.
                switch try await store.lookUpDeviceCode(userCode: code, userId: user.id, limits: limits, budgetSpent: { budgetSpent($0, by: user) }) {
                case .pending(let pending): return confirmationPage(csrf: csrf, pending: pending)
                case .unknown: return codeForm(csrf: csrf, typed: code, unknown: true)
                case .throttled: return throttledPage()
                }
            }
            // Step 2: approve or deny.
            let approve = decision == "approve"
            switch try await store.decideDeviceCode(
                userCode: code,
                userId: user.id,
                approve: approve,
                limits: limits,
                budgetSpent: { budgetSpent($0, by: user) }
            ) {
            case .unknown: return codeForm(csrf: csrf, typed: code, unknown: true)
            case .throttled: return throttledPage()
            case .pending(let pending):
                metrics.deviceAuthorizations(outcome: approve ? "approved" : "denied")
                let name = HTMLPage.escape(pending.name)
                return HTMLPage.response(
                    title: approve ? "Device approved" : "Device denied",
                    body: approve
                        ? "<p><strong>\(name)</strong> may now sync the files of <strong>\(HTMLPage.escape(user.email))</strong>. It will finish signing in by itself; you can close this page.</p><p><a href=\"/\">Your files</a></p>"
                        : "<p><strong>\(name)</strong> was refused and gets no access.</p>"
                )
            }
        }
    }

    /// A budget of wrong codes was just used up: someone may be guessing codes. Spent by one
    /// user, that user waits out the window; server-wide, everyone who has typed a wrong code
    /// in it does.
    private func budgetSpent(_ budget: DeviceCodeBudget, by user: User) {
        metrics.deviceCodeBudgetSpent(budget)
        logger.warning(
            "device-code budget spent: wrong codes are refused for the next \(Int(limits.window / 60)) minutes",
            metadata: ["budget": "\(budget.rawValue)", "user": "\(user.id)"]
        )
    }

    /// The session id and user of a signed-in browser.
    private func signedIn(_ request: Request) async throws -> (String, User)? {
        guard let sessionId = request.cookies[SessionKeys.cookieName]?.value,
            let user = try await store.sessionUser(id: sessionId, key: sessions.key)
        else { return nil }
        return (sessionId, user)
    }

    /// The code form: the same page for any code, pending or not, until it is submitted.
    private func codeForm(csrf: String, typed: String, unknown: Bool = false) -> Response {
        let note =
            unknown
            ? "<p class=\"muted\">No device is waiting for code <strong>\(HTMLPage.escape(typed))</strong>: it may be mistyped or have expired. Check the code <code>syncd login</code> shows, or run it again.</p>"
            : ""
        return HTMLPage.response(
            title: "Connect a device",
            body: """
                \(note)<form method="post" action="/device"><input type="hidden" name="csrf" value="\(HTMLPage.escape(csrf))">
                <p><label>Code shown by <code>syncd login</code>:<br>
                <input name="code" autocomplete="off" autofocus placeholder="BCDFG-HJKLM" value="\(HTMLPage.escape(typed))"></label></p><button>Continue</button></form>
                """,
            status: unknown ? .notFound : .ok
        )
    }

    /// The device a submitted code belongs to, with approve and deny.
    private func confirmationPage(csrf: String, pending: PendingDeviceCode) -> Response {
        HTMLPage.response(
            title: "Connect a device",
            body: """
                <p><strong>\(HTMLPage.escape(pending.name))</strong> asks to sync your files.</p>
                <p class="code">\(HTMLPage.escape(pending.userCode))</p>
                <p class="muted">Approve only if this is the code your device shows.</p>
                <form method="post" action="/device"><input type="hidden" name="csrf" value="\(HTMLPage.escape(csrf))"><input type="hidden" name="code" value="\(HTMLPage.escape(pending.userCode))">
                <button name="decision" value="approve">Approve</button> <button class="secondary" name="decision" value="deny">Deny</button></form>
                """
        )
    }

    private func throttledPage() -> Response {
        HTMLPage.response(
            title: "Too many wrong codes",
            body: "<p>Too many wrong device codes were entered lately, by you or on this server. Wait a few minutes, then enter the code again.</p>",
            status: .tooManyRequests
        )
    }
}
