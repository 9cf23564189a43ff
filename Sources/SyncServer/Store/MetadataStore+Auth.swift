import Crypto
public import Foundation
import PostgresNIO
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

/// What a typed user code finds on the approval page.
public enum DeviceCodeLookup: Sendable, Equatable {
    /// A code waiting for a decision (or, from `decideDeviceCode`, the code just decided).
    case pending(PendingDeviceCode)
    /// No such pending code: mistyped, expired, decided, burned, or never issued.
    case unknown
    /// Too many wrong codes lately: by this user, or on the whole server while this user has
    /// typed a wrong one too. Try again later.
    case throttled
}

/// A budget of wrong user codes that has just been spent (for the log and the metric).
public enum DeviceCodeBudget: String, Sendable, Equatable {
    /// One user's `missesPerUser`.
    case user
    /// The server's `missesServerWide`.
    case serverWide = "server"
}

/// How many wrong user codes the approval page takes before it stops looking codes up.
///
/// With 20^10 codes, the server-wide budget bounds a guesser to `missesServerWide` tries per
/// `window`, plus one per further account that has not missed yet: about 100 / 2^43 ≈ 1e-11
/// per pending code per window for a guesser with a few accounts. A spent server-wide budget
/// refuses only users with a wrong code of their own in the window, so that a few accounts
/// spending it cannot stop everyone else from approving their devices. And a pending code is
/// burned after `missesPerCode` wrong codes sharing its first half, so even a guesser who
/// somehow knew that half gets at most 5 + 1 tries at the other half's 20^5 (one in 530,000).
public struct DeviceCodeLimits: Sendable, Equatable {
    public var missesPerCode = 5
    public var missesPerUser = 10
    public var missesServerWide = 100
    /// The window the per-user and server-wide budgets count over (a code's lifetime).
    public var window: TimeInterval = 15 * 60

    public init(missesPerCode: Int = 5, missesPerUser: Int = 10, missesServerWide: Int = 100, window: TimeInterval = 15 * 60) {
        self.missesPerCode = missesPerCode
        self.missesPerUser = missesPerUser
        self.missesServerWide = missesServerWide
        self.window = window
    }
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

    // MARK: Accounts of the identity provider

    /// The account a provider identity signs in to, created on first sign-in.
    ///
    /// The provider's `(issuer, subject)` is the key; the e-mail is an attribute:
    /// - a known `(issuer, subject)` is that account, whatever its e-mail is now; the stored
    ///   e-mail follows the provider's, unless another account holds the new address (then the
    ///   old one stays, and no account is merged or created);
    /// - an account with this e-mail and no provider identity yet (made before accounts were
    ///   keyed so, by `syncd-server admin create-user`, or unlinked by `admin unlink-user`) is
    ///   linked to it on this first sign-in:
    ///   the allow-list has just checked that the provider vouches for that verified address;
    /// - an account with this e-mail that is linked to another subject is not taken over: the
    ///   sign-in is refused.
    ///
    /// Two sign-ins at the same moment (PostgreSQL runs them side by side, in READ COMMITTED)
    /// can find the same account unlinked, or the same identity new: the one that loses the
    /// race sees its UPDATE match nothing or its INSERT hit a unique index, and starts over in
    /// a new transaction, where it finds what the winner committed (the same person then
    /// simply signs in; another subject with that address is refused as above).
    func signInUser(_ identity: SignedInIdentity) async throws -> User {
        for _ in 0..<3 {
            do {
                if let user = try await signInOnce(identity) { return user }
            } catch let error where Self.isUniqueViolation(error) {
                continue
            }
        }
        throw SignInError("another sign-in changed this account at the same moment; sign in again")
    }

