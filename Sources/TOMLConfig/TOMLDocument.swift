import Foundation

/// The subset of TOML that configuration files use, parsed into dotted keys
/// (`[s3]` + `bucket = "x"` → `s3.bucket`).
///
/// Supported: comments, `[table]` and `[dotted.table]` headers, bare, quoted and dotted keys,
/// basic strings with escapes (`\" \\ \n \t \r \b \f \uXXXX \UXXXXXXXX`), literal strings,
/// integers (decimal with `_`, `0x`, `0o`, `0b`), floats (incl. exponents, `inf`, `nan`),
/// booleans, and arrays of these (also over several lines, with a trailing comma).
/// Not supported, and refused with a clear error rather than misread: multi-line strings, dates,
/// inline tables, arrays of tables.
public struct TOMLDocument: Sendable, Equatable {
    /// Every value by its full dotted key.
    public private(set) var values: [String: TOMLValue] = [:]

    public init(parsing text: String) throws(TOMLError) {
        var parser = Parser(text: Array(text.unicodeScalars))
        values = try parser.document()
    }

    public subscript(key: String) -> TOMLValue? { values[key] }
}

private struct Parser {
    let text: [Unicode.Scalar]
    var index = 0
    var line = 1

    init(text: [Unicode.Scalar]) {
        self.text = text
    }

    mutating func document() throws(TOMLError) -> [String: TOMLValue] {
        var values: [String: TOMLValue] = [:]
        var table: [String] = []
        var definedTables: Set<String> = []
        while true {
            skipBlankAndComments()
            guard let char = peek() else { return values }
            if char == "[" {
                index += 1
                if peek() == "[" { throw fail("arrays of tables ([[...]]) are not supported") }
                table = try key()
                skipSpaces()
                guard peek() == "]" else { throw fail("expected ] after the table name") }
                index += 1
                let name = table.joined(separator: ".")
                guard definedTables.insert(name).inserted else { throw fail("table [\(name)] is defined twice") }
                try endOfLine()
                continue
            }
            let path = table + (try key())
            skipSpaces()
            guard peek() == "=" else { throw fail("expected = after the key") }
            index += 1
            skipSpaces()
            let value = try self.value()
            let full = path.joined(separator: ".")
            guard values[full] == nil else { throw fail("\(full) is set twice") }
            values[full] = value
            try endOfLine()
        }
    }

    // MARK: Keys

    mutating func key() throws(TOMLError) -> [String] {
        var parts: [String] = []
        repeat {
            skipSpaces()
            parts.append(try simpleKey())
            skipSpaces()
        } while consume(".")
        return parts
    }

    mutating func simpleKey() throws(TOMLError) -> String {
        if peek() == "\"" { return try basicString() }
        if peek() == "'" { return try literalString() }
        var key = ""
        while let char = peek(),
            ("a"..."z").contains(char) || ("A"..."Z").contains(char)
                || ("0"..."9").contains(char) || char == "_" || char == "-"
        {
            key.unicodeScalars.append(char)
            index += 1
        }
        guard !key.isEmpty else { throw fail("expected a key") }
        return key
    }

    // MARK: Values

    mutating func value() throws(TOMLError) -> TOMLValue {
        guard let char = peek() else { throw fail("expected a value") }
        switch char {
        case "\"":
            if lookingAt("\"\"\"") { throw fail("multi-line strings are not supported") }
            return .string(try basicString())
        case "'":
            if lookingAt("'''") { throw fail("multi-line strings are not supported") }
            return .string(try literalString())
        case "[":
            return try array()
        case "{":
            throw fail("inline tables are not supported; use a [table]")
        case "t", "f":
            if consumeWord("true") { return .boolean(true) }
            if consumeWord("false") { return .boolean(false) }
            throw fail("expected true or false")
        default:
            return try number()
        }
    }

