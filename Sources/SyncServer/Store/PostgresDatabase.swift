import Foundation
public import Logging
import NIOCore
public import PostgresNIO

/// The metadata store on PostgreSQL (production: several server replicas share it).
public final class PostgresDatabase: SQLDatabase {
    public let client: PostgresClient
    let logger: Logger

    /// A client for `postgres://user:password@host:port/database` (no TLS on loopback; `sslmode=require` asks for TLS).
    public init(url: String, maximumConnections: Int = 20, logger: Logger = Logger(label: "syncd-server.postgres")) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else {
            throw StoreError.configuration("database URL must look like postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        let tls: PostgresClient.Configuration.TLS =
            components.queryItems?.contains { $0.name == "sslmode" && $0.value == "require" } == true
            ? .require(.makeClientConfiguration()) : .disable
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: user,
            password: components.password,
            database: database.isEmpty ? nil : database,
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool; must run for as long as the database is used.
    public func run() async {
        await client.run()
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(Session(connection: connection, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            // The store's own errors (conflict, not found) come back as themselves.
            if let inner = error.closureError, error.rollbackError == nil { throw inner }
            throw error
        }
    }

    /// One statement on a pooled connection, outside an explicit transaction: PostgreSQL runs
    /// it as a transaction of its own (no BEGIN and COMMIT round trips around a read).
    @discardableResult
    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await client.withConnection { connection in
            try await Session(connection: connection, logger: logger).query(sql, binds)
        }
    }

    public func close() async throws {}

    /// Runs one statement outside any transaction (CREATE DATABASE and the like).
    public func executeOutsideTransaction(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// A transaction-scoped advisory lock: replicas starting together migrate one at a time
    /// (CREATE TABLE IF NOT EXISTS alone races in PostgreSQL).
    public var migrationLockStatement: String? { "SELECT pg_advisory_xact_lock(7310436587)" }

    static let changesChannel = "syncd_changes"

    public var notifyStatement: String? { "SELECT pg_notify('\(Self.changesChannel)', ?)" }

    public var dialect: SQLDialect { .postgres }

    /// Relays every replica's change notifications to `notifier`, on one dedicated connection,
    /// until cancelled.
    public func listen(into notifier: ChangeNotifier) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.changesChannel) { notifications in
                for try await notification in notifications {
                    notifier.changed(userId: notification.payload)
                }
            }
        }
    }

    struct Session: SQLSession {
        let connection: PostgresConnection
        let logger: Logger

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try SQLValue.refuseNUL(binds)
            var bindings = PostgresBindings(capacity: binds.count)
            for value in binds {
                switch value {
                case .null: bindings.appendNull()
                case .int(let v): bindings.append(v)
                case .text(let v): bindings.append(v)
                case .real(let v): bindings.append(v)
                }
            }
            let rows = try await connection.query(PostgresQuery(unsafeSQL: PostgresDatabase.numbered(sql), binds: bindings), logger: logger)
            var result: [SQLRow] = []
            var columns: SQLColumns?
            for try await row in rows {
                var cells: [SQLValue] = []
                cells.reserveCapacity(row.count)
                var names: [String] = []
                for cell in row {
                    cells.append(try Self.value(cell))
                    if columns == nil { names.append(cell.columnName) }
                }
                // Named once per result, from the first row.
                let shared = columns ?? SQLColumns(names)
                columns = shared
                result.append(SQLRow(columns: shared, cells: cells))
            }
            return result
        }

        static func value(_ cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
            case .float4, .float8, .numeric: return .real(try cell.decode(Double.self))
            case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
            default: return .text(try cell.decode(String.self))
            }
        }
    }

    /// `?` placeholders as PostgreSQL's `$1, $2, ...` (the store's SQL has no `?` in literals).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        for char in sql {
            if char == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(char)
            }
        }
        return out
    }
}
