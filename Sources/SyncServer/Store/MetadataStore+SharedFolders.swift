import SyncAPI

/// What a folder's link reaches: the items inside the folder as it is now (a link follows its
/// folder across moves; an item moved out of it is out of reach).
extension MetadataStore {
    /// The live item at `relative` inside `folder` (a relative path the visitor gave: checked
    /// like any path, so `..` and absolute paths never leave the folder); nil when there is none.
    public func item(inside folder: FileRecord, userId: String, relative: String) async throws -> FileRecord? {
        try Self.validate(relative)
        let path = folder.path + "/" + relative
        try Self.validate(path)
        return try await file(userId: userId, path: path)
    }

    /// Everything inside `folder` (files and folders), in byte order of the path, `limit` at a
    /// time after the path `after`: the whole folder a page at a time, for its zip.
    public func descendants(of folder: FileRecord, userId: String, after: String?, limit: Int) async throws -> [FileRecord] {
        let (inside, binds) = Self.inside(folder.path, dialect: database.dialect)
        let byBytes = database.dialect == .postgres ? "(path COLLATE \"C\")" : "path"
        var sql = "SELECT \(Self.fileColumns) FROM files WHERE user_id = ? AND trashed_at IS NULL AND \(inside)"
        var arguments: [SQLValue] = [.text(userId)] + binds
        if let after {
            sql += " AND \(byBytes) > ?"
            arguments.append(.text(after))
        }
        sql += " ORDER BY \(byBytes) LIMIT ?"
        arguments.append(.int(Int64(max(1, min(limit, Self.maxPageSize)))))
        return try await database.query(sql, arguments).map(Self.file)
    }
}
