import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteNIO

/// The metadata store on one SQLite file (the default: zero set-up).
///
/// One connection; transactions take turns (SQLite has one writer anyway). WAL mode so that
/// readers of the file (backups, `sqlite3`) do not block the server.
public final class SQLiteDatabase: SQLDatabase {
    let connection: SQLiteConnection
    let turn = AsyncLock()

    public static func open(path: String) async throws -> SQLiteDatabase {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        let database = SQLiteDatabase(connection: connection)
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000"] {
            try await database.raw(pragma, [])
        }
        return database
    }

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        await turn.lock()
        defer { turn.unlock() }
        try await raw("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(Session(database: self))
            try await raw("COMMIT", [])
            return result
        } catch {
            // Outside this task, so that a cancelled request still rolls back: the one
            // connection left inside a transaction would refuse every later one.
            _ = try? await Task { try await self.raw("ROLLBACK", []) }.value
            throw error
        }
    }

    public func close() async throws {
        try await connection.close()
    }

    /// BEGIN IMMEDIATE already takes the one write lock.
    public var migrationLockStatement: String? { nil }

    /// One SQLite file, one server process: the in-process notifier is enough.
    public var notifyStatement: String? { nil }

    struct Session: SQLSession {
        let database: SQLiteDatabase
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try SQLValue.refuseNUL(binds)
            return try await database.raw(sql, binds)
        }
    }

    @discardableResult
    func raw(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let collected = RowCollector()
        try await connection.query(sql, binds.map(Self.data)) { row in collected.append(row) }
        return collected.rows.map { row in
            SQLRow(values: Dictionary(row.columns.map { ($0.name, Self.value($0.data)) }) { a, _ in a })
        }
    }

    static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .int(let v): .integer(Int(v))
        case .text(let v): .text(v)
        case .real(let v): .float(v)
        }
    }

    static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .null: .null
        case .integer(let v): .int(Int64(v))
        case .float(let v): .real(v)
        case .text(let v): .text(v)
        case .blob(let buffer): .text(String(buffer: buffer))
        }
    }
}

/// Gathers rows delivered by SQLiteNIO's callback (called sequentially on its thread pool).
private final class RowCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [SQLiteRow] = []
    func append(_ row: SQLiteRow) { lock.withLock { collected.append(row) } }
    var rows: [SQLiteRow] { lock.withLock { collected } }
}

/// A lock for async code: waiters queue and resume in order.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLockedValue { state -> Bool in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
