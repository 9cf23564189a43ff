import Foundation

/// Sizes and rates as people write them in config files: "512KiB", "10MB", "50 GB", "5MB/s";
/// decimal (k, M, G, T) and binary (Ki, Mi, Gi, Ti) units; "0", "" and "unlimited" mean no limit.
public enum ByteSize {
    /// The number of bytes, or nil for no limit. `minimum` guards against a unit left off by
    /// mistake ("1" meaning one byte a second is never what anyone meant).
    public static func parse(_ text: String?, key: String, minimum: Int64 = 1024, isRate: Bool = false) throws -> Int64? {
        guard var value = text?.trimmingCharacters(in: .whitespaces).lowercased(), !value.isEmpty, value != "0", value != "unlimited" else {
            return nil
        }
        if isRate, value.hasSuffix("/s") { value.removeLast(2) }
        if value.hasSuffix("b") { value.removeLast() }
        let units: [(String, Double)] = [
            ("ki", 1024), ("mi", 1_048_576), ("gi", 1_073_741_824), ("ti", 1_099_511_627_776), ("k", 1e3), ("m", 1e6), ("g", 1e9), ("t", 1e12),
        ]
        var factor = 1.0
        for (suffix, size) in units where value.hasSuffix(suffix) {
            factor = size
            value.removeLast(suffix.count)
            break
        }
        // Below 2^63 (a Double that large would trap as an Int64): nothing real is that big.
        guard let number = Double(value.trimmingCharacters(in: .whitespaces)), number > 0, number * factor >= Double(minimum),
            number * factor < 9.2e18
        else {
            let example = isRate ? "a rate like \"10MB\" or \"512KiB\" (at least 1 KiB/s)" : "a size like \"50GB\" or \"512MiB\""
            throw ConfigError("\(key) must be \(example), or \"unlimited\"; not \"\(text ?? "")\"")
        }
        return Int64(number * factor)
    }
}
