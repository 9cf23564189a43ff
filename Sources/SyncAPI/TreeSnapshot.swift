/// The whole tree read a page at a time (`GET /api/v1/tree`) while it may change, made exact
/// with the change feed.
///
/// Pages come in id order, which moves never change, so every item is on exactly one page;
/// each page is as the tree was at its own cursor. Each item remembers the position it is
/// known at; a change of the feed applies to an item only if it is later than that (its own
/// entry, or for a folder's move or deletion, to everything that was inside the folder). Read
/// every page, then the feed from ``start`` until it is empty: the items are the tree at the
/// feed's last position.
public struct TreeSnapshot: Sendable {
    /// Each item by id, with the feed position it is known at.
    public private(set) var items: [String: (file: FileMetadata, asOf: Int64)] = [:]
    /// The first page's cursor: where to read the feed from.
    public private(set) var start: Int64?

    public init() {}

    /// Adds a page of the tree (in the order they were read).
    public mutating func add(_ page: ItemPage) {
        if start == nil { start = page.cursor }
        for item in page.items { items[item.id] = (item, page.cursor) }
    }

    /// Applies changes of the feed after ``start``, oldest first.
    public mutating func apply(_ changes: [ChangesResponse.Change]) {
        for change in changes {
            if let movedFrom = change.movedFrom {
                let from = movedFrom + "/"
                let to = change.file.path + "/"
                // By bytes, as the server compares paths (a String compares canonical equivalents equal).
                for (id, item) in items where item.asOf < change.seq && item.file.path.utf8.starts(with: from.utf8) {
                    var file = item.file
                    file.path = to + String(decoding: file.path.utf8.dropFirst(from.utf8.count), as: UTF8.self)
                    items[id] = (file, item.asOf)
                }
            }
            if change.deleted, change.file.kind == .folder {
                // Everything that was inside the folder then was deleted with it.
                let inside = change.file.path + "/"
                for (id, item) in items where item.asOf < change.seq && item.file.path.utf8.starts(with: inside.utf8) { items[id] = nil }
            }
            if let known = items[change.file.id], known.asOf >= change.seq { continue }
            if change.deleted {
                items[change.file.id] = nil
            } else {
                // The feed does not carry times: the last one known stays.
                var file = change.file
                file.modifiedAt = items[change.file.id]?.file.modifiedAt ?? file.modifiedAt
                items[change.file.id] = (file, change.seq)
            }
        }
    }
}
