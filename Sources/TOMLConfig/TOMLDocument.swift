import Foundation
import TOMLKit

/// A configuration file: TOML (1.0, parsed by TOMLKit, which wraps toml++), flattened into
/// dotted keys (`[s3]` + `bucket = "x"` → `s3.bucket`; an inline table `t = { a = 1 }` gives
/// `t.a`).
///
/// Every TOML value a setting can be is read: strings (basic, literal, multi-line), integers,
/// floats, booleans and arrays of these. Dates and times, and arrays of tables (`[[x]]`), are
/// refused with the key they are at: no setting takes them, and a file that holds one was
/// written for something else.
public struct TOMLDocument: Sendable, Equatable {
    /// Every value by its full dotted key.
    public private(set) var values: [String: TOMLValue] = [:]

    public init(parsing text: String) throws(TOMLError) {
        // TOMLKit hands the text to C: a NUL would end the document there (the rest silently
        // dropped), and a NUL escaped into a key trips it. No setting holds one.
        if let line = Self.lineOfNUL(text) {
            throw TOMLError(line: line, message: "a NUL character (raw or escaped) has no place in a configuration file")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLError(line: error.source.begin.line, message: error.description)
        } catch {
            throw TOMLError(line: 0, message: "\(error)")
        }
        try Self.flatten(table, prefix: "", into: &values)
    }

    public subscript(key: String) -> TOMLValue? { values[key] }

    private static func flatten(_ table: TOMLTable, prefix: String, into values: inout [String: TOMLValue]) throws(TOMLError) {
        for (key, value) in table {
            let full = prefix.isEmpty ? key : prefix + "." + key
            // A quoted key holding a dot would flatten onto another table's key: `"sync.mode"`
            // at the top and `mode` in `[sync]` would silently overwrite each other.
            guard !key.contains("."), !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw TOMLError(line: 0, message: "\(full): a key may not hold a dot or a control character (use a [table] instead)")
            }
            if value.type == .table, let inner = value.table {
                try flatten(inner, prefix: full, into: &values)
            } else {
                guard values[full] == nil else { throw TOMLError(line: 0, message: "\(full) is set twice") }
                values[full] = try convert(value, key: full)
            }
        }
    }

    /// The line of the first raw NUL, or of a `\u0000` / `\U00000000` escape (nil: none).
    static func lineOfNUL(_ text: String) -> Int? {
        var line = 1
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" { line += 1 }
            if scalar.value == 0 { return line }
            if scalar == "\\", index + 1 < scalars.count, scalars[index + 1] == "u" || scalars[index + 1] == "U" {
                let width = scalars[index + 1] == "u" ? 4 : 8
                let digits = scalars.dropFirst(index + 2).prefix(width)
                if digits.count == width, digits.allSatisfy({ $0 == "0" }) { return line }
            }
            index += 1
        }
        return nil
    }

    private static func convert(_ value: any TOMLValueConvertible, key: String) throws(TOMLError) -> TOMLValue {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(Int64(value.int ?? 0))
        case .double: return .float(value.double ?? 0)
        case .bool: return .boolean(value.bool ?? false)
        case .array:
            var elements: [TOMLValue] = []
            for element in value.array ?? TOMLArray() {
                if element.type == .table { throw TOMLError(line: 0, message: "\(key): arrays of tables are not settings here") }
                elements.append(try convert(element, key: key))
            }
            return .array(elements)
        case .date, .time, .dateTime:
            throw TOMLError(line: 0, message: "\(key): dates and times are not settings here (quote it to make it a string)")
        case .table:
            throw TOMLError(line: 0, message: "\(key): a table is not a value here")
        }
    }
}
