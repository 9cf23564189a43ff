/// One page of items: `GET /api/v1/folder` (one folder's items, folders first, then by name
/// without case), `GET /api/v1/tree` (the whole tree in the server's id order, for daemons) and
/// `GET /api/v1/search` (items by name).
public struct ItemPage: Codable, Sendable, Equatable {
    public var items: [FileMetadata]
    /// Pass back as `after` for the next page; absent on the last page.
    public var next: String?
    /// The change-feed position this page is current to: every item on it is as it was at this
    /// position of the feed (the page is one read).
    public var cursor: Int64

    public init(items: [FileMetadata], next: String?, cursor: Int64) {
        self.items = items
        self.next = next
        self.cursor = cursor
    }
}

extension ItemPage {
    /// The page as JSON bytes (the same document as its `Codable` form).
    public func jsonBytes() throws(JSONText.NotANumber) -> [UInt8] {
        var out = JSONText(capacity: 96 + items.count * 200)
        out.raw("{")
        out.key("items", first: true)
        out.raw("[")
        for (index, item) in items.enumerated() {
            if index > 0 { out.raw(",") }
            try item.write(to: &out)
        }
        out.raw("]")
        if let next {
            out.key("next")
            out.string(next)
        }
        out.key("cursor")
        out.int(cursor)
        out.raw("}")
        return out.bytes
    }
}
