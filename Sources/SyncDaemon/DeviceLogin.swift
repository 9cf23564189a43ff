import Foundation
public import SyncAPI

/// `syncd login`: the device-authorization flow against the server. Shows a code and a link,
/// waits while a signed-in person approves it in a browser, and returns the device token and
/// the account it belongs to.
public enum DeviceLogin {
    public static func run(server: String, name: String, show: @Sendable (DeviceCodeResponse) -> Void) async throws -> DeviceTokenResponse {
        let api = ServerAPI(baseURL: server, token: nil)
        let codes: DeviceCodeResponse = try await api.post("/device/code", DeviceCodeRequest(name: name))
        show(codes)
        var interval = max(1, codes.interval)
        let deadline = ContinuousClock.now + .seconds(codes.expiresIn)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(interval))
            do {
                var granted: DeviceTokenResponse = try await api.post("/device/token", DeviceTokenRequest(deviceCode: codes.deviceCode))
                if granted.email == nil {
                    // An older server: ask it with the new token which account this is. The
                    // token is handed out once, so a failure here must not end the login.
                    granted.email = try? await check(server: server, token: granted.token).email
                }
                return granted
            } catch let error as ServerError {
                switch error.code {
                case "authorization_pending": continue
                case "slow_down": interval += 5  // RFC 8628, 3.5
                case "access_denied": throw ControlError("the request was denied in the browser")
                case "expired_token": throw ControlError("the code expired before it was approved; run `syncd login` again")
                default:
                    guard error.isTransient else { throw error }
                }
            }
        }
        throw ControlError("the code expired before it was approved; run `syncd login` again")
    }

    /// What `syncd login` says once connected: which account on which server. A code approved
    /// by someone else (guessed, or typed in after a phishing message) joins *their* account,
    /// and this folder would sync into it: this line is where the person at the terminal notices.
    public static func connectedMessage(email: String, server: String) -> String {
        "Connected to \(server) as \(email)."
    }

    /// Checks a token (an admin-issued one, pasted in): who it belongs to.
    public static func check(server: String, token: String) async throws -> SessionInfo {
        try await ServerAPI(baseURL: server, token: token).get("/session")
    }
}