    /// One try of `signInUser`; nil when a concurrent sign-in changed the row in between.
    private func signInOnce(_ identity: SignedInIdentity) async throws -> User? {
        let email = identity.email.lowercased()
        let picture = identity.picture.map(SQLValue.text) ?? .null
        let at = now().timeIntervalSince1970
        return try await database.transaction { db in
            if let row = try await db.query(
                "SELECT id, email FROM users WHERE oidc_issuer = ? AND oidc_subject = ?",
                [.text(identity.issuer), .text(identity.subject)]
            ).first {
                let id = try row.text("id")
                var kept = try row.text("email")
                if kept != email, try await db.query("SELECT id FROM users WHERE email = ? AND id <> ?", [.text(email), .text(id)]).isEmpty {
                    kept = email
                }
                let rows = try await db.query(
                    "UPDATE users SET email = ?, name = ?, picture = ? WHERE id = ? AND oidc_issuer = ? AND oidc_subject = ? RETURNING id, email, name, picture",
                    [.text(kept), .text(identity.name), picture, .text(id), .text(identity.issuer), .text(identity.subject)]
                )
                return try rows.first.map(Self.user)
            }
            if let row = try await db.query("SELECT id, oidc_issuer, oidc_subject FROM users WHERE email = ?", [.text(email)]).first {
                // Linked to this very identity since the first SELECT: a concurrent sign-in of
                // the same person committed in between (READ COMMITTED); start over.
                if row.optionalText("oidc_issuer") == identity.issuer, row.optionalText("oidc_subject") == identity.subject { return nil }
                guard row.optionalText("oidc_subject") == nil else {
                    throw SignInError(
                        .notAllowed,
                        "the address \(email) belongs to another account on this server, which signs in as a different person at the provider; ask the server's administrator"
                    )
                }
                let rows = try await db.query(
                    """
                    UPDATE users SET oidc_issuer = ?, oidc_subject = ?, name = ?, picture = ?
                    WHERE id = ? AND oidc_subject IS NULL RETURNING id, email, name, picture
                    """,
                    [.text(identity.issuer), .text(identity.subject), .text(identity.name), picture, .text(try row.text("id"))]
                )
                return try rows.first.map(Self.user)
            }
            let rows = try await db.query(
                """
                INSERT INTO users (id, email, name, picture, created_at, oidc_issuer, oidc_subject) VALUES (?, ?, ?, ?, ?, ?, ?)
                RETURNING id, email, name, picture
                """,
                [
                    .text(UUID().uuidString.lowercased()), .text(email), .text(identity.name), picture, .real(at), .text(identity.issuer),
                    .text(identity.subject),
                ]
            )
            return try rows.first.map(Self.user)
        }
    }

    /// A statement refused by a unique index (PostgreSQL's SQLSTATE 23505): here, a concurrent
    /// sign-in committed the same e-mail or identity first. (SQLite's transactions take turns,
    /// so there the checks before each write already see everything.)
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Forgets which provider identity the account with `email` signs in as
    /// (`syncd-server admin unlink-user`): its id, devices, files and sessions stay, and the next
    /// verified sign-in with that address links it again, as on first sign-in. For a person who
    /// moved to another identity provider, or whose provider account was recreated. Nil when
    /// no account has that address.
    public func unlinkUser(email: String) async throws -> User? {
        try await database.query(
            "UPDATE users SET oidc_issuer = NULL, oidc_subject = NULL WHERE email = ? RETURNING id, email, name, picture",
            [.text(email.lowercased())]
        ).first.map(Self.user)
    }

    // MARK: Sessions

