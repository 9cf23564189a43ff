public import Foundation

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

/// Device authorization (RFC 8628): `syncd login` asks for a code, a signed-in person approves
/// it on `/device`, the daemon's poll gets its token.
extension MetadataStore {
    /// A device code lives this long (RFC 8628 suggests minutes).
    public static let deviceCodeLifetime: TimeInterval = 15 * 60
    /// Seconds a daemon waits between polls; faster polls get `slow_down`.
    public static let deviceCodeInterval = 2

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
}
