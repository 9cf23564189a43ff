/// Opening the store from a setting: a `postgres://` URL, or else the path of an SQLite file.
extension MetadataStore {
    /// The store and, for PostgreSQL, the connection pool's run loop (keep it running).
    public static func open(_ setting: String) async throws -> (store: MetadataStore, run: (@Sendable () async -> Void)?) {
        if setting.hasPrefix("postgres://") || setting.hasPrefix("postgresql://") {
            let database = try PostgresDatabase(url: setting)
            return (MetadataStore(database: database), { await database.run() })
        }
        return (MetadataStore(database: try await SQLiteDatabase.open(path: setting)), nil)
    }
}
