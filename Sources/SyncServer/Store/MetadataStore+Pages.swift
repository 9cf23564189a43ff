import Foundation
import SyncAPI

/// An item's folder and name, read out of its path by SQL both databases run the same way
/// (every function here is immutable), kept as generated columns of `files` (PostgreSQL stores
/// them, SQLite computes them), which the listings' indexes hold.
enum TreeSQL {
    /// The folder an item is in, as a path prefix: `a/b/` for `a/b/c`, empty at the top.
    /// (`rtrim` strips every character but `/` from the end.)
    static let parentExpression = "rtrim(path, replace(path, '/', ''))"
    /// What names sort and match by: the name after the folder's prefix, without case (SQLite
    /// folds ASCII letters only, PostgreSQL every letter its collation knows).
    static let sortNameExpression = "lower(substr(path, length(\(parentExpression)) + 1))"
    /// Folders before files: 0 for a folder, 1 for a file.
    static let kindRankExpression = "CASE kind WHEN 'folder' THEN 0 ELSE 1 END"
    /// The columns.
    static let parent = "parent"
    static let sortName = "sort_name"
}

/// Pages of a user's tree: one folder's items, the whole tree, a search. Each page is one
/// statement, read with the change-feed position it is current to.
extension MetadataStore {
    /// One page, the token of the next one (nil on the last) and the feed's position when it
    /// was read.
    public struct Page: Sendable {
        public var items: [FileRecord]
        public var next: String?
        public var cursor: Int64
    }

    /// The most items one page holds.
    public static let maxPageSize = 1000

    /// A page token the server did not make (or a folder that does not exist).
    static func badToken() -> StoreError {
        .invalidPath("not a page token of this listing: start again without `after`")
    }

    /// The items directly in `folder` (empty: the top), folders first, then by name without
    /// case (ties by name's bytes), `limit` at a time after the page token `after`.
    public func folderPage(userId: String, folder: String, after: String?, limit: Int) async throws -> Page {
        if !folder.isEmpty { try Self.validate(folder) }
        // Where the last page ended: a kind, a sort name and a path, or the start.
        var start: (kind: ItemKind, sortName: String, path: String)?
        if let after {
            guard let parts = PageToken.decode(after, count: 3), let kind = ItemKind(rawValue: parts[0]) else { throw Self.badToken() }
            start = (kind, parts[1], parts[2])
        }
        let limit = Int64(max(1, min(limit, Self.maxPageSize)))
        let (sql, binds) = Self.folderPageStatement(userId: userId, folder: folder, start: start, limit: limit)
        let rows = try await database.query(sql, binds)
        guard let first = rows.first else { throw StoreError.notFound }
        if !folder.isEmpty, try first.int("folder_found") == 0 { throw StoreError.notFound }
        let page = rows.filter { $0["id"] != .null }
        let items = try page.map(Self.file)
        var next: String?
        if items.count == Int(limit), let last = items.last, let lastRow = page.last {
            next = PageToken.encode([last.kind.rawValue, try lastRow.text("sort_name"), last.path])
        }
        return Page(items: items, next: next, cursor: try first.int("change_seq"))
    }

    /// The statement of a folder's page (its plan is checked in the tests): one range scan of
    /// files_children from where the last page ended.
    static func folderPageStatement(
        userId: String,
        folder: String,
        start: (kind: ItemKind, sortName: String, path: String)?,
        limit: Int64
    ) -> (String, [SQLValue]) {
        let prefix = folder.isEmpty ? "" : folder + "/"
        let from: [SQLValue] =
            if let start { [.int(start.kind == .folder ? 0 : 1), .text(start.sortName), .text(start.path)] } else {
                [.int(-1), .text(""), .text("")]
            }
        return (
            """
            SELECT u.change_seq AS change_seq, u.folder_found AS folder_found, f.id AS id, f.path AS path, f.kind AS kind,
                f.revision AS revision, f.size AS size, f.content_hash AS content_hash, f.modified_at AS modified_at, f.sort_name AS sort_name
            FROM (
                SELECT change_seq, (SELECT COUNT(*) FROM files p WHERE p.user_id = ? AND p.path = ? AND p.kind = 'folder' AND p.trashed_at IS NULL) AS folder_found
                FROM users WHERE id = ?
            ) u LEFT JOIN (
                SELECT \(Self.fileColumns), sort_name, kind_rank FROM files
                WHERE user_id = ? AND trashed_at IS NULL AND parent = ? AND (kind_rank, sort_name, path) > (?, ?, ?)
                ORDER BY kind_rank, sort_name, path LIMIT ?
            ) f ON 1 = 1
            ORDER BY f.kind_rank, f.sort_name, f.path
            """,
            [.text(userId), .text(folder), .text(userId), .text(userId), .text(prefix)] + from + [.int(limit)]
        )
    }

