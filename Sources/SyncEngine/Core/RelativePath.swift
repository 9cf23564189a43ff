/// A path inside the synced folder, relative to its root, `/`-separated, byte-exact.
///
/// Equality, hashing and order are on the UTF-8 bytes: Swift's `String ==` treats NFC and NFD
/// spellings of a name as equal, but on Linux they are two different files.
public struct RelativePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path as text, e.g. `Photos/2024/beach.jpg`. Never starts or ends with `/`.
    public let string: String

    /// The longest name Linux allows (NAME_MAX), in bytes.
    public static let maxComponentBytes = 255
    /// The longest path accepted, in bytes (PATH_MAX).
    public static let maxBytes = 4096

    /// Accepts a non-empty path of non-empty components, none of them `.` or `..`, without NUL,
    /// no component over 255 bytes and no more than 4096 bytes in all: a path the server hands
    /// out is used only if it names something inside the folder that Linux can hold.
    public init?(_ string: String) {
        guard Self.isWellFormed(string) else { return nil }
        self.string = string
    }

    /// Whether `string` passes ``init(_:)``'s checks.
    public static func isWellFormed(_ string: String) -> Bool {
        let bytes = string.utf8
        guard !bytes.isEmpty, bytes.count <= maxBytes, bytes.first != UInt8(ascii: "/"), bytes.last != UInt8(ascii: "/") else { return false }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty || component.count > maxComponentBytes { return false }
            if component.elementsEqual(".".utf8) || component.elementsEqual("..".utf8) || component.contains(0) { return false }
        }
        return true
    }

    /// Whether this path passes ``init(_:)``'s checks (one made unchecked may not).
    public var isWellFormed: Bool { Self.isWellFormed(string) }

    init(unchecked string: String) {
        self.string = string
    }

    public var description: String { string }

    /// The last component.
    public var name: String {
        guard let slash = string.utf8.lastIndex(of: UInt8(ascii: "/")) else { return string }
        return String(string[string.utf8.index(after: slash)...])
    }

    /// The containing folder, or nil at the top level.
    public var parent: RelativePath? {
        guard let slash = string.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return RelativePath(unchecked: String(string[..<slash]))
    }

    /// Every containing folder, outermost first.
    public var ancestors: [RelativePath] {
        var result: [RelativePath] = []
        var current = parent
        while let folder = current {
            result.append(folder)
            current = folder.parent
        }
        return result.reversed()
    }

    /// The number of components.
    public var depth: Int { string.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) } }

    public func appending(_ name: String) -> RelativePath {
        RelativePath(unchecked: string + "/" + name)
    }

    /// Whether `self` lies strictly inside `folder`.
    public func isInside(_ folder: RelativePath) -> Bool {
        string.utf8.count > folder.string.utf8.count + 1
            && string.utf8.starts(with: folder.string.utf8)
            && string.utf8[string.utf8.index(string.utf8.startIndex, offsetBy: folder.string.utf8.count)] == UInt8(ascii: "/")
    }

    /// This path with the leading `folder` replaced by `replacement` (`self` must be
    /// `folder` or inside it).
    public func rebased(from folder: RelativePath, to replacement: RelativePath) -> RelativePath {
        if self == folder { return replacement }
        let suffix = string.utf8.dropFirst(folder.string.utf8.count)
        return RelativePath(unchecked: replacement.string + String(decoding: suffix, as: UTF8.self))
    }

    public static func == (lhs: RelativePath, rhs: RelativePath) -> Bool {
        let (l, r) = (lhs.string.utf8, rhs.string.utf8)
        guard l.count == r.count else { return false }
        // Native strings hold their UTF-8 contiguously: compare the bytes at once.
        let equal = l.withContiguousStorageIfAvailable { a in r.withContiguousStorageIfAvailable { b in a.elementsEqual(b) } }
        return (equal ?? nil) ?? l.elementsEqual(r)
    }

    public func hash(into hasher: inout Hasher) {
        if string.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            var string = string
            string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
        hasher.combine(0xFF as UInt8)
    }

    /// Byte order, so a folder sorts right before its contents ("a" < "a/b" < "a b").
    public static func < (lhs: RelativePath, rhs: RelativePath) -> Bool {
        let ordered = lhs.string.utf8.withContiguousStorageIfAvailable { a in
            rhs.string.utf8.withContiguousStorageIfAvailable { b in precedes(a.makeIterator(), b.makeIterator()) }
        }
        return (ordered ?? nil) ?? precedes(lhs.string.utf8.makeIterator(), rhs.string.utf8.makeIterator())
    }

    /// Byte order with '/' lowest.
    private static func precedes<L: IteratorProtocol<UInt8>, R: IteratorProtocol<UInt8>>(_ l: L, _ r: R) -> Bool {
        var (l, r) = (l, r)
        // '/' compares as lowest so that a folder's contents follow it directly.
        while true {
            switch (l.next(), r.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case (let a?, let b?):
                if a == b { continue }
                let ka = a == UInt8(ascii: "/") ? 0 : Int(a) + 1
                let kb = b == UInt8(ascii: "/") ? 0 : Int(b) + 1
                return ka < kb
            }
        }
    }
}
