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
