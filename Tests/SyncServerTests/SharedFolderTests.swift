import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SyncAPI
import Testing

@testable import SyncServer

/// Folder links on both databases: the folder's pages (folders first, paged), a file inside it
/// (page, download), nothing outside it however the path is spelled, an item moved out is out of
/// reach, and the whole folder as one zip equal byte for byte to the files.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SharedFolderTests {
    static func mkdir(_ path: String, _ token: String, _ client: any TestClientProtocol) async throws {
        #expect(try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: path)).status == .created)
    }

    static func get(
        _ client: any TestClientProtocol,
        _ uri: String
    ) async throws -> (status: HTTPResponse.Status, body: ByteBuffer, headers: HTTPFields) {
        try await client.execute(uri: uri, method: .get) { ($0.status, $0.body, $0.headers) }
    }

    @Test(arguments: StoreBackend.allCases)
    func aFolderLinkShowsWhatIsInsideAndNothingElse(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend, shareVisitBurst: 500) { env, client in
            let (_, token) = try await env.newUser()
            for folder in ["Trip", "Trip/photos", "Trip/photos/raw", "Trip/empty"] { try await Self.mkdir(folder, token, client) }
            var random = SystemRandomNumberGenerator()
            let big = (0..<(5 << 20) + 13).map { _ in UInt8.random(in: 0...255, using: &random) }
            let files: [String: [UInt8]] = [
                "Trip/notes.txt": Array("day one: rain\n".utf8), "Trip/photos/beach.jpg": Array("not really a jpeg".utf8),
                "Trip/photos/raw/beach.raw": big, "Trip/zero.bin": [], "Trip/<img src=x> & ü.txt": Array("markup in a name".utf8),
                "Trip/back\\slash.txt": Array("a Linux name".utf8),
            ]
            var stored: [String: FileMetadata] = [:]
            for (path, content) in files { stored[path] = try await env.put(content, at: path, token: token, client: client) }
            _ = try await env.put(Array("private".utf8), at: "outside.txt", token: token, client: client)
            let share = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: "Trip")).body
            )
            let link = "/s/" + share.url.split(separator: "/").last!

            let top = try await Self.get(client, link)
            #expect(top.status == .ok)
            let page = String(buffer: top.body)
            let order = ["empty", "photos", "&lt;img src=x&gt; &amp; ü.txt", "notes.txt", "zero.bin"].map {
                page.range(of: ">\($0)</a>")?.lowerBound
            }
            #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "folders first, then by name")
            #expect(!page.contains("<img src=x>"), "names are text")
            #expect(!page.contains("outside") && !page.contains("beach"), "only the folder's own items")
            let inner = String(buffer: try await Self.get(client, link + "?path=photos").body)
            #expect(inner.contains(">raw</a>") && inner.contains(">beach.jpg</a>") && !inner.contains("notes.txt"))

            // A file inside: its page and its download.
            let filePage = String(buffer: try await Self.get(client, link + "/file?path=notes.txt").body)
            #expect(filePage.contains("id=\"shared-name\">notes.txt<") && filePage.contains("day one: rain"))
            let download = try await Self.get(client, link + "/download?path=photos/raw/beach.raw")
            #expect(download.status == .found)
            #expect(try await Presigned.send("GET", try #require(download.headers[.location])).body == big)

            // Nothing outside the folder, however it is asked for.
            for escape in ["../outside.txt", "photos/../../outside.txt", "/outside.txt", "./notes.txt", "photos//beach.jpg", "", "photos"] {
                let query = escape.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                #expect(try await Self.get(client, link + "/download?path=" + query).status == .notFound, "\(escape)")
                #expect(!String(buffer: try await Self.get(client, link + "/file?path=" + query).body).contains("private"), "\(escape)")
            }
            #expect(try await Self.get(client, link + "?path=../").status == .notFound)

            // The zip: every file byte for byte, every folder, under the folder's name.
            let zip = try await Self.get(client, link + "/zip")
            #expect(zip.status == .ok && zip.headers[.contentType] == "application/zip")
            #expect(zip.headers[.contentDisposition]?.contains("Trip.zip") == true)
            let unpacked = try Self.unzip(Array(buffer: zip.body))
            // zip knows one separator: a backslash in a name goes into the archive as `_`.
            var expected = Dictionary(uniqueKeysWithValues: files.map { ($0.key.replacingOccurrences(of: "\\", with: "_"), $0.value) })
            for folder in ["Trip/", "Trip/photos/", "Trip/photos/raw/", "Trip/empty/"] { expected[folder] = [] }
            #expect(Set(unpacked.keys) == Set(expected.keys))
            for (name, content) in expected { #expect(unpacked[name] == content, "\(name)") }

            // An item moved out of the folder is out of the link's reach; the link counts its visits.
            let notes = try #require(stored["Trip/notes.txt"])
            let moved = try await client.api(
                .post,
                "/api/v1/move",
                token: token,
                body: MoveRequest(from: notes.path, to: "moved-out.txt", revision: notes.revision)
            )
            #expect(moved.status == .ok)
            #expect(try await Self.get(client, link + "/download?path=notes.txt").status == .notFound)
            #expect(!String(buffer: try await Self.get(client, link).body).contains("notes.txt"))
            let listed = try decode([ShareInfo].self, try await client.api(.get, "/api/v1/shares", token: token).body)
            #expect(listed.first?.views == 3 && listed.first?.downloads == 2, "three pages shown, a download and the zip")

            // Revoked: nothing under it opens.
            #expect(try await client.api(.delete, "/api/v1/shares/\(share.id)", token: token).status == .noContent)
            for uri in [link, link + "?path=photos", link + "/file?path=zero.bin", link + "/download?path=zero.bin", link + "/zip"] {
                #expect(try await Self.get(client, uri).status == .notFound, "\(uri)")
            }
        }
    }

    @Test func aBigFolderPagesAndAPasswordGuardsItsZip() async throws {
        try await APIEnvironment.with(.sqlite, shareVisitBurst: 500) { env, client in
            let (_, token) = try await env.newUser()
            try await Self.mkdir("many", token, client)
            for index in 0..<(SharesAPI.folderPageSize + 25) { try await Self.mkdir(String(format: "many/item-%03d", index), token, client) }
            let share = try decode(
                ShareInfo.self,
                try await client.api(.post, "/api/v1/shares", token: token, body: CreateShareRequest(path: "many", password: "open sesame")).body
            )
            let link = "/s/" + share.url.split(separator: "/").last!
            #expect(try await Self.get(client, link + "/zip").status == .seeOther, "the zip waits for the password")
            let unlock = try await client.execute(
                uri: link,
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "password=open+sesame")
            ) { $0.headers[.setCookie] }
            let cookie = String(try #require(unlock).split(separator: ";")[0])
            let first = try await client.execute(uri: link, method: .get, headers: [.cookie: cookie]) { String(buffer: $0.body) }
            #expect(first.components(separatedBy: "class=\"item\"").count - 1 == SharesAPI.folderPageSize)
            let next = try #require(first.range(of: "id=\"next-page\" href=\"").map { first[$0.upperBound...].prefix { $0 != "\"" } })
            let second = try await client.execute(
                uri: String(next).replacingOccurrences(of: "&amp;", with: "&"),
                method: .get,
                headers: [.cookie: cookie]
            ) {
                String(buffer: $0.body)
            }
            #expect(second.components(separatedBy: "class=\"item\"").count - 1 == 25 && second.contains(">item-224</a>"))
            let zip = try await client.execute(uri: link + "/zip", method: .get, headers: [.cookie: cookie]) { Array(buffer: $0.body) }
            #expect(try Self.unzip(zip).count == SharesAPI.folderPageSize + 26)
        }
    }

    /// Unpacks a zip with Python's zipfile (another implementation than the server's), which
    /// also checks each entry's CRC-32: name -> bytes.
    static func unzip(_ archive: [UInt8]) throws -> [String: [UInt8]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("share-\(UUID().uuidString).zip")
        try Data(archive).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import base64, json, sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                assert z.testzip() is None
                print(json.dumps({i.filename: base64.b64encode(z.read(i)).decode() for i in z.infolist()}))
            """,
            file.path,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StoreTestError("python's zipfile refused the archive") }
        let entries = try JSONDecoder().decode([String: String].self, from: data)
        return entries.mapValues { Array(Data(base64Encoded: $0) ?? Data()) }
    }
}
