import SyncAPI

/// A value in or out of SQL, in the few types the store uses.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case text(String)
    case real(Double)
}

extension SQLValue {
    /// Refuses text with a NUL character before it reaches a database: PostgreSQL's text
    /// cannot hold one (the statement would fail as an internal error), and nothing the store
    /// keeps has one (paths refuse it), so on both databases such a value is the caller's error.
    static func refuseNUL(_ binds: [SQLValue]) throws {
        for case .text(let text) in binds where text.utf8.contains(0) {
            throw StoreError.invalidText("text with a NUL character: \(String(text.prefix(40)).debugDescription)")
        }
    }
}

/// The column names of one result, shared by its rows (a name that appears twice means its
/// first column).
public final class SQLColumns: Sendable {
    public let names: [String]
    let positions: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        positions.reserveCapacity(names.count)
        for (position, name) in names.enumerated() where positions[name] == nil { positions[name] = position }
        self.positions = positions
    }
}

/// A result row, by column name.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    /// The row's values, in the order of `columns.names`.
    public let cells: [SQLValue]

    public init(columns: SQLColumns, cells: [SQLValue]) {
        precondition(cells.count == columns.names.count, "a row has one value per column")
        self.columns = columns
        self.cells = cells
    }

    /// The value of `column`; nil when the result has no such column.
    public subscript(_ column: String) -> SQLValue? {
        columns.positions[column].map { cells[$0] }
    }

    func int(_ column: String) throws -> Int64 {
        if case .int(let value) = self[column] { return value }
        throw StoreError.corrupt("column \(column) is not an integer: \(String(describing: self[column]))")
    }

    func text(_ column: String) throws -> String {
        if case .text(let value) = self[column] { return value }
        throw StoreError.corrupt("column \(column) is not text: \(String(describing: self[column]))")
    }

    /// An item's kind (`file`, `folder`).
    func kind(_ column: String) throws -> ItemKind {
        guard let kind = ItemKind(rawValue: try text(column)) else {
            throw StoreError.corrupt("column \(column) is no item kind: \(String(describing: self[column]))")
        }
        return kind
    }

    func optionalText(_ column: String) -> String? {
        if case .text(let value) = self[column] { return value }
        return nil
    }

    func optionalInt(_ column: String) -> Int64? {
        if case .int(let value) = self[column] { return value }
        return nil
    }

    func optionalReal(_ column: String) -> Double? {
        switch self[column] {
        case .real(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }

    func real(_ column: String) throws -> Double {
        guard let value = optionalReal(column) else { throw StoreError.corrupt("column \(column) is not a number") }
        return value
    }
}

/// Runs statements inside one transaction. SQL uses `?` placeholders and the subset of SQL
/// that SQLite and PostgreSQL share, so the store's logic is written once for both.
public protocol SQLSession: Sendable {
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// A database the metadata store runs on: SQLite (one file) or PostgreSQL.
public protocol SQLDatabase: Sendable {
    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T
    /// One statement in its own transaction.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
    /// Closes connections.
    func close() async throws
    /// A statement that, run first in a transaction, keeps every other process's migrations
    /// out until it ends (nil where transactions already exclude each other).
    var migrationLockStatement: String? { get }
    /// A statement that tells other server processes a user's tree changed (the user id is
    /// its one argument), delivered when the transaction commits; nil with one process only.
    var notifyStatement: String? { get }
    /// Which of the two it is, for the few statements they spell differently (indexes and
    /// searches that depend on how each compares text).
    var dialect: SQLDialect { get }
}

/// The SQL dialects the store speaks.
public enum SQLDialect: Sendable {
    case sqlite, postgres
}

extension SQLDatabase {
    @discardableResult
    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await transaction { try await $0.query(sql, binds) }
    }

    @discardableResult
    public func query(_ sql: String) async throws -> [SQLRow] {
        try await query(sql, [])
    }
}
