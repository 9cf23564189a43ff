import Foundation

/// What `syncd-server admin` reads and changes across users: the operator's view, never
/// reachable through the HTTP API.
extension MetadataStore {
    /// Every user, by e-mail address, with how many devices hold a live token.
    public func allUsers() async throws -> [(user: User, liveDevices: Int)] {
        try await database.query(
            """
            SELECT u.id, u.email, u.name, u.picture,
                (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id AND d.revoked_at IS NULL) AS live_devices
            FROM users u ORDER BY u.email
            """,
            []
        ).map { (try Self.user($0), Int(try $0.int("live_devices"))) }
    }

    public func user(email: String) async throws -> User? {
        try await database.query("SELECT id, email, name, picture FROM users WHERE email = ?", [.text(email.lowercased())]).first.map(Self.user)
    }

    /// Every device, or one user's, oldest first, revoked ones included.
    public func allDevices(userId: String? = nil) async throws -> [Device] {
        if let userId { return try await devices(userId: userId) }
        return try await database.query(
            "SELECT id, user_id, name, created_at, last_seen_at, revoked_at FROM devices ORDER BY created_at, id",
            []
        ).map(Self.device)
    }

    /// Revokes a device whoever it belongs to; nil when there is no such device, false when it
    /// was revoked already.
    public func revokeAnyDevice(id: String) async throws -> Bool? {
        let rows = try await database.query(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
            [.real(now().timeIntervalSince1970), .text(id)]
        )
        if !rows.isEmpty { return true }
        return try await database.query("SELECT id FROM devices WHERE id = ?", [.text(id)]).isEmpty ? nil : false
    }

    /// The schema migrations this database has not had yet (all of them for a new database);
    /// reading them changes nothing.
    public func pendingMigrations() async throws -> [String] {
        let all = Self.migrations(for: database.dialect).map(\.name)
        let exists =
            switch database.dialect {
            case .sqlite: "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            case .postgres: "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()"
            }
        guard try await database.query(exists, []).first?.int("n") == 1 else { return all }
        let applied = Set(try await database.query("SELECT name FROM schema_migrations", []).map { try $0.text("name") })
        return all.filter { !applied.contains($0) }
    }
}
