import Foundation
import Testing

@testable import SyncEngine

/// A conflicted copy's name read back (`syncd conflicts`, `syncd filestatus`): every name
/// ConflictName makes, and nothing else.
struct ConflictNameTests {
    @Test(arguments: ["report.pdf", "docs/plan.txt", ".bashrc", "a/b/archive.tar.gz", "no extension", "x (1).txt", "notes.v(2)", "a (b) c"])
    func everyCopyNameReadsBackToItsOriginal(_ name: String) throws {
        let path = try #require(RelativePath(name))
        let date = Date(timeIntervalSince1970: 1_796_000_000)
        let utc = try #require(TimeZone(identifier: "UTC"))
        for (host, taken) in [("laptop", 0), ("my host name", 0), ("srv/01", 2)] {
            var seen = 0
            let copy = ConflictName.copy(of: path, host: host, at: date, timeZone: utc) { _ in
                seen += 1
                return seen <= taken
            }
            let read = try #require(ConflictName.original(of: copy), "\(copy)")
            #expect(read.path == path, "\(copy)")
            #expect(read.host == host.replacingOccurrences(of: "/", with: "-"))
            #expect(read.stamp == ConflictName.stamp(date, utc))
        }
    }

    @Test(arguments: [
        "report.pdf", "report (conflicted copy from ).pdf", "report (conflicted copy from laptop).pdf",
        "report (conflicted copy from laptop 2026-1-29 141503).pdf", "report (conflicted copy from laptop 2026-11-29 14150x).pdf",
        " (conflicted copy from laptop 2026-11-29 141503)",
    ])
    func otherNamesAreNotCopies(_ name: String) throws {
        let path = try #require(RelativePath(name))
        #expect(ConflictName.original(of: path) == nil, "\(name)")
    }
}
