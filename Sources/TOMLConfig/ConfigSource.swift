public import Foundation

/// Settings from a TOML file, each overridable by an environment variable: `s3.bucket` is read
/// from `SYNCD_S3_BUCKET` first, then from `bucket` in the file's `[s3]` table.
///
/// A value of the wrong type is an error naming the setting and where it came from, never a
/// silent default; a required setting that is missing says both ways to set it.
public struct ConfigSource: Sendable {
    public let document: TOMLDocument
    /// Where the file was read from, for messages ("the configuration" when none).
    public let origin: String
    let environment: [String: String]
    let prefix: String

    public init(
        document: TOMLDocument = try! TOMLDocument(parsing: ""),
        origin: String = "the configuration",
        environment: [String: String],
        prefix: String = "SYNCD"
    ) {
        self.document = document
        self.origin = origin
        self.environment = environment
        self.prefix = prefix
    }

    /// Reads and parses a file; a missing file gives an empty configuration (env only).
    public static func load(
        path: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        prefix: String = "SYNCD"
    ) throws -> ConfigSource {
        guard let path, FileManager.default.fileExists(atPath: path) else {
            return ConfigSource(environment: environment, prefix: prefix)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        do {
            return ConfigSource(document: try TOMLDocument(parsing: text), origin: path, environment: environment, prefix: prefix)
        } catch {
            throw ConfigError("\(path): \(error)")
        }
    }

    /// `s3.bucket` → `SYNCD_S3_BUCKET`.
    public func environmentName(_ key: String) -> String {
        prefix + "_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    public func string(_ key: String) throws -> String? {
        if let value = environment[environmentName(key)] { return value }
        switch document[key] {
        case nil: return nil
        case .string(let s)?: return s
        case let other?: throw mismatch(key, "a string", other)
        }
    }

    public func int(_ key: String) throws -> Int? {
        if let value = environment[environmentName(key)] {
            guard let number = Int(value.replacingOccurrences(of: "_", with: "")) else {
                throw ConfigError("\(environmentName(key))=\(value) is not a whole number")
            }
            return number
        }
        switch document[key] {
        case nil: return nil
        case .integer(let i)?: return Int(i)
        case let other?: throw mismatch(key, "a whole number", other)
        }
    }

    public func double(_ key: String) throws -> Double? {
        if let value = environment[environmentName(key)] {
            guard let number = Double(value) else { throw ConfigError("\(environmentName(key))=\(value) is not a number") }
            return number
        }
        switch document[key] {
        case nil: return nil
        case .integer(let i)?: return Double(i)
        case .float(let f)?: return f
        case let other?: throw mismatch(key, "a number", other)
        }
    }

    public func bool(_ key: String) throws -> Bool? {
        if let value = environment[environmentName(key)] {
            switch value.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigError("\(environmentName(key))=\(value) is not true or false")
            }
        }
        switch document[key] {
        case nil: return nil
        case .boolean(let b)?: return b
        case let other?: throw mismatch(key, "true or false", other)
        }
    }

    /// A list: a TOML array of strings, or a comma-separated environment variable.
    public func strings(_ key: String) throws -> [String]? {
        if let value = environment[environmentName(key)] {
            return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        switch document[key] {
        case nil: return nil
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let s) = item else { throw mismatch(key, "a list of strings", item) }
                return s
            }
        case let other?: throw mismatch(key, "a list of strings", other)
        }
    }

    /// A string that must be set.
    public func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else {
            let parts = key.split(separator: ".")
            let where_ =
                parts.count > 1
                ? "\(parts.last!) = \"…\" in the [\(parts.dropLast().joined(separator: "."))] table of \(origin)" : "\(key) = \"…\" in \(origin)"
            throw ConfigError("\(key) is not set: put \(where_), or set \(environmentName(key))")
        }
        return value
    }

    private func mismatch(_ key: String, _ expected: String, _ found: TOMLValue) -> ConfigError {
        ConfigError("\(key) in \(origin) must be \(expected), not \(found)")
    }
}

/// A configuration that cannot be used, with what to fix.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
