/// One component of an ignore pattern, compiled: `**` alone (any number of folders), or a glob
/// over the bytes of one name with `*`, `?`, `[...]` and `\` escapes, as `fnmatch(3)` with no
/// flags reads it in the C locale (`*` and `?` match a leading dot too; names hold no `/`).
///
/// Matching is the wildcard matcher with one backtrack point (the last `*` seen): every other
/// token takes exactly one byte, so when a later `*` is reached an earlier one never needs to
/// take more, and the work is at most pattern × name steps. ``matchComponents(_:_:)`` is the
/// same algorithm one level up, with `**` as the star and each glob taking one component; a
/// rule thus costs at most its length × the path's, where a recursive matcher (or glibc's
/// `fnmatch`, which backtracks every `*`) is exponential in the number of stars.
struct Glob: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case byte(UInt8)
        /// `?`
        case anyByte
        /// `*` (several in a row are one)
        case star
        /// `[...]`, negation already applied.
        case set(ByteSet)
    }

    /// `**` alone: zero or more whole components.
    let anyComponents: Bool
    let tokens: [Token]
    /// Set when the pattern can never match (it ends in a lone `\`, as fnmatch reads it).
    let matchesNothing: Bool

    init(_ pattern: String) {
        if pattern == "**" {
            anyComponents = true
            tokens = [.star]
            matchesNothing = false
            return
        }
        anyComponents = false
        var tokens: [Token] = []
        var nothing = false
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "*"):
                if tokens.last != .star { tokens.append(.star) }
                i += 1
            case UInt8(ascii: "?"):
                tokens.append(.anyByte)
                i += 1
            case UInt8(ascii: "\\"):
                if i + 1 < bytes.count {
                    tokens.append(.byte(bytes[i + 1]))
                    i += 2
                } else {
                    nothing = true
                    i += 1
                }
            case UInt8(ascii: "["):
                if let (set, end) = ByteSet.parseBracket(bytes, from: i) {
                    tokens.append(.set(set))
                    i = end
                } else {
                    // An unterminated bracket is a literal `[`.
                    tokens.append(.byte(c))
                    i += 1
                }
            default:
                tokens.append(.byte(c))
                i += 1
            }
        }
        self.tokens = tokens
        matchesNothing = nothing
    }

    /// Whether one name (no `/`) matches.
    func matches(_ name: [UInt8]) -> Bool {
        if anyComponents { return true }
        if matchesNothing { return false }
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < tokens.count {
                switch tokens[p] {
                case .star:
                    starP = p
                    starN = n
                    p += 1
                    continue
                case .byte(let b) where b == name[n]:
                    p += 1
                    n += 1
                    continue
                case .anyByte:
                    p += 1
                    n += 1
                    continue
                case .set(let set) where set.contains(name[n]):
                    p += 1
                    n += 1
                    continue
                default:
                    break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    /// Whether pattern components match path components; `**` takes zero or more (a trailing
    /// `**` also matches nothing at all, so `dir/**` matches `dir` itself).
    static func matchComponents(_ globs: [Glob], _ names: [[UInt8]]) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < names.count {
            if p < globs.count {
                if globs[p].anyComponents {
                    starP = p
                    starN = n
                    p += 1
                    continue
                }
                if globs[p].matches(names[n]) {
                    p += 1
                    n += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < globs.count, globs[p].anyComponents { p += 1 }
        return p == globs.count
    }
}

/// A set of bytes (a bracket expression of a glob).
struct ByteSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func invert() {
        words = (~words.0, ~words.1, ~words.2, ~words.3)
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    /// Parses `[...]` starting at `bytes[start] == "["`: `!` or `^` first negates, a `]` first
    /// is literal, `a-z` ranges, `[:alpha:]`-style classes, `\` escapes. Returns the set and the
    /// index after the closing `]`, or nil when there is none (the `[` is then literal).
    static func parseBracket(_ bytes: [UInt8], from start: Int) -> (ByteSet, Int)? {
        var set = ByteSet()
        var i = start + 1
        var negated = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^") {
            negated = true
            i += 1
        }
        var first = true
        while i < bytes.count {
            var c = bytes[i]
            if c == UInt8(ascii: "]") && !first {
                if negated { set.invert() }
                return (set, i + 1)
            }
            first = false
            if c == UInt8(ascii: "["), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ":"),
                let close = findClassEnd(bytes, from: i + 2)
            {
                let name = String(decoding: bytes[(i + 2)..<close], as: UTF8.self)
                for b in classMembers(name) ?? [] { set.insert(b) }
                i = close + 2
                continue
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { return nil }
                c = bytes[i]
            }
            i += 1
            // A range, unless the `-` is the last byte before `]`.
            if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] != UInt8(ascii: "]") {
                var high = bytes[i + 1]
                i += 2
                if high == UInt8(ascii: "\\") {
                    guard i < bytes.count else { return nil }
                    high = bytes[i]
                    i += 1
                }
                if c <= high { for b in c...high { set.insert(b) } }
                continue
            }
            set.insert(c)
        }
        return nil
    }

    private static func findClassEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: ":") && bytes[i + 1] == UInt8(ascii: "]") { return i }
            if !(bytes[i] >= UInt8(ascii: "a") && bytes[i] <= UInt8(ascii: "z")) { return nil }
            i += 1
        }
        return nil
    }

    /// The POSIX classes in the C locale.
    private static func classMembers(_ name: String) -> [UInt8]? {
        let all = (0...127).map { UInt8($0) }
        func isUpper(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
        func isLower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        func isPunct(_ b: UInt8) -> Bool { b > 32 && b < 127 && !isUpper(b) && !isLower(b) && !isDigit(b) }
        switch name {
        case "alpha": return all.filter { isUpper($0) || isLower($0) }
        case "digit": return all.filter(isDigit)
        case "alnum": return all.filter { isUpper($0) || isLower($0) || isDigit($0) }
        case "upper": return all.filter(isUpper)
        case "lower": return all.filter(isLower)
        case "space": return [9, 10, 11, 12, 13, 32]
        case "blank": return [9, 32]
        case "punct": return all.filter(isPunct)
        case "xdigit": return all.filter { isDigit($0) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }
        case "cntrl": return all.filter { $0 < 32 || $0 == 127 }
        case "print": return all.filter { $0 >= 32 && $0 < 127 }
        case "graph": return all.filter { $0 > 32 && $0 < 127 }
        default: return nil
        }
    }
}
