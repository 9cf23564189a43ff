import Foundation
import Testing

@testable import SyncServer

/// The server's own SQLite connection: one statement per call, SQLite's own errors, nothing
/// after close.
@Suite struct SQLiteDatabaseTests {
    func withDatabase(_ body: (SQLiteDatabase) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(try await SQLiteDatabase.open(path: folder.appendingPathComponent("db.sqlite").path))
    }

    @Test func aSecondStatementIsRefusedNotDropped() async throws {
        try await withDatabase { db in
            try await db.query("CREATE TABLE t (x INTEGER)")
            await #expect {
                try await db.query("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
            } throws: { error in
                (error as? SQLiteFailure)?.message.hasPrefix("one statement at a time") == true
            }
            #expect(try await db.query("SELECT COUNT(*) AS n FROM t")[0].int("n") == 0, "neither statement ran")
            // What follows may be nothing SQL runs: spaces, semicolons, a comment.
            try await db.query("INSERT INTO t VALUES (?); -- one row\n", [.int(3)])
            #expect(try await db.query("SELECT x FROM t").map { try $0.int("x") } == [3])
        }
    }

    @Test func sqliteSaysWhatIsWrongAndNothingRunsAfterClose() async throws {
        try await withDatabase { db in
            await #expect {
                try await db.query("SELEC 1")
            } throws: { error in
                (error as? SQLiteFailure)?.message.contains("syntax error") == true
            }
            await #expect {
                try await db.query("SELECT 1 AS a; SELEC 2")
            } throws: { error in
                (error as? SQLiteFailure)?.message.contains("syntax error") == true
            }
            try await db.close()
            await #expect(throws: SQLiteFailure.self) { try await db.query("SELECT 1 AS a") }
        }
    }
}
