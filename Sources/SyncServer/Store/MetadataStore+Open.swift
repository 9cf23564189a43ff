/// Opening the store from a setting: a `postgres://` URL, or else the path of an SQLite file.
extension MetadataStore {
    /// The store and, for PostgreSQL, the connection pool's run loop (keep it running).
    public static func open(_ setting: String) async throws -> (store: MetadataStore, run: (@Sendable () async -> Void)?) {
        if setting.hasPrefix("postgres://") || setting.hasPrefix("postgresql://") {
            let database = try PostgresDatabase(url: setting)
            let notifier = ChangeNotifier()
            return (
                MetadataStore(database: database, notifier: notifier),
                {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await database.run() }
                        // Other replicas' changes wake this one's long-polls; reconnect if the
                        // listening connection drops.
                        group.addTask {
                            while !Task.isCancelled {
                                try? await database.listen(into: notifier)
                                try? await Task.sleep(for: .seconds(1))
                            }
                        }
                    }
                }
            )
        }
        return (MetadataStore(database: try await SQLiteDatabase.open(path: setting)), nil)
    }
}