    /// A new session for `userId`; returns its id (256 random bits) for the cookie. The table
    /// holds only an HMAC of the id under the server's session secret.
    func createSession(userId: String, key: SymmetricKey) async throws -> String {
        let id = Self.randomToken(bytes: 32)
        let at = now().timeIntervalSince1970
        try await database.query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [.text(Self.keyedHash(id, key)), .text(userId), .real(at), .real(at + Self.sessionLifetime)]
        )
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
                [.text(Self.tokenHash(state)), .text(signIn.verifier), .text(signIn.nonce), .text(signIn.returnTo), .real(at)]
            )
        }
    }

    /// The sign-in started with `state`, removed so that it is used at most once.
    func takeSignIn(state: String) async throws -> PendingSignIn? {
        let rows = try await database.query(
            "DELETE FROM sign_ins WHERE state_hash = ? RETURNING verifier, nonce, return_to, created_at",
            [.text(Self.tokenHash(state))]
        )
        guard let row = rows.first, try row.real("created_at") > now().timeIntervalSince1970 - Self.signInLifetime else { return nil }
        return PendingSignIn(verifier: try row.text("verifier"), nonce: try row.text("nonce"), returnTo: try row.text("return_to"))
    }

    // MARK: Device authorization

    /// A new device code for a daemon called `name`: the secret code it polls with and the
    /// short code a person types: 10 consonants, 20^10 ≈ 2^43.2 codes. Guessing is bounded by
    /// `DeviceCodeLimits` besides the per-address rate limit.
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
                [
                    .text(Self.tokenHash(deviceCode)), .text(userCode), .text(name), .real(at.timeIntervalSince1970),
                    .real(expires.timeIntervalSince1970),
                ]
            )
            if !rows.isEmpty { return (deviceCode, userCode, expires) }
        }
        throw StoreError.corrupt("could not find a free user code")
    }

    /// The pending code a person typed (any case, with or without the dash), for `userId`'s
    /// confirmation page. A wrong code counts against the budgets of `limits`; once a budget is
    /// spent the answer is `.throttled` whatever the code. `budgetSpent` hears, after the
    /// transaction, each budget this call's wrong code used up.
    public func lookUpDeviceCode(
        userCode: String,
        userId: String,
        limits: DeviceCodeLimits = DeviceCodeLimits(),
        budgetSpent: @Sendable (DeviceCodeBudget) -> Void = { _ in }
    ) async throws -> DeviceCodeLookup {
        try await attempt(userCode: userCode, userId: userId, limits: limits, budgetSpent: budgetSpent) { db, code, at in
            try await db.query(
                "SELECT user_code, name, expires_at FROM device_codes WHERE user_code = ? AND expires_at > ? AND approved_by IS NULL AND denied = 0",
                [.text(code), .real(at)]
            ).first
        }
    }

    /// Approves (for `userId`) or denies a pending code: `.pending` with the code it decided,
    /// once; a wrong code counts as in `lookUpDeviceCode`.
    public func decideDeviceCode(
        userCode: String,
        userId: String,
        approve: Bool,
        limits: DeviceCodeLimits = DeviceCodeLimits(),
        budgetSpent: @Sendable (DeviceCodeBudget) -> Void = { _ in }
    ) async throws -> DeviceCodeLookup {
        try await attempt(userCode: userCode, userId: userId, limits: limits, budgetSpent: budgetSpent) { db, code, at in
            try await db.query(
                """
                UPDATE device_codes SET approved_by = ?, denied = ?
                WHERE user_code = ? AND expires_at > ? AND approved_by IS NULL AND denied = 0 RETURNING user_code, name, expires_at
                """,
                [approve ? .text(userId) : .null, .int(approve ? 0 : 1), .text(code), .real(at)]
            ).first
        }
    }

    /// One typed code, in one transaction: the budgets first (a spent budget refuses even the
    /// right code, or it would cap nothing), then `find`; a miss is recorded for the budgets and
    /// counted against every pending code that shares its first half, which is burned at
    /// `missesPerCode`. The answer for a wrong code never depends on whether its first half
    /// matched: nothing tells a guesser that it was close.
    private func attempt(
        userCode: String,
        userId: String,
        limits: DeviceCodeLimits,
        budgetSpent: @Sendable (DeviceCodeBudget) -> Void,
        find: @escaping @Sendable (any SQLSession, String, Double) async throws -> SQLRow?
    ) async throws -> DeviceCodeLookup {
        guard let code = Self.normalizedUserCode(userCode) else { return .unknown }
        let at = now().timeIntervalSince1970
        let lock = deviceCodeAttemptLock
        let (lookup, spent): (DeviceCodeLookup, [DeviceCodeBudget]) = try await database.transaction { db in
            // Count, then insert: without the lock, PostgreSQL's READ COMMITTED lets concurrent
            // attempts all count the same misses and overshoot the budgets.
            if let lock { try await db.query(lock, []) }
            let since = at - limits.window
            let misses = try await db.query(
                "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0) AS mine FROM device_code_misses WHERE missed_at > ?",
                [.text(userId), .real(since)]
            )
            guard let row = misses.first else { throw StoreError.corrupt("COUNT(*) returned no row") }
            let total = try row.int("total")
            let mine = try row.int("mine")
            if mine >= Int64(limits.missesPerUser) || (mine > 0 && total >= Int64(limits.missesServerWide)) {
                return (.throttled, [])
            }
            if let row = try await find(db, code, at) {
                return (
                    .pending(
                        PendingDeviceCode(
                            userCode: try row.text("user_code"),
                            name: try row.text("name"),
                            expiresAt: Date(timeIntervalSince1970: try row.real("expires_at"))
                        )
                    ), []
                )
            }
            try await db.query("DELETE FROM device_code_misses WHERE missed_at <= ?", [.real(since)])
            try await db.query("INSERT INTO device_code_misses (user_id, missed_at) VALUES (?, ?)", [.text(userId), .real(at)])
            // Burned codes expire now: their daemon hears expired_token and starts again.
            try await db.query(
                """
                UPDATE device_codes SET failed_attempts = failed_attempts + 1,
                    expires_at = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE expires_at END
                WHERE substr(user_code, 1, \(Self.userCodeHalf)) = ? AND expires_at > ? AND approved_by IS NULL AND denied = 0
                """,
                [.int(Int64(limits.missesPerCode)), .real(at), .text(String(code.prefix(Self.userCodeHalf))), .real(at)]
            )
            var spent: [DeviceCodeBudget] = []
            if mine + 1 == Int64(limits.missesPerUser) { spent.append(.user) }
            if total + 1 == Int64(limits.missesServerWide) { spent.append(.serverWide) }
            return (.unknown, spent)
        }
        spent.forEach(budgetSpent)
        return lookup
    }

    /// PostgreSQL: a transaction-scoped advisory lock that makes typed codes take turns (its
    /// own key, not the migrations'). Nil on SQLite, whose transactions already take turns.
    private var deviceCodeAttemptLock: String? {
        database is PostgresDatabase ? "SELECT pg_advisory_xact_lock(7310436588)" : nil
    }

    /// A daemon's poll. An approved code creates the device and hands out its token exactly
    /// once: the code is gone afterwards.
    public func pollDeviceCode(_ deviceCode: String) async throws -> DeviceCodePoll {
        let hash = Self.tokenHash(deviceCode)
        let at = now().timeIntervalSince1970
        enum Outcome: Sendable {
            case poll(DeviceCodePoll)
            case approved(userId: String, name: String)
        }
        let outcome: Outcome = try await database.transaction { db in
            let rows = try await db.query(
                "SELECT name, expires_at, last_poll_at, approved_by, denied FROM device_codes WHERE code_hash = ?",
                [.text(hash)]
            )
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
    /// Letters in a user code, shown in two halves: `BCDFG-HJKLM`.
    static let userCodeLength = 10
    static let userCodeHalf = 5

    static func randomUserCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<userCodeLength).map { _ in userCodeAlphabet[Int(generator.next(upperBound: UInt64(userCodeAlphabet.count)))] }
        return String(letters[..<userCodeHalf]) + "-" + String(letters[userCodeHalf...])
    }

    /// "bcdfg hjklm", "BCDFGHJKLM" and "BCDFG-HJKLM" are the same code; anything else is none.
    static func normalizedUserCode(_ typed: String) -> String? {
        let letters = typed.uppercased().filter { $0.isLetter }
        guard letters.count == userCodeLength, letters.allSatisfy({ userCodeAlphabet.contains($0) }) else { return nil }
        return String(letters.prefix(userCodeHalf)) + "-" + String(letters.suffix(userCodeLength - userCodeHalf))
    }

    static func keyedHash(_ value: String, _ key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key))
    }
}
