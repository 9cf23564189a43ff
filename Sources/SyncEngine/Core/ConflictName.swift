public import Foundation

/// The name of a conflicted copy: `report (conflicted copy from laptop 2026-11-29 141503).pdf`.
///
/// The extension is what follows the last dot of the name, unless the name starts with its only
/// dot (`.bashrc` has none). Names already taken get ` 2`, ` 3`, ... inside the parentheses.
public enum ConflictName {
    public static func copy(
        of path: RelativePath,
        host: String,
        at date: Date,
        timeZone: TimeZone,
        isTaken: (RelativePath) -> Bool = { _ in false }
    ) -> RelativePath {
        let name = path.name
        var stem = name
        var ext = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            stem = String(name[..<dot])
            ext = String(name[dot...])
        }
        let label = "conflicted copy from \(sanitized(host)) \(stamp(date, timeZone))"
        var attempt = 1
        while true {
            let suffix = attempt == 1 ? "" : " \(attempt)"
            let copyName = "\(stem) (\(label)\(suffix))\(ext)"
            let candidate = path.parent.map { $0.appending(copyName) } ?? RelativePath(unchecked: copyName)
            if !isTaken(candidate) { return candidate }
            attempt += 1
        }
    }

    /// What a conflicted copy's name says: the path of the version it was kept beside, the
    /// device that kept it, and the stamp (`2026-11-29 141503`); nil for any other name.
    public static func original(of copy: RelativePath) -> (path: RelativePath, host: String, stamp: String)? {
        let name = copy.name
        guard let open = name.range(of: " (conflicted copy from ", options: .backwards) else { return nil }
        // The label ends at the first ")" after which it reads as HOST DATE TIME[ N]: an
        // extension may hold parentheses of its own (`notes.v(2)`).
        var close = name[open.upperBound...].firstIndex(of: ")")
        while let end = close {
            if let (host, stamp) = label(name[open.upperBound..<end]) {
                let original = String(name[..<open.lowerBound]) + String(name[name.index(after: end)...])
                guard !original.isEmpty else { return nil }
                let path = copy.parent.map { $0.appending(original) } ?? RelativePath(unchecked: original)
                return (path, host, stamp)
            }
            close = name[name.index(after: end)...].firstIndex(of: ")")
        }
        return nil
    }

    /// `HOST YYYY-MM-DD HHMMSS[ N]` → (HOST, `YYYY-MM-DD HHMMSS`).
    static func label(_ text: Substring) -> (host: String, stamp: String)? {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if let last = words.last, words.count >= 4, Int(last) != nil, last.count < 6 { words.removeLast() }
        guard words.count >= 3 else { return nil }
        let time = words.removeLast()
        let day = words.removeLast()
        let host = words.joined(separator: " ")
        let digits = day.split(separator: "-")
        func isDigits(_ s: some StringProtocol) -> Bool { s.allSatisfy { $0.isASCII && $0.isNumber } }
        guard time.count == 6, isDigits(time), digits.map(\.count) == [4, 2, 2], digits.allSatisfy(isDigits), !host.isEmpty else { return nil }
        return (host, "\(day) \(time)")
    }

    /// `YYYY-MM-DD HHMMSS` in the given zone.
    static func stamp(_ date: Date, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String {
            let s = String(v ?? 0)
            return s.count < 2 ? "0" + s : s
        }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour))\(two(c.minute))\(two(c.second))"
    }

    /// A host name cannot carry `/` into a file name.
    static func sanitized(_ host: String) -> String {
        host.replacingOccurrences(of: "/", with: "-")
    }
}
