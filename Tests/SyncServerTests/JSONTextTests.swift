import Foundation
import SyncAPI
import Testing

/// The listing and the change feed are written by hand (``JSONText``): every client decodes
/// them, so they must read back as exactly the values written, hostile names included, and
/// carry the keys `JSONEncoder` would.
@Suite struct JSONTextTests {
    static let names = [
        "plain.txt", "quote\"d", "back\\slash", "new\nline", "tab\there", "cr\r", "nul\u{0}", "bell\u{7}", "esc\u{1b}[31m",
        "del\u{7f}", "unit\u{1f}", "line\u{2028}sep", "emoji 👩‍👩‍👧", "é composed", "e\u{301} decomposed", "日本語/ファイル", "</script>", "a/b/c",
        "",
    ]

    static func files(_ count: Int, seed: UInt64) -> [FileMetadata] {
        // Well-spread values that are the same on every run.
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
        let doubles: [Double] = [
            0, -0.0, 0.1, 1_733_250_000.123_456, 1e16, 1e300, Double.leastNonzeroMagnitude, -1_733_250_000.5, Double.greatestFiniteMagnitude,
        ]
        return (0..<count).map { i in
            FileMetadata(
                id: names[Int(next() % UInt64(names.count))],
                path: names[i % names.count] + "/\(i)",
                kind: i % 3 == 0 ? .folder : .file,
                revision: [Int64.min, -1, 0, 1, Int64.max][Int(next() % 5)],
                size: Int64(bitPattern: next()),
                sha256: i % 4 == 0 ? nil : names[i % names.count],
                modifiedAt: i < doubles.count ? doubles[i] : Double(bitPattern: next() & 0x7fef_ffff_ffff_ffff),
                category: i % 5 == 0 ? nil : FileCategory.allCases[i % FileCategory.allCases.count]
            )
        }
    }

    @Test func aListingReadsBackAsWritten() throws {
        let listing = FileListing(files: Self.files(200, seed: 7), cursor: Int64.max)
        let bytes = try listing.jsonBytes()
        #expect(try JSONDecoder().decode(FileListing.self, from: Data(bytes)) == listing)
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any], "a strict parser takes it too")
        #expect(try Self.keys(Data(bytes)) == Self.keys(JSONEncoder().encode(listing)), "the keys JSONEncoder writes, nil ones left out alike")
        #expect(try JSONDecoder().decode(FileListing.self, from: Data(FileListing(files: [], cursor: 0).jsonBytes())).files.isEmpty)
    }

    @Test func aFeedPageReadsBackAsWritten() throws {
        let page = ChangesResponse(
            changes: Self.files(120, seed: 11).enumerated().map { .init(seq: Int64($0.offset), deleted: $0.offset % 2 == 0, file: $0.element) },
            cursor: 119
        )
        let bytes = try page.jsonBytes()
        #expect(try JSONDecoder().decode(ChangesResponse.self, from: Data(bytes)) == page)
        #expect(try Self.keys(Data(bytes)) == Self.keys(JSONEncoder().encode(page)))
    }

    @Test func aNumberJSONCannotHoldIsRefusedNotWritten() {
        for bad in [Double.nan, .infinity, -.infinity] {
            var file = Self.files(1, seed: 1)[0]
            file.modifiedAt = bad
            #expect(throws: JSONText.NotANumber.self) { try FileListing(files: [file], cursor: 0).jsonBytes() }
        }
    }

    /// Every key path of a JSON document, e.g. `files.[].sha256`, with how often it occurs.
    static func keys(_ data: Data) throws -> [String: Int] {
        var found: [String: Int] = [:]
        func walk(_ value: Any, _ prefix: String) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    found[prefix + key, default: 0] += 1
                    walk(inner, prefix + key + ".")
                }
            } else if let array = value as? [Any] {
                for inner in array { walk(inner, prefix + "[].") }
            }
        }
        walk(try JSONSerialization.jsonObject(with: data), "")
        return found
    }
}
