import ArgumentParser
import Foundation
import ServiceSupport
import SyncAPI
import SyncDaemon

/// `--json` output: one document, keys sorted, dates as ISO 8601.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Seconds since the epoch as a local time, `2026-12-07 14:03`.
func localTime(_ seconds: Double) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: Date(timeIntervalSince1970: seconds))
}

/// 1.5 MB, 999 B: sizes as people read them (SI units, as `ls -h --si` and Dropbox show).
func humanSize(_ bytes: Int64) -> String {
    if bytes < 1000 { return "\(bytes) B" }
    var value = Double(bytes)
    for unit in ["kB", "MB", "GB", "TB", "PB"] {
        value /= 1000
        if value < 1000 || unit == "PB" { return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, unit) }
    }
    return "\(bytes) B"
}

/// The server's refusal as the command's error: its message, not a type name.
func explained<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ServerError {
        throw ValidationError(error.message)
    } catch let error as ControlError {
        throw ValidationError(error.description)
    }
}

/// "7d", "12h", "30m", "3600" (seconds), "never": a link's lifetime in seconds (0: never).
func lifetimeSeconds(_ text: String) throws -> Int {
    if text == "never" { return 0 }
    let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    var digits = Substring(text)
    var multiplier = 1
    if let last = text.last, let unit = units[last] {
        multiplier = unit
        digits = text.dropLast()
    }
    guard let count = Int(digits), count > 0, count <= 100 * 365 * 86_400 / multiplier else {
        throw ValidationError("--expires takes a positive duration like 30m, 12h, 7d or 2w (or never), not \(text)")
    }
    return count * multiplier
}

/// `print`, through `displayed(_:)` (ServiceSupport).
func say(_ text: String) { print(displayed(text)) }
