import Foundation
import Hummingbird
import SyncAPI

/// The device-authorization flow (RFC 8628) that `syncd login` uses:
///
/// - `POST /api/v1/device/code` {name}: no credentials; a device code to poll with and a user
///   code for a person to approve.
/// - `GET /device?code=XXXX-XXXX`: the approval page for a signed-in browser (sign-in first
///   otherwise); `POST /device` with the code, the session's CSRF token and approve or deny.
/// - `POST /api/v1/device/token` {deviceCode}: the daemon's poll; once approved, the device's
///   bearer token, exactly once.
struct DeviceFlowRoutes {
    let store: MetadataStore
    let sessions: SessionKeys
    let publicBaseURL: String
    let metrics: ServerMetrics
    let codeBurst: Int
    let codesPerMinute: Double

    func register(on router: Router<AppRequestContext>) {
        let codes = router.group("api/v1/device").add(middleware: RateLimitMiddleware(capacity: codeBurst, perMinute: codesPerMinute))
        codes.post("code") { request, context in
            let body = try await request.decode(as: DeviceCodeRequest.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.count <= 200, !name.contains(where: { $0.isNewline }) else {
                throw APIError(.badRequest, code: "invalid_name", "name must be 1-200 characters on one line")
            }
            let (deviceCode, userCode, _) = try await store.createDeviceCode(name: name)
            return try json(DeviceCodeResponse(
                deviceCode: deviceCode, userCode: userCode, verificationURL: publicBaseURL + "/device",
                verificationURLComplete: publicBaseURL + "/device?code=" + userCode,
                expiresIn: Int(MetadataStore.deviceCodeLifetime), interval: MetadataStore.deviceCodeInterval))
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
            case .approved(let device, let token): return try json(DeviceTokenResponse(token: token, deviceId: device.id))
            }
        }

        let page = router.group("device").add(middleware: RateLimitMiddleware(capacity: 20, perMinute: 30))
        page.get { request, _ in
            let typed = request.uri.queryParameters.get("code") ?? ""
            guard let (sessionId, _) = try await signedIn(request) else {
                let back = "/device" + (typed.isEmpty ? "" : "?code=" + (typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                let location = "/auth/login?return_to=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
                return Response(status: .seeOther, headers: [.location: location])
            }
            let pending = typed.isEmpty ? nil : try await store.pendingDeviceCode(userCode: typed)
            return approvalPage(csrf: sessions.csrfToken(for: sessionId), typed: typed, pending: pending)
        }
        page.post { request, _ in
            guard let (sessionId, user) = try await signedIn(request) else {
                throw APIError(.unauthorized, code: "unauthorized", "sign in first")
            }
            let form = try await SignInRoutes.form(request)
            guard constantTimeEqual(form["csrf"] ?? "", sessions.csrfToken(for: sessionId)) else {
                throw APIError(.forbidden, code: "csrf", "missing or wrong CSRF token")
            }
            let code = form["code"] ?? ""
            let approve = form["decision"] == "approve"
            let pending = try await store.pendingDeviceCode(userCode: code)
            guard let pending, try await store.decideDeviceCode(userCode: code, userId: user.id, approve: approve) else {
                return approvalPage(csrf: sessions.csrfToken(for: sessionId), typed: code, pending: nil, status: .notFound)
            }
            metrics.deviceAuthorizations(outcome: approve ? "approved" : "denied")
            let name = HTMLPage.escape(pending.name)
            return HTMLPage.response(
                title: approve ? "Device approved" : "Device denied",
                body: approve
                    ? "<p><strong>\(name)</strong> may now sync your files. It will finish signing in by itself; you can close this page.</p><p><a href=\"/\">Your files</a></p>"
                    : "<p><strong>\(name)</strong> was refused and gets no access.</p>")
        }
    }

    /// The session id and user of a signed-in browser.
    private func signedIn(_ request: Request) async throws -> (String, User)? {
        guard let sessionId = request.cookies[SessionKeys.cookieName]?.value,
            let user = try await store.sessionUser(id: sessionId, key: sessions.key)
        else { return nil }
        return (sessionId, user)
    }

    private func approvalPage(csrf: String, typed: String, pending: PendingDeviceCode?, status: HTTPResponse.Status = .ok) -> Response {
        let csrfField = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTMLPage.escape(csrf))\">"
        guard let pending else {
            let note = typed.isEmpty ? "" : "<p class=\"muted\">No device is waiting for code <strong>\(HTMLPage.escape(typed))</strong>: it may have expired. Run <code>syncd login</code> again.</p>"
            return HTMLPage.response(
                title: "Connect a device",
                body: """
                    \(note)<form method="get" action="/device"><p><label>Code shown by <code>syncd login</code>:<br>
                    <input name="code" autocomplete="off" autofocus placeholder="BCDF-GHJK"></label></p><button>Continue</button></form>
                    """,
                status: status)
        }
        return HTMLPage.response(
            title: "Connect a device",
            body: """
                <p><strong>\(HTMLPage.escape(pending.name))</strong> asks to sync your files.</p>
                <p class="code">\(HTMLPage.escape(pending.userCode))</p>
                <p class="muted">Approve only if this is the code your device shows.</p>
                <form method="post" action="/device">\(csrfField)<input type="hidden" name="code" value="\(HTMLPage.escape(pending.userCode))">
                <button name="decision" value="approve">Approve</button> <button class="secondary" name="decision" value="deny">Deny</button></form>
                """)
    }
}
