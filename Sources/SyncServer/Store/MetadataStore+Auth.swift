public import Foundation
import Crypto
import S3Client

/// A sign-in on its way through the identity provider.
struct PendingSignIn: Sendable, Equatable {
    var verifier: String
    var nonce: String
    var returnTo: String
}

/// A daemon's device code as the approval page shows it.
public struct PendingDeviceCode: Sendable, Equatable {
    public var userCode: String
    public var name: String
    public var expiresAt: Date
}

/// What a daemon polling its device code learns (RFC 8628, section 3.5).
public enum DeviceCodePoll: Sendable, Equatable {
    case pending
    case slowDown
    case expired
    case denied
    case approved(device: Device, token: String)
}

extension MetadataStore {
    /// Sessions last this long from sign-in, as Google's own do for a browser left open.
    static let sessionLifetime: TimeInterval = 14 * 86_400
    /// A sign-in must come back from the identity provider within this.
    static let signInLifetime: TimeInterval = 10 * 60
    /// A device code lives this long (RFC 8628 suggests minutes).
    public static let deviceCodeLifetime: TimeInterval = 15 * 60
    /// Seconds a daemon waits between polls; faster polls get `slow_down`.
    public static let deviceCodeInterval = 2

    // MARK: Sessions

    /// A new session for `userId`; returns its id (256 random bits) for the cookie. The table
    /// holds only an HMAC of the id under the server's session secret.
    func createSession(userId: String, key: SymmetricKey) async throws -> String {
        let id = Self.randomToken(bytes: 32)
        let at = now().timeIntervalSince1970
        try await database.query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [.text(Self.keyedHash(id, key)), .text(userId), .real(at), .real(at + Self.sessionLifetime)])
        return id
    }

    /// The user a live session belongs to.
    func sessionUser(id: String, key: SymmetricKey) async throws -> User? {
        try await database.query(
            """
            SELECT u.id, u.email, u.name, u.picture FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = ? AND s.expires_at > ?
            """,
            [.text(Self.keyedHash(id, key)), .real(now().timeIntervalSince1970)]
        ).first.map(Self.user)
    }

    func deleteSession(id: String, key: SymmetricKey) async throws {
        try await database.query("DELETE FROM sessions WHERE id_hash = ?", [.text(Self.keyedHash(id, key))])
    }

    // MARK: Sign-ins in flight

    func saveSignIn(state: String, _ signIn: PendingSignIn) async throws {
        let at = now().timeIntervalSince1970
        try await database.transaction { db in
            // Sign-ins never finished are forgotten as new ones start.
            try await db.query("DELETE FROM sign_ins WHERE created_at < ?", [.real(at - Self.signInLifetime)])
            try await db.query(
                "INSERT INTO sign_ins (state_hash, verifier, nonce, return_to, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(Self.tokenHash(state)), .text(signIn.verifier), .text(signIn.nonce), .text(signIn.returnTo), .real(at)])
        }
    }

    /// The sign-in started with `state`, removed so that it is used at most once.
    func takeSignIn(state: String) async throws -> PendingSignIn? {
        let rows = try await database.query(
            "DELETE FROM sign_ins WHERE state_hash = ? RETURNING verifier, nonce, return_to, created_at",
            [.text(Self.tokenHash(state))])
        guard let row = rows.first, try row.real("created_at") > now().timeIntervalSince1970 - Self.signInLifetime else { return nil }
        return PendingSignIn(verifier: try row.text("verifier"), nonce: try row.text("nonce"), returnTo: try row.text("return_to"))
    }

    // MARK: Device authorization

    /// A new device code for a daemon called `name`: the secret code it polls with and the
    /// short code a person types (8 consonants, about 34 bits: guessing one within its
    /// lifetime takes far more requests than the rate limit allows).
    public func createDeviceCode(name: String) async throws -> (deviceCode: String, userCode: String, expiresAt: Date) {
        let deviceCode = Self.randomToken(bytes: 32)
        let at = now()
        let expires = at.addingTimeInterval(Self.deviceCodeLifetime)
        try await database.query("DELETE FROM device_codes WHERE expires_at < ?", [.real(at.timeIntervalSince1970)])
        for _ in 0..<5 {
            let userCode = Self.randomUserCode()
            let rows = try await database.query(
                """
                INSERT INTO device_codes (code_hash, user_code, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_code) DO NOTHING RETURNING user_code
                """,
                [.text(Self.tokenHash(deviceCode)), .text(userCode), .text(name), .real(at.timeIntervalSince1970), .real(expires.timeIntervalSince1970)])
            if !rows.isEmpty { return (deviceCode, userCode, expires) }
        }
        throw StoreError.corrupt("could not find a free user code")
    }

    /// The pending code a person typed (any case, with or without the dash).
    public func pendingDeviceCode(userCode: String) async throws -> PendingDeviceCode? {
        guard let code = Self.normalizedUserCode(userCode) else { return nil }
        let rows = try await database.query(
            "SELECT user_code, name, expires_at FROM device_codes WHERE user_code = ? AND expires_at > ? AND approved_by IS NULL AND denied = 0",
            [.text(code), .real(now().timeIntervalSince1970)])
        return try rows.first.map {
            PendingDeviceCode(userCode: try $0.text("user_code"), name: try $0.text("name"), expiresAt: Date(timeIntervalSince1970: try $0.real("expires_at")))
        }
    }

    /// Approves (for `userId`) or denies a pending code; false when there is no such code.
    public func decideDeviceCode(userCode: String, userId: String, approve: Bool) async throws -> Bool {
        guard let code = Self.normalizedUserCode(userCode) else { return false }
        let rows = try await database.query(
            """
            UPDATE device_codes SET approved_by = ?, denied = ?
            WHERE user_code = ? AND expires_at > ? AND approved_by IS NULL AND denied = 0 RETURNING user_code
            """,
            [approve ? .text(userId) : .null, .int(approve ? 0 : 1), .text(code), .real(now().timeIntervalSince1970)])
        return !rows.isEmpty
    }

    /// A daemon's poll. An approved code creates the device and hands out its token exactly
    /// once: the code is gone afterwards.
    public func pollDeviceCode(_ deviceCode: String) async throws -> DeviceCodePoll {
        let hash = Self.tokenHash(deviceCode)
        let at = now().timeIntervalSince1970
        enum Outcome: Sendable { case poll(DeviceCodePoll), approved(userId: String, name: String) }
        let outcome: Outcome = try await database.transaction { db in
            let rows = try await db.query(
                "SELECT name, expires_at, last_poll_at, approved_by, denied FROM device_codes WHERE code_hash = ?", [.text(hash)])
            guard let row = rows.first else { return .poll(.expired) }
            if let approver = row.optionalText("approved_by") {
                try await db.query("DELETE FROM device_codes WHERE code_hash = ?", [.text(hash)])
                return .approved(userId: approver, name: try row.text("name"))
            }
            if try row.int("denied") != 0 {
                try await db.query("DELETE FROM device_codes WHERE code_hash = ?", [.text(hash)])
                return .poll(.denied)
            }
            if try row.real("expires_at") <= at { return .poll(.expired) }
            try await db.query("UPDATE device_codes SET last_poll_at = ? WHERE code_hash = ?", [.real(at), .text(hash)])
            if let last = row.optionalReal("last_poll_at"), at - last < Double(Self.deviceCodeInterval) / 2 { return .poll(.slowDown) }
            return .poll(.pending)
        }
        switch outcome {
        case .poll(let poll):
            return poll
        case .approved(let userId, let name):
            let (device, token) = try await createDevice(userId: userId, name: name)
            return .approved(device: device, token: token)
        }
    }

    // MARK: Helpers

    /// Consonants only, so that no code spells a word; no vowels means no Y either.
    static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")

    static func randomUserCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<8).map { _ in userCodeAlphabet[Int(generator.next(upperBound: UInt64(userCodeAlphabet.count)))] }
        return String(letters[0..<4]) + "-" + String(letters[4...])
    }

    /// "bcdf ghjk", "BCDFGHJK" and "BCDF-GHJK" are the same code; anything else is none.
    static func normalizedUserCode(_ typed: String) -> String? {
        let letters = typed.uppercased().filter { $0.isLetter }
        guard letters.count == 8, letters.allSatisfy({ userCodeAlphabet.contains($0) }) else { return nil }
        return String(letters.prefix(4)) + "-" + String(letters.suffix(4))
    }

    static func keyedHash(_ value: String, _ key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key))
    }
}