    /// The whole tree, `limit` items at a time in the order of their ids (which moves do not
    /// change: every item is on exactly one page, wherever it moves meanwhile).
    ///
    /// Each page is as the tree was at its `cursor`. A client that applies, to each item, the
    /// feed's changes after the cursor of the page it came from (a folder's move to every item
    /// inside it), from the first page's cursor on, has the tree exactly.
    public func treePage(userId: String, after: String?, limit: Int) async throws -> Page {
        if let after, after.isEmpty || after.utf8.count > 64 { throw Self.badToken() }
        let limit = Int64(max(1, min(limit, Self.maxPageSize)))
        let (sql, binds) = Self.treePageStatement(userId: userId, after: after, limit: limit)
        let rows = try await database.query(sql, binds)
        guard let first = rows.first else { throw StoreError.notFound }
        let items = try rows.filter { $0["id"] != .null }.map(Self.file)
        let next = items.count == Int(limit) ? items.last?.id : nil
        return Page(items: items, next: next, cursor: try first.int("change_seq"))
    }

    /// The statement of a page of the whole tree.
    static func treePageStatement(userId: String, after: String?, limit: Int64) -> (String, [SQLValue]) {
        (
            """
            SELECT u.change_seq AS change_seq, f.id AS id, f.path AS path, f.kind AS kind, f.revision AS revision, f.size AS size,
                f.content_hash AS content_hash, f.modified_at AS modified_at
            FROM users u LEFT JOIN (
                SELECT \(Self.fileColumns) FROM files WHERE user_id = ? AND trashed_at IS NULL AND id > ? ORDER BY id LIMIT ?
            ) f ON 1 = 1
            WHERE u.id = ? ORDER BY f.id
            """,
            [.text(userId), .text(after ?? ""), .int(limit), .text(userId)]
        )
    }

    /// How a search matches a name.
    public enum NameMatch: String, Sendable {
        /// The name starts with the query.
        case prefix
        /// The name contains the query.
        case contains
    }

    /// Live items whose name matches `query` without case, by name (ties by path), `limit` at a
    /// time after the page token `after`.
    public func search(userId: String, query: String, match: NameMatch, after: String?, limit: Int) async throws -> Page {
        guard !query.isEmpty, query.utf8.count <= Self.maxNameBytes, !query.utf8.contains(0), !query.contains("/") else {
            throw StoreError.invalidPath("search for a name: 1 to \(Self.maxNameBytes) bytes, without / or NUL")
        }
        var start = ["", ""]
        if let after {
            guard let parts = PageToken.decode(after, count: 2) else { throw Self.badToken() }
            start = parts
        }
        let limit = Int64(max(1, min(limit, Self.maxPageSize)))
        let (sql, binds) = Self.searchStatement(userId: userId, query: query, match: match, start: start, limit: limit, dialect: database.dialect)
        let rows = try await database.query(sql, binds)
        guard let first = rows.first else { throw StoreError.notFound }
        let page = rows.filter { $0["id"] != .null }
        let items = try page.map(Self.file)
        var next: String?
        if items.count == Int(limit), let last = page.last {
            next = PageToken.encode([try last.text("sort_name"), try last.text("path")])
        }
        return Page(items: items, next: next, cursor: try first.int("change_seq"))
    }