    mutating func array() throws(TOMLError) -> TOMLValue {
        index += 1  // [
        var items: [TOMLValue] = []
        while true {
            skipBlankAndComments()
            if consume("]") { return .array(items) }
            items.append(try value())
            skipBlankAndComments()
            if consume(",") { continue }
            skipBlankAndComments()
            guard consume("]") else { throw fail("expected , or ] in the array") }
            return .array(items)
        }
    }

    mutating func number() throws(TOMLError) -> TOMLValue {
        var token = ""
        while let char = peek(), !" \t\r\n#,]".unicodeScalars.contains(char) {
            token.unicodeScalars.append(char)
            index += 1
        }
        let plain = token.replacingOccurrences(of: "_", with: "")
        if plain.hasPrefix("0x"), let v = Int64(plain.dropFirst(2), radix: 16) { return .integer(v) }
        if plain.hasPrefix("0o"), let v = Int64(plain.dropFirst(2), radix: 8) { return .integer(v) }
        if plain.hasPrefix("0b"), let v = Int64(plain.dropFirst(2), radix: 2) { return .integer(v) }
        if let v = Int64(plain) { return .integer(v) }
        switch plain {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if plain.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let v = Double(plain) { return .float(v) }
        if token.count >= 10, token.contains("-"), token.first?.isNumber == true { throw fail("dates are not supported: \(token)") }
        throw fail(token.isEmpty ? "expected a value" : "not a value: \(token) (strings need quotes)")
    }

    mutating func basicString() throws(TOMLError) -> String {
        index += 1  // "
        var out = ""
        while let char = peek() {
            index += 1
            switch char {
            case "\"":
                return out
            case "\n":
                throw fail("unterminated string")
            case "\\":
                guard let escape = peek() else { throw fail("unterminated string") }
                index += 1
                switch escape {
                case "\"": out += "\""
                case "\\": out += "\\"
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "b": out += "\u{8}"
                case "f": out += "\u{C}"
                case "u", "U":
                    let count = escape == "u" ? 4 : 8
                    guard index + count <= text.count,
                        let code = UInt32(String(String.UnicodeScalarView(text[index..<index + count])), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw fail("bad \\\(escape) escape") }
                    out.unicodeScalars.append(scalar)
                    index += count
                default:
                    throw fail("unknown escape \\\(escape)")
                }
            default:
                out.unicodeScalars.append(char)
            }
        }
        throw fail("unterminated string")
    }

    mutating func literalString() throws(TOMLError) -> String {
        index += 1  // '
        var out = ""
        while let char = peek() {
            index += 1
            if char == "'" { return out }
            if char == "\n" { break }
            out.unicodeScalars.append(char)
        }
        throw fail("unterminated string")
    }

    // MARK: Whitespace

    func peek() -> Unicode.Scalar? { index < text.count ? text[index] : nil }

    func lookingAt(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        return index + scalars.count <= text.count && Array(text[index..<index + scalars.count]) == scalars
    }

    mutating func consume(_ char: Unicode.Scalar) -> Bool {
        guard peek() == char else { return false }
        index += 1
        return true
    }

    mutating func consumeWord(_ word: String) -> Bool {
        guard lookingAt(word) else { return false }
        index += word.unicodeScalars.count
        return true
    }

    mutating func skipSpaces() {
        while let char = peek(), char == " " || char == "\t" { index += 1 }
    }

    mutating func skipBlankAndComments() {
        while let char = peek() {
            if char == " " || char == "\t" || char == "\r" {
                index += 1
            } else if char == "\n" {
                index += 1
                line += 1
            } else if char == "#" {
                while let c = peek(), c != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    /// After a key/value pair or a table header: only spaces and a comment before the newline.
    mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek() == "#" { while let c = peek(), c != "\n" { index += 1 } }
        if peek() == "\r" { index += 1 }
        guard peek() == nil || peek() == "\n" else { throw fail("unexpected text after the value") }
    }

    func fail(_ message: String) -> TOMLError {
        TOMLError(line: line, message: message)
    }
}
