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
            if value.type == .table, let inner = value.table {
                try flatten(inner, prefix: full, into: &values)
            } else {
                values[full] = try convert(value, key: full)
            }
        }
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
