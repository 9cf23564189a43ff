/// A JSON writer for the API's largest and most frequent answers (the tree listing, the change
/// feed): the document `JSONEncoder` makes of the same values (same keys, nil optionals left
/// out, any decoder reads them back equal), written straight into bytes. `JSONEncoder` builds
/// a tree of boxed values first, which was a fifth of the server's CPU on a listing.
public struct JSONText: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// A number that JSON cannot hold (NaN, infinity).
    public struct NotANumber: Error, CustomStringConvertible {
        public let key: String
        public var description: String { "\(key) is not a finite number" }
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `"name":` — the names written are the API's own, which need no escaping.
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(contentsOf: [Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xf)])
            default:
                // Everything else, multi-byte UTF-8 included, is valid inside a JSON string as is.
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// The shortest text that reads back as the same Double (Swift's `description`, which is
    /// valid JSON for every finite value: `1e+16`, `5e-324`, `0.1`).
    mutating func double(_ value: Double, key: String) throws(NotANumber) {
        guard value.isFinite else { throw NotANumber(key: key) }
        bytes.append(contentsOf: value.description.utf8)
    }
}

extension FileMetadata {
    /// This item as a JSON object (the same as its `Codable` form).
    public func write(to out: inout JSONText) throws(JSONText.NotANumber) {
        out.raw("{")
        out.key("id", first: true)
        out.string(id)
        out.key("path")
        out.string(path)
        out.key("kind")
        out.string(kind.rawValue)
        out.key("revision")
        out.int(revision)
        out.key("size")
        out.int(size)
        if let sha256 {
            out.key("sha256")
            out.string(sha256)
        }
        out.key("modifiedAt")
        try out.double(modifiedAt, key: "modifiedAt")
        if let category {
            out.key("category")
            out.string(category.rawValue)
        }
        out.raw("}")
    }
}

extension FileListing {
    /// The listing as JSON bytes (the same document as its `Codable` form).
    public func jsonBytes() throws(JSONText.NotANumber) -> [UInt8] {
        var out = JSONText(capacity: 64 + files.count * 200)
        out.raw("{")
        out.key("files", first: true)
        out.raw("[")
        for (index, file) in files.enumerated() {
            if index > 0 { out.raw(",") }
            try file.write(to: &out)
        }
        out.raw("]")
        out.key("cursor")
        out.int(cursor)
        out.raw("}")
        return out.bytes
    }
}

extension ChangesResponse {
    /// The page of the feed as JSON bytes (the same document as its `Codable` form).
    public func jsonBytes() throws(JSONText.NotANumber) -> [UInt8] {
        var out = JSONText(capacity: 64 + changes.count * 220)
        out.raw("{")
        out.key("changes", first: true)
        out.raw("[")
        for (index, change) in changes.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{")
            out.key("seq", first: true)
            out.int(change.seq)
            out.key("deleted")
            out.bool(change.deleted)
            out.key("file")
            try change.file.write(to: &out)
            if let movedFrom = change.movedFrom {
                out.key("movedFrom")
                out.string(movedFrom)
            }
            out.raw("}")
        }
        out.raw("]")
        out.key("cursor")
        out.int(cursor)
        out.raw("}")
        return out.bytes
    }
}
