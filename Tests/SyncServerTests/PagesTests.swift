import Foundation
import HTTPTypes
import SyncAPI
import Testing

@testable import SyncServer

/// Listings that scale: one folder a page at a time, the whole tree a page at a time (exact
/// under concurrent changes with the feed), a search by name, a folder's move as one entry of
/// the feed, and the indexes each of these reads through.
@Suite struct PagesTests {
    func someone(_ store: MetadataStore) async throws -> User {
        try await store.upsertUser(email: "pages-\(UUID().uuidString)@example.com", name: "Pages")
    }

    func folder(_ store: MetadataStore, _ user: User, _ path: String) async throws {
        _ = try await store.commit(userId: user.id, path: path, kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
    }

    func file(_ store: MetadataStore, _ user: User, _ path: String, size: Int64 = 1) async throws {
        _ = try await store.commit(
            userId: user.id,
            path: path,
            kind: .file,
            size: size,
            contentHash: String(repeating: "a", count: 64),
            baseRevision: nil
        )
    }

    /// Every page of a folder, following `next`.
    func allPages(_ store: MetadataStore, _ user: User, folder: String, limit: Int) async throws -> [[FileRecord]] {
        var pages: [[FileRecord]] = []
        var after: String?
        repeat {
            let page = try await store.folderPage(userId: user.id, folder: folder, after: after, limit: limit)
            pages.append(page.items)
            after = page.next
        } while after != nil && pages.count < 100
        return pages
    }

    @Test(arguments: StoreBackend.allCases)
    func aFolderIsListedAPageAtATimeFoldersFirstByNameWithoutCase(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            try await folder(store, user, "Photos")
            for name in ["b.jpg", "A.jpg", "c.jpg", "a_b.jpg", "Zeta", "alpha", "d%.jpg"] {
                if name.contains(".") { try await file(store, user, "Photos/\(name)") } else { try await folder(store, user, "Photos/\(name)") }
            }
            // Deeper items and items beside the folder are not its items.
            try await file(store, user, "Photos/alpha/inner.jpg")
            try await file(store, user, "Photos2.jpg")
            try await folder(store, user, "Photosx")

            let pages = try await allPages(store, user, folder: "Photos", limit: 2)
            #expect(pages.map(\.count) == [2, 2, 2, 1], "pages of two, the last one short")
            #expect(
                pages.flatMap { $0 }.map(\.path) == [
                    "Photos/alpha", "Photos/Zeta", "Photos/A.jpg", "Photos/a_b.jpg", "Photos/b.jpg", "Photos/c.jpg", "Photos/d%.jpg",
                ]
            )
            let top = try await store.folderPage(userId: user.id, folder: "", after: nil, limit: 100)
            #expect(top.items.map(\.path) == ["Photos", "Photosx", "Photos2.jpg"] && top.next == nil)
            // A page that fills its limit exactly has a next page, which is empty.
            let exact = try await store.folderPage(userId: user.id, folder: "Photos/alpha", after: nil, limit: 1)
            #expect(exact.items.map(\.path) == ["Photos/alpha/inner.jpg"])
            let after = try await store.folderPage(userId: user.id, folder: "Photos/alpha", after: exact.next, limit: 1)
            #expect(after.items.isEmpty && after.next == nil)

            await #expect(throws: StoreError.notFound) { try await store.folderPage(userId: user.id, folder: "Nope", after: nil, limit: 10) }
            await #expect(throws: StoreError.notFound) { try await store.folderPage(userId: user.id, folder: "Photos2.jpg", after: nil, limit: 10) }
            for forged in ["", "%%%", PageToken.encode(["file", "x"]), PageToken.encode(["socket", "x", "y"])] {
                await #expect(throws: StoreError.self) { try await store.folderPage(userId: user.id, folder: "Photos", after: forged, limit: 10) }
            }
            await #expect(throws: StoreError.self) { try await store.folderPage(userId: user.id, folder: "../etc", after: nil, limit: 10) }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theTreeReadInPagesWhileItChangesIsExactWithTheFeed(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            for top in ["a", "b", "c"] {
                try await folder(store, user, top)
                try await folder(store, user, "\(top)/deep")
                for index in 0..<12 { try await file(store, user, "\(top)/deep/f\(index)") }
            }
            var snapshot = TreeSnapshot()
            var after: String?
            var round = 0
            repeat {
                let page = try await store.treePage(userId: user.id, after: after, limit: 5)
                snapshot.add(ItemPage(items: page.items.map(FileMetadata.init), next: page.next, cursor: page.cursor))
                after = page.next
                // Between pages, the tree changes under the reader: folders move (back and forth,
                // and into each other), files change, are deleted and appear.
                switch round {
                case 0: _ = try await store.move(userId: user.id, from: "a", to: "x", revision: 1)
                case 1: _ = try await store.move(userId: user.id, from: "b/deep", to: "x/deep2", revision: 1)
                case 2: try await store.trash(userId: user.id, path: "c/deep/f3", revision: 1)
                case 3: _ = try await store.move(userId: user.id, from: "x", to: "a", revision: 2)
                case 4: try await file(store, user, "a/deep2/new")
                case 5:
                    let current = try #require(try await store.file(userId: user.id, path: "c/deep/f4"))
                    _ = try await store.commit(
                        userId: user.id,
                        path: "c/deep/f4",
                        kind: .file,
                        size: 99,
                        contentHash: String(repeating: "b", count: 64),
                        baseRevision: current.revision
                    )
                case 6: _ = try await store.move(userId: user.id, from: "c", to: "a/deep2/c", revision: 1)
                case 7: try await store.trash(userId: user.id, path: "a/deep2/c/deep", revision: 1)
                default: break
                }
                round += 1
            } while after != nil
            var feedAt = try #require(snapshot.start)
            while true {
                let changes = try await store.changes(userId: user.id, after: feedAt, limit: 3)
                guard let last = changes.last else { break }
                snapshot.apply(changes.map(ChangesResponse.Change.init))
                feedAt = last.seq
            }
            let truth = try await store.files(userId: user.id)
            let assembled = snapshot.items.values.map(\.file).sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
            #expect(round > 7, "the tree changed between every page")
            #expect(assembled.map(\.path) == truth.map(\.path))
            #expect(assembled.map(\.id) == truth.map(\.id))
            #expect(assembled.map(\.revision) == truth.map(\.revision))
            #expect(assembled.map(\.size) == truth.map(\.size))
            #expect(truth.contains { $0.path == "a/deep/f0" } && !truth.contains { $0.path.hasPrefix("a/deep2/c/deep") })
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aFoldersMoveIsOneEntryOfTheFeedWhateverItHolds(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            try await folder(store, user, "big")
            try await folder(store, user, "big/sub")
            for index in 0..<200 { try await file(store, user, "big/sub/\(index).txt") }
            try await folder(store, user, "bigger")
            try await file(store, user, "big.txt")
            let before = try #require(try await store.changes(userId: user.id, after: 0, limit: 5000).last).seq
            let moved = try await store.move(userId: user.id, from: "big", to: "archive", revision: 1)
            let changes = try await store.changes(userId: user.id, after: before, limit: 5000)
            #expect(changes.count == 1)
            #expect(changes.first?.path == "archive" && changes.first?.movedFrom == "big" && changes.first?.fileId == moved.id)
            let paths = Set(try await store.files(userId: user.id).map(\.path))
            #expect(paths.contains("archive/sub/199.txt") && !paths.contains("big/sub/0.txt"))
            #expect(paths.isSuperset(of: ["bigger", "big.txt"]), "a name that only begins like the folder's stays")
            // A file's move is its own entry, with nothing moved along.
            _ = try await store.move(userId: user.id, from: "big.txt", to: "b.txt", revision: 1)
            let last = try #require(try await store.changes(userId: user.id, after: changes[0].seq, limit: 10).first)
            #expect(last.path == "b.txt" && last.movedFrom == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func searchFindsNamesByPrefixAndSubstringWithoutCase(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            try await folder(store, user, "Holiday 2024")
            for name in ["IMG_0001.jpg", "img_0002.JPG", "Notes.txt", "100%.txt", "my_img.png", "imgXpng"] {
                try await file(store, user, "Holiday 2024/\(name)")
            }
            try await file(store, user, "img-top.jpg")
            func names(_ query: String, _ match: MetadataStore.NameMatch, limit: Int = 100) async throws -> [String] {
                var found: [String] = []
                var after: String?
                repeat {
                    let page = try await store.search(userId: user.id, query: query, match: match, after: after, limit: limit)
                    found += page.items.map(\.path)
                    after = page.next
                } while after != nil
                return found
            }
            #expect(
                try await names("img", .prefix) == ["img-top.jpg", "Holiday 2024/IMG_0001.jpg", "Holiday 2024/img_0002.JPG", "Holiday 2024/imgXpng"]
            )
            #expect(try await names("IMG", .prefix, limit: 1).count == 4, "paged one at a time, the same four")
            #expect(try await names("_img", .contains) == ["Holiday 2024/my_img.png"], "_ is a letter, not a wildcard")
            #expect(try await names("0%", .contains) == ["Holiday 2024/100%.txt"], "% is a letter, not a wildcard")
            #expect(try await names(".jpg", .contains).count == 3)
            #expect(try await names("holiday", .prefix) == ["Holiday 2024"])
            #expect(try await names("day 20", .contains) == ["Holiday 2024"])
            #expect(try await names("nothing like it", .contains).isEmpty)
            // One or two letters (no trigram on PostgreSQL), and a prefix followed by the
            // greatest code point.
            #expect(try await names("H", .contains) == ["Holiday 2024"])
            #expect(try await names("y_", .contains) == ["Holiday 2024/my_img.png"])
            try await file(store, user, "Holiday 2024/zz\u{10FFFF}end")
            #expect(try await names("zz", .prefix) == ["Holiday 2024/zz\u{10FFFF}end"])
            #expect(MetadataStore.textAbovePrefix("ab") == "ac" && MetadataStore.textAbovePrefix("a\u{10FFFF}") == "b")
            #expect(MetadataStore.textAbovePrefix("\u{D7FF}") == "\u{E000}" && MetadataStore.textAbovePrefix("\u{10FFFF}") == nil)
            // Another user's names are not found.
            let other = try await someone(store)
            #expect(try await store.search(userId: other.id, query: "img", match: .contains, after: nil, limit: 10).items.isEmpty)
            for bad in ["", "a/b", "x\u{0}y", String(repeating: "n", count: 256)] {
                await #expect(throws: StoreError.self) {
                    try await store.search(userId: user.id, query: bad, match: .contains, after: nil, limit: 10)
                }
            }
        }
    }

    /// The plan of each listing's statement reads the index made for it: no walk over the
    /// user's whole tree. (PostgreSQL over a tree of 20,000 items it has measured; SQLite
    /// plans by its rules alone.)
    @Test(arguments: StoreBackend.allCases)
    func eachListingReadsThroughItsIndex(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let user = try await someone(store)
            if store.database.dialect == .postgres {
                // PostgreSQL plans by the table's statistics: give it a tree of some size (100
                // folders of 200 files each) and let it measure.
                try await store.database.query(
                    """
                    INSERT INTO files (id, user_id, path, kind, revision, size, content_hash, modified_at)
                    SELECT md5(? || g), ?, CASE WHEN g <= 100 THEN 'd' || g ELSE 'd' || (g % 100 + 1) || '/f' || g || '.txt' END,
                        CASE WHEN g <= 100 THEN 'folder' ELSE 'file' END, 1, 1, NULL, 0
                    FROM generate_series(1, 20100) AS g
                    """,
                    [.text(user.id), .text(user.id)]
                )
                try await store.database.query("ANALYZE files", [])
            }
            let limit: Int64 = 100
            let statements: [(name: String, index: String, statement: (String, [SQLValue]))] = [
                (
                    "a folder's page", "files_children",
                    MetadataStore.folderPageStatement(userId: user.id, folder: "Photos", start: (.folder, "b", "Photos/b"), limit: limit)
                ),
                ("a page of the tree", "files_live_id", MetadataStore.treePageStatement(userId: user.id, after: "0", limit: limit)),
                (
                    "a search by prefix", "files_names",
                    MetadataStore.searchStatement(
                        userId: user.id,
                        query: "img",
                        match: .prefix,
                        start: ["", ""],
                        limit: limit,
                        dialect: store.database.dialect
                    )
                ),
                (
                    "a search by one letter", store.database.dialect == .postgres ? "files_names_sorted" : "files_names",
                    MetadataStore.searchStatement(
                        userId: user.id,
                        query: "e",
                        match: .contains,
                        start: ["", ""],
                        limit: limit,
                        dialect: store.database.dialect
                    )
                ),
                (
                    "a search by substring", "files_names",
                    MetadataStore.searchStatement(
                        userId: user.id,
                        query: "img",
                        match: .contains,
                        start: ["", ""],
                        limit: limit,
                        dialect: store.database.dialect
                    )
                ),
                {
                    let (inside, binds) = MetadataStore.inside("Photos", dialect: store.database.dialect)
                    let index = store.database.dialect == .postgres ? "files_live_path_bytes" : "files_live_path"
                    return (
                        "everything inside a folder", index,
                        ("SELECT id FROM files WHERE user_id = ? AND trashed_at IS NULL AND \(inside)", [.text(user.id)] + binds)
                    )
                }(),
            ]
            for (name, index, (sql, binds)) in statements {
                let plan = try await store.database.transaction { db in
                    switch store.database.dialect {
                    case .sqlite:
                        return try await db.query("EXPLAIN QUERY PLAN " + sql, binds).map { $0.optionalText("detail") ?? "" }
                    case .postgres:
                        return try await db.query("EXPLAIN " + sql, binds).map { $0.optionalText("QUERY PLAN") ?? "" }
                    }
                }
                let text = plan.joined(separator: "\n")
                print("plan of \(name) on \(backend):\n\(text)")
                #expect(text.contains(index), "\(name) reads \(index):\n\(text)")
                let filesScans = plan.filter { $0.contains("files") && !$0.contains("INDEX") && $0.contains("SCAN") }
                #expect(filesScans.isEmpty || backend == .postgres, "\(name) walks the table:\n\(text)")
                if backend == .postgres { #expect(!text.contains("Seq Scan on files"), "\(name) walks the table:\n\(text)") }
            }
        }
    }
}

