import Foundation
import SyncAPI
import Testing

@testable import SyncServer

/// The metadata store on both databases it supports; every test runs on each.
enum StoreBackend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    /// Runs `body` with a migrated store: a fresh SQLite file, or the test PostgreSQL server
    /// that `scripts/test-servers` starts (`SYNCD_TEST_POSTGRES_URL`). Tests share that
    /// database (each with its own users) unless `isolated`, which gives a fresh database for
    /// tests whose subject is global (the collector).
    func withStore(isolated: Bool = false, _ body: (MetadataStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let database = try await SQLiteDatabase.open(path: folder.appendingPathComponent("metadata.sqlite").path)
            let store = MetadataStore(database: database)
            try await store.migrate()
            do {
                try await body(store)
            } catch {
                try await database.close()
                throw error
            }
            try await database.close()
        case .postgres:
            guard var url = ProcessInfo.processInfo.environment["SYNCD_TEST_POSTGRES_URL"] else {
                throw StoreTestError("SYNCD_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            var dropAfter: (admin: PostgresDatabase, name: String)?
            var adminRun: Task<Void, Never>?
            defer { adminRun?.cancel() }
            if isolated {
                let admin = try PostgresDatabase(url: url, maximumConnections: 1)
                adminRun = Task { await admin.run() }  // run() once; it serves the drop below too
                let name = "syncd_t_\(UUID().uuidString.lowercased().prefix(12).filter { $0.isLetter || $0.isNumber })"
                try await admin.executeOutsideTransaction("CREATE DATABASE \(name)")
                url = String(url[..<url.lastIndex(of: "/")!]) + "/" + name
                dropAfter = (admin, name)
            }
            // Many tests run at once against one server: a small pool each.
            let database = try PostgresDatabase(url: url, maximumConnections: 4)
            let running = Task { await database.run() }
            defer { running.cancel() }
            let store = MetadataStore(database: database)
            try await store.migrate()
            try await body(store)
            if let (admin, name) = dropAfter {
                running.cancel()
                try? await admin.executeOutsideTransaction("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite struct MetadataStoreTests {
    func someone(_ store: MetadataStore) async throws -> User {
        try await store.upsertUser(email: "user-\(UUID().uuidString)@example.com", name: "Test User")
    }

    @Test(arguments: StoreBackend.allCases)
    func usersAndDeviceTokens(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let email = "Ada-\(UUID().uuidString)@Example.com"
            let ada = try await store.upsertUser(email: email, name: "Ada")
            let again = try await store.upsertUser(email: email.uppercased(), name: "Ada Lovelace", picture: "https://example.com/a.png")
            #expect(again.id == ada.id && again.name == "Ada Lovelace" && again.email == email.lowercased())

            let (laptop, token) = try await store.createDevice(userId: ada.id, name: "laptop")
            #expect(token.count >= 40)
            let seen = try #require(try await store.authenticate(token: token))
            #expect(seen.device.id == laptop.id && seen.user.id == ada.id && seen.device.lastSeenAt != nil)
            #expect(try await store.authenticate(token: token + "x") == nil)
            #expect(try await store.authenticate(token: "") == nil)

            let bob = try await someone(store)
            #expect(try await store.revokeDevice(id: laptop.id, userId: bob.id) == false, "another user cannot revoke it")
            #expect(try await store.authenticate(token: token) != nil)
            #expect(try await store.revokeDevice(id: laptop.id, userId: ada.id))
            #expect(try await store.authenticate(token: token) == nil, "a revoked token is refused at once")
            #expect(try await store.devices(userId: ada.id).first?.revokedAt != nil)
            #expect(try await store.devices(userId: bob.id).isEmpty)
        }
    }

    /// The listing and its cursor come from one statement: the cursor is the feed position of
    /// exactly the tree listed, also when nothing is left in it.
    @Test(arguments: StoreBackend.allCases)
    func aListingCarriesTheCursorOfTheTreeItLists(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            let empty = try await store.listing(userId: user.id)
            #expect(empty.files.isEmpty && empty.cursor == 0)
            let a = try await store.commit(userId: user.id, path: "a.txt", kind: .file, size: 1, contentHash: "h1", baseRevision: nil)
            _ = try await store.commit(userId: user.id, path: "b", kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
            let two = try await store.listing(userId: user.id)
            #expect(two.files.map(\.path) == ["a.txt", "b"])
            let seqTwo = try await store.latestSeq(userId: user.id)
            #expect(two.cursor == seqTwo && two.cursor > 0)
            try await store.trash(userId: user.id, path: "a.txt", revision: a.revision)
            try await store.trash(userId: user.id, path: "b", revision: 1)
            let none = try await store.listing(userId: user.id)
            #expect(none.files.isEmpty, "trashed items are not listed")
            let seqNone = try await store.latestSeq(userId: user.id)
            #expect(none.cursor == seqNone && none.cursor > two.cursor, "the cursor of an emptied tree is its own")
            let nobody = try await store.listing(userId: "no-such-user")
            #expect(nobody.files.isEmpty && nobody.cursor == 0)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func commitsAreConditionalOnTheRevisionSeen(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            let first = try await store.commit(userId: user.id, path: "notes.txt", kind: .file, size: 3, contentHash: "h1", baseRevision: nil)
            #expect(first.revision == 1)
            await #expect(throws: StoreError.conflict(current: first)) {
                try await store.commit(userId: user.id, path: "notes.txt", kind: .file, size: 4, contentHash: "h2", baseRevision: nil)
            }
            let second = try await store.commit(userId: user.id, path: "notes.txt", kind: .file, size: 4, contentHash: "h2", baseRevision: 1)
            #expect(second.revision == 2 && second.id == first.id && second.contentHash == "h2")
            await #expect(throws: StoreError.conflict(current: second)) {
                try await store.commit(userId: user.id, path: "notes.txt", kind: .file, size: 5, contentHash: "h3", baseRevision: 1)
            }
            await #expect(throws: StoreError.self) {
                try await store.commit(userId: user.id, path: "no-such-folder/x.txt", kind: .file, size: 1, contentHash: "h", baseRevision: nil)
            }
            let folder = try await store.commit(userId: user.id, path: "Photos", kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
            #expect(
                try await store.commit(userId: user.id, path: "Photos", kind: .folder, size: 0, contentHash: nil, baseRevision: nil) == folder,
                "creating an existing folder is a no-op"
            )
            for bad in ["", "/abs", "a//b", "../up", "a/./b", "trailing/"] {
                await #expect(throws: StoreError.self, "\(bad)") {
                    try await store.commit(userId: user.id, path: bad, kind: .file, size: 1, contentHash: "h", baseRevision: nil)
                }
            }
            let other = try await someone(store)
            #expect(try await store.files(userId: other.id).isEmpty, "users see only their own tree")
            #expect(try await store.file(userId: other.id, path: "notes.txt") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func folderMovesAndTrashCarryTheirContents(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            func mk(_ path: String, _ kind: ItemKind = .file) async throws -> FileRecord {
                try await store.commit(
                    userId: user.id,
                    path: path,
                    kind: kind,
                    size: 1,
                    contentHash: kind == .file ? "h-\(path)" : nil,
                    baseRevision: nil
                )
            }
            let docs = try await mk("Dokumente é", .folder)
            _ = try await mk("Dokumente é/日本.txt")
            _ = try await mk("Dokumente é/sub", .folder)
            _ = try await mk("Dokumente é/sub/b.txt")
            _ = try await mk("Dokumente é2.txt")  // shares the prefix, is not inside
            _ = try await mk("Archiv", .folder)

            await #expect(throws: StoreError.conflict(current: docs)) {
                try await store.move(userId: user.id, from: "Dokumente é", to: "Archiv/2026", revision: docs.revision + 5)
            }
            let moved = try await store.move(userId: user.id, from: "Dokumente é", to: "Archiv/2026", revision: docs.revision)
            #expect(moved.id == docs.id && moved.revision == docs.revision + 1)
            #expect(
                try await store.files(userId: user.id).map(\.path) == [
                    "Archiv", "Archiv/2026", "Archiv/2026/sub", "Archiv/2026/sub/b.txt", "Archiv/2026/日本.txt", "Dokumente é2.txt",
                ]
            )
            try await store.trash(userId: user.id, path: "Archiv/2026", revision: moved.revision)
            #expect(try await store.files(userId: user.id).map(\.path) == ["Archiv", "Dokumente é2.txt"])
            // The path is free again for a new item.
            _ = try await mk("Archiv/2026", .folder)

            let feed = try await store.changes(userId: user.id, after: 0)
            #expect(feed.map(\.seq) == Array(1...Int64(feed.count)), "strictly increasing, no gaps")
            #expect(feed.filter(\.deleted).map(\.path) == ["Archiv/2026"], "a folder's deletion is one entry: what it held went with it")
            let tail = try await store.changes(userId: user.id, after: feed[feed.count - 2].seq)
            #expect(tail.count == 1 && tail[0].path == "Archiv/2026" && !tail[0].deleted)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentWritersGetDistinctSequenceNumbers(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<24 {
                    group.addTask {
                        _ = try await store.commit(userId: user.id, path: "f\(i)", kind: .file, size: 1, contentHash: "h\(i)", baseRevision: nil)
                    }
                }
                try await group.waitForAll()
            }
            let seqs = try await store.changes(userId: user.id, after: 0).map(\.seq)
            #expect(seqs == Array(1...24))
            try await store.migrate()  // idempotent
        }
    }
}