    /// The statement of a page of a search.
    static func searchStatement(
        userId: String,
        query: String,
        match: NameMatch,
        start: [String],
        limit: Int64,
        dialect: SQLDialect
    ) -> (String, [SQLValue]) {
        let (condition, binds) = Self.nameCondition(query, match: match, dialect: dialect)
        return (
            """
            SELECT u.change_seq AS change_seq, f.id AS id, f.path AS path, f.kind AS kind, f.revision AS revision, f.size AS size,
                f.content_hash AS content_hash, f.modified_at AS modified_at, f.sort_name AS sort_name
            FROM users u LEFT JOIN (
                SELECT \(Self.fileColumns), sort_name FROM files
                WHERE user_id = ? AND trashed_at IS NULL AND \(condition) AND (\(TreeSQL.sortName), path) > (?, ?)
                ORDER BY \(TreeSQL.sortName), path LIMIT ?
            ) f ON 1 = 1
            WHERE u.id = ? ORDER BY f.sort_name, f.path
            """,
            [.text(userId)] + binds + [.text(start[0]), .text(start[1]), .int(limit), .text(userId)]
        )
    }

    /// The name condition of a search, as each database indexes it: SQLite ranges over (a
    /// prefix) or scans (a substring) the sorted names of `files_names`; PostgreSQL matches
    /// with `LIKE` through the names' trigrams, except a substring too short to have a trigram
    /// (one or two letters), which scans the user's own sorted names (`files_names_sorted`)
    /// rather than every user's.
    static func nameCondition(_ query: String, match: NameMatch, dialect: SQLDialect) -> (String, [SQLValue]) {
        switch (dialect, match) {
        case (.sqlite, .prefix):
            // The names from the prefix up to the least text above all that begin with it.
            if let above = textAbovePrefix(asciiLowercased(query)) {
                ("sort_name >= lower(?) AND sort_name < ?", [.text(query), .text(above)])
            } else {
                ("sort_name >= lower(?)", [.text(query)])
            }
        case (.sqlite, .contains):
            ("instr(sort_name, lower(?)) > 0", [.text(query)])
        case (.postgres, .contains) where query.unicodeScalars.count < 3:
            ("strpos(sort_name, lower(?)) > 0", [.text(query)])
        case (.postgres, _):
            ("sort_name LIKE lower(?) ESCAPE '\\'", [.text(likePattern(query, match: match))])
        }
    }

    /// `text` with the letters A to Z in lower case, and nothing else changed: SQLite's `lower`.
    static func asciiLowercased(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32)! : $0 }))
    }

    /// The least text above every text that begins with `prefix`, in code point (UTF-8 byte)
    /// order: the prefix with its last code point one higher (trailing U+10FFFF dropped, the
    /// surrogates skipped); nil when there is none (a prefix of U+10FFFF only).
    static func textAbovePrefix(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            guard last.value < 0x10FFFF else { continue }
            let next = last.value + 1 == 0xD800 ? 0xE000 : last.value + 1
            scalars.append(Unicode.Scalar(next)!)
            return String(String.UnicodeScalarView(scalars))
        }
        return nil
    }

    /// `query` as a LIKE pattern that matches it literally (its `%`, `_` and `\` escaped).
    static func likePattern(_ query: String, match: NameMatch) -> String {
        var escaped = ""
        for character in query {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return match == .prefix ? escaped + "%" : "%" + escaped + "%"
    }
}

/// Page tokens: the fields of where a page ended, joined by NUL (which no path or name holds)
/// and base64url-encoded, so that a token is one opaque word in a query string.
enum PageToken {
    static func encode(_ fields: [String]) -> String {
        Data(fields.joined(separator: "\u{0}").utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The fields of a token, or nil when it is not one of `count` fields.
    static func decode(_ token: String, count: Int) -> [String]? {
        guard token.utf8.count <= 4 * (MetadataStore.maxPathBytes * 2 + 16) / 3 else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let fields = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        return fields.count == count ? fields : nil
    }
}