/// The three listings over HTTP: what a client sends is checked, and the pages chain.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PagesAPITests {
    @Test(arguments: StoreBackend.allCases)
    func foldersTreeAndSearchAnswerInPagesAndRefuseWhatIsNotAsked(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            #expect(try await client.api(.get, "/api/v1/folder", token: nil).status == .unauthorized)
            for name in ["b", "a", "C"] {
                #expect(try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: name)).status == .created)
            }
            let first = try decode(ItemPage.self, try await client.api(.get, "/api/v1/folder?limit=2", token: token).body)
            #expect(first.items.map(\.path) == ["a", "b"] && first.items.allSatisfy { $0.category == .folder })
            let next = try #require(first.next)
            let second = try decode(ItemPage.self, try await client.api(.get, "/api/v1/folder?limit=2&after=\(next)", token: token).body)
            #expect(second.items.map(\.path) == ["C"] && second.next == nil && second.cursor == first.cursor)

            let tree = try decode(ItemPage.self, try await client.api(.get, "/api/v1/tree?limit=1000", token: token).body)
            #expect(Set(tree.items.map(\.path)) == ["a", "b", "C"] && tree.next == nil)
            let found = try decode(ItemPage.self, try await client.api(.get, "/api/v1/search?q=c&match=prefix", token: token).body)
            #expect(found.items.map(\.path) == ["C"])

            // A tree too big for one answer is refused in one answer, and read in pages.
            let user = try #require(try await env.store.authenticate(token: token)).user
            try await env.store.database.query(
                """
                WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 50001)
                INSERT INTO files (id, user_id, path, kind, revision, size, content_hash, modified_at)
                SELECT ? || '-' || n, ?, 'a/' || n, 'file', 1, 1, NULL, 0 FROM g
                """,
                [.text(user.id), .text(user.id)]
            )
            let whole = try await client.api(.get, "/api/v1/files", token: token)
            #expect(whole.status == .badRequest && String(decoding: whole.body, as: UTF8.self).contains("too_many_items"))
            let big = try decode(ItemPage.self, try await client.api(.get, "/api/v1/tree", token: token).body)
            #expect(big.items.count == 1000 && big.next != nil)

            for (uri, status) in [
                ("/api/v1/folder?limit=0", HTTPResponse.Status.badRequest),
                ("/api/v1/folder?limit=9223372036854775807", .badRequest),
                ("/api/v1/folder?limit=NaN", .badRequest),
                ("/api/v1/folder?path=nope", .notFound),
                ("/api/v1/folder?path=..", .badRequest),
                ("/api/v1/folder?after=bm90IGEgdG9rZW4", .badRequest),
                ("/api/v1/tree?limit=-1", .badRequest),
                ("/api/v1/tree?after=" + String(repeating: "f", count: 65), .badRequest),
                ("/api/v1/search", .badRequest),
                ("/api/v1/search?q=", .badRequest),
                ("/api/v1/search?q=a%2Fb", .badRequest),
                ("/api/v1/search?q=a&match=regex", .badRequest),
            ] {
                #expect(try await client.api(.get, uri, token: token).status == status, "\(uri)")
            }
        }
    }
}
