import Foundation
import GRDBSQLite
import NIOConcurrencyHelpers

/// The metadata store on one SQLite file (the default: zero set-up), through SQLite's own C
/// API (Debian's libsqlite3).
///
/// One connection; transactions take turns (SQLite has one writer anyway). WAL mode so that
/// readers of the file (backups, `sqlite3`) do not block the server.
///
/// Statements run on the task that holds the turn, where it is: a statement of the store
/// costs microseconds of CPU, and handing each one to a thread pool and back (as SQLiteNIO
/// does) cost more than the statement, several thread wake-ups per query. Prepared statements
/// are kept by their SQL text. The one wait that is not CPU is the commit's fsync
/// (`synchronous = FULL`), a fraction of a millisecond; another process holding the file's
/// write lock (a `sqlite3` shell) can make a statement wait up to the busy timeout.
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    // Everything below is touched only by the holder of `turn` (and by init/deinit).
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    /// Set by ``close()``: the handle is closed, every later statement is refused.
    private var closed = false
    let turn = AsyncLock()

    public static func open(path: String) async throws -> SQLiteDatabase {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else { throw SQLiteFailure(code: opened, message: "cannot open \(path)") }
        guard opened == SQLITE_OK else {
            let failure = SQLiteFailure(code: opened, message: String(cString: sqlite3_errmsg(handle)))
            sqlite3_close_v2(handle)
            throw failure
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5000)
        let database = SQLiteDatabase(handle: handle)
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"] {
            try await database.turn.withLock { _ = try database.run(pragma, []) }
        }
        return database
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        guard !closed else { return }
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await turn.withLock {
            _ = try run("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(Session(database: self))
                _ = try run("COMMIT", [])
                return result
            } catch {
                // Runs whatever the task's cancellation: the connection must not stay inside a
                // transaction, it would refuse every later one.
                _ = try? run("ROLLBACK", [])
                throw error
            }
        }
    }

    /// One statement on its own: SQLite's autocommit, without a BEGIN and COMMIT around a read.
    @discardableResult
    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try SQLValue.refuseNUL(binds)
        return try await turn.withLock { try run(sql, binds) }
    }

    public func close() async throws {
        try await turn.withLock {
            guard !closed else { return }
            for statement in statements.values { sqlite3_finalize(statement) }
            statements = [:]
            closed = true
            sqlite3_close_v2(handle)
        }
    }

    /// BEGIN IMMEDIATE already takes the one write lock.
    public var migrationLockStatement: String? { nil }

    /// One SQLite file, one server process: the in-process notifier is enough.
    public var notifyStatement: String? { nil }
    public var dialect: SQLDialect { .sqlite }

    struct Session: SQLSession {
        let database: SQLiteDatabase
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try SQLValue.refuseNUL(binds)
            return try database.run(sql, binds)
        }
    }

    /// Runs one statement and collects its rows. The caller holds `turn`.
    private func run(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        guard Int(sqlite3_bind_parameter_count(statement)) == binds.count else {
            let placeholders = sqlite3_bind_parameter_count(statement)
            throw SQLiteFailure(code: SQLITE_RANGE, message: "\(binds.count) values for \(placeholders) placeholders in \(sql)")
        }
        for (index, value) in binds.enumerated() {
            let position = Int32(index + 1)
            let bound: Int32 =
                switch value {
                case .null: sqlite3_bind_null(statement, position)
                case .int(let v): sqlite3_bind_int64(statement, position, v)
                case .real(let v): sqlite3_bind_double(statement, position, v)
                case .text(let v): sqlite3_bind_text(statement, position, v, -1, Self.transient)
                }
            try check(bound)
        }
        let count = sqlite3_column_count(statement)
        var columns: SQLColumns?
        var rows: [SQLRow] = []
        while true {
            let stepped = sqlite3_step(statement)
            if stepped == SQLITE_DONE { return rows }
            guard stepped == SQLITE_ROW else { throw failure(stepped) }
            // Named once per result, from the first row.
            let names = columns ?? SQLColumns((0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
            columns = names
            rows.append(SQLRow(columns: names, cells: (0..<count).map { Self.value(statement, $0) }))
        }
    }

    /// The statement for `sql`, compiled once and kept. Refuses SQL with a second statement
    /// after the first (it would be silently left out).
    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard !closed else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the database is closed") }
        var statement: OpaquePointer?
        var second = false
        let compiled = sql.withCString { text in
            var rest: UnsafePointer<CChar>?
            let result = sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &rest)
            guard result == SQLITE_OK, let rest else { return result }
            // What follows the first statement must compile to none (spaces, `;`, comments).
            var next: OpaquePointer?
            let tail = sqlite3_prepare_v2(handle, rest, -1, &next, nil)
            if let next {
                sqlite3_finalize(next)
                second = true
            }
            return tail
        }
        guard compiled == SQLITE_OK, !second, let statement else {
            if let statement { sqlite3_finalize(statement) }
            if second { throw SQLiteFailure(code: SQLITE_MISUSE, message: "one statement at a time: \(sql)") }
            throw failure(compiled)
        }
        statements[sql] = statement
        return statement
    }

    private func check(_ result: Int32) throws {
        guard result == SQLITE_OK else { throw failure(result) }
    }

    private func failure(_ code: Int32) -> SQLiteFailure {
        SQLiteFailure(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    private static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: .int(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
        case SQLITE_NULL: .null
        default:
            // Text, and blobs read as UTF-8 text (the store writes none).
            if let bytes = sqlite3_column_blob(statement, column) {
                .text(String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self))
            } else {
                .text("")
            }
        }
    }

    /// SQLITE_TRANSIENT (a macro Swift cannot import): SQLite copies the bound text at once.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A statement SQLite refused or failed, with its (extended) result code.
public struct SQLiteFailure: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
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

    /// `body` while holding the lock.
    func withLock<T>(_ body: () async throws -> T) async throws -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
