import Crypto
public import Foundation
import S3Client

/// Users, devices, each user's tree and change feed, on SQLite or PostgreSQL with the same
/// behaviour: every method is one transaction of SQL both run.
public struct MetadataStore: Sendable {
    public let database: any SQLDatabase
    /// Wakes long-polls of the change feed.
    public let notifier: ChangeNotifier
    let now: @Sendable () -> Date
    /// The most bytes one user's live files and pending uploads may hold; nil: no cap.
    /// Every commit of a file and every new upload is checked against it in its transaction.
    public var userQuota: Int64?

    public init(database: any SQLDatabase, notifier: ChangeNotifier = ChangeNotifier(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.notifier = notifier
        self.now = now
    }

    /// Brings the schema up to date; safe when several replicas start at once (each migration
    /// runs under the database's migration lock and is recorded in the same transaction).
    public func migrate() async throws {
        let lock = database.migrationLockStatement
        for migration in Self.migrations(for: database.dialect) {
            try await database.transaction { db in
                if let lock { try await db.query(lock, []) }
                try await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)", [])
                let applied = try await db.query("SELECT name FROM schema_migrations WHERE name = ?", [.text(migration.name)])
                guard applied.isEmpty else { return }
                for statement in migration.statements { try await db.query(statement, []) }
                try await db.query(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    [.text(migration.name), .real(now().timeIntervalSince1970)]
                )
            }
        }
    }

    // MARK: Users and devices

    /// The user with this e-mail, created (or renamed) as given.
    public func upsertUser(email: String, name: String, picture: String? = nil) async throws -> User {
        let id = UUID().uuidString.lowercased()
        let rows = try await database.query(
            """
            INSERT INTO users (id, email, name, picture, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (email) DO UPDATE SET name = excluded.name, picture = excluded.picture
            RETURNING id, email, name, picture
            """,
            [.text(id), .text(email.lowercased()), .text(name), picture.map(SQLValue.text) ?? .null, .real(now().timeIntervalSince1970)]
        )
        return try Self.user(rows[0])
    }

    public func user(id: String) async throws -> User? {
        try await database.query("SELECT id, email, name, picture FROM users WHERE id = ?", [.text(id)]).first.map(Self.user)
    }

    /// A new device and its bearer token (256 random bits, base64url). The token is returned
    /// once; only its SHA-256 is stored.
    public func createDevice(userId: String, name: String) async throws -> (device: Device, token: String) {
        let token = "sd_" + Self.randomToken(bytes: 32)
        let device = Device(id: UUID().uuidString.lowercased(), userId: userId, name: name, createdAt: now(), lastSeenAt: nil, revokedAt: nil)
        try await database.query(
            "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(device.id), .text(userId), .text(name), .text(Self.tokenHash(token)), .real(device.createdAt.timeIntervalSince1970)]
        )
        return (device, token)
    }

    /// The device and user a bearer token belongs to, unless revoked. Records when it was last
    /// seen, at most once a minute: most requests only read.
    public func authenticate(token: String) async throws -> (device: Device, user: User)? {
        let rows = try await database.query(
            """
            SELECT d.id, d.user_id, d.name, d.created_at, d.last_seen_at, d.revoked_at, u.email, u.name AS user_name, u.picture
            FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ? AND d.revoked_at IS NULL
            """,
            [.text(Self.tokenHash(token))]
        )
        guard let row = rows.first else { return nil }
        var device = try Self.device(row)
        let user = User(id: device.userId, email: try row.text("email"), name: try row.text("user_name"), picture: row.optionalText("picture"))
        let at = now()
        if device.lastSeenAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            try await database.query("UPDATE devices SET last_seen_at = ? WHERE id = ?", [.real(at.timeIntervalSince1970), .text(device.id)])
            device.lastSeenAt = at
        }
        return (device, user)
    }

    public func devices(userId: String) async throws -> [Device] {
        try await database.query(
            "SELECT id, user_id, name, created_at, last_seen_at, revoked_at, excluded_folders FROM devices WHERE user_id = ? ORDER BY created_at",
            [.text(userId)]
        ).map(Self.device)
    }

    /// The most folders a device may report as excluded.
    public static let maxExcludedFolders = 1000

    /// Records the folders a device does not sync, each a valid path, at most
    /// ``maxExcludedFolders`` of them.
    public func setExcludedFolders(_ folders: [String], deviceId: String) async throws {
        guard folders.count <= Self.maxExcludedFolders else {
            throw StoreError.invalidPath("at most \(Self.maxExcludedFolders) excluded folders, not \(folders.count)")
        }
        for folder in folders { try Self.validate(folder) }
        let text = String(decoding: try JSONEncoder().encode(folders), as: UTF8.self)
        try await database.query("UPDATE devices SET excluded_folders = ? WHERE id = ?", [.text(text), .text(deviceId)])
    }

    /// Revokes a device of this user; false when the user has no such device.
    public func revokeDevice(id: String, userId: String) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING id",
            [.real(now().timeIntervalSince1970), .text(id), .text(userId)]
        )
        return !rows.isEmpty
    }

    static func tokenHash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }

    static func user(_ row: SQLRow) throws -> User {
        User(id: try row.text("id"), email: try row.text("email"), name: try row.text("name"), picture: row.optionalText("picture"))
    }

    static func device(_ row: SQLRow) throws -> Device {
        Device(
            id: try row.text("id"),
            userId: try row.text("user_id"),
            name: try row.text("name"),
            createdAt: Date(timeIntervalSince1970: try row.real("created_at")),
            lastSeenAt: row.optionalReal("last_seen_at").map(Date.init(timeIntervalSince1970:)),
            revokedAt: row.optionalReal("revoked_at").map(Date.init(timeIntervalSince1970:)),
            excludedFolders: row.optionalText("excluded_folders").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        )
    }
}
