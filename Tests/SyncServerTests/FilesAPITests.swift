import Foundation
import HTTPTypes
import HummingbirdTesting
import S3Client
import SyncAPI
import Testing

@testable import SyncServer

/// The `/api/v1` routes on both databases, with bytes going to the real SeaweedFS.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FilesAPITests {
    @Test(arguments: StoreBackend.allCases)
    func singleUploadDownloadDedupAndFeed(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            #expect(try await client.api(.get, "/api/v1/files", token: nil).status == .unauthorized)
            #expect(try await client.api(.get, "/api/v1/files", token: "sd_forged").status == .unauthorized)
            #expect(try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: "docs")).status == .created)

            let content = Array("hello, synced world".utf8)
            let hash = identityHex(content)
            let begin = try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: "docs/hello.txt", size: Int64(content.count), sha256: hash, blockSha256: blockSha256(content))
            )
            #expect(begin.status == .created)
            let plan = try decode(BeginUploadResponse.self, begin.body)
            #expect(plan.mode == .single)
            let url = try #require(plan.url)
            #expect(plan.headers["x-amz-server-side-encryption"] == "AES256")
            // Other bytes than declared: S3 refuses them (the SHA-256 is signed into the URL).
            let forged = try await Presigned.send("PUT", url, headers: plan.headers, body: Array("something else entirely".utf8))
            #expect(forged.status >= 400)
            #expect(try await Presigned.send("PUT", url, body: content).status == 403, "the signed headers are required")
            #expect(try await Presigned.send("PUT", url, headers: plan.headers, body: content).status == 200)
            let done = try await client.api(.post, "/api/v1/uploads/\(plan.uploadId!)/complete", token: token, body: CompleteUploadRequest())
            #expect(done.status == .ok)
            let file = try decode(FileMetadata.self, done.body)
            #expect(file.path == "docs/hello.txt" && file.revision == 1 && file.sha256 == hash && file.size == Int64(content.count))
            #expect(
                try await env.blobs.head(env.blobs.key(userId: try #require(try await env.store.authenticate(token: token)).user.id, sha256: hash))?
                    .serverSideEncryption == .aes256
            )

            let listing = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body)
            #expect(listing.files.map(\.path) == ["docs", "docs/hello.txt"])

            let download = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=docs/hello.txt", token: token).body)
            #expect(download.expiresAt - Date().timeIntervalSince1970 <= 900, "download links live minutes")
            let fetched = try await Presigned.send("GET", download.url)
            #expect(fetched.status == 200 && fetched.body == content)
            #expect(fetched.headers["content-disposition"]?.contains("hello.txt") == true)

            // The same content elsewhere is recorded without any upload.
            let again = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: token,
                    body: BeginUploadRequest(path: "copy.txt", size: Int64(content.count), sha256: hash)
                ).body
            )
            #expect(again.mode == .stored && again.file?.path == "copy.txt" && again.url == nil)

            // A stale base revision: 409 with what is there now.
            let stale = try await client.api(
                .post,
                "/api/v1/uploads",
                token: token,
                body: BeginUploadRequest(path: "docs/hello.txt", size: 1, sha256: identityHex([1]), baseRevision: nil)
            )
            #expect(stale.status == .conflict)
            #expect(try decode(ConflictBody.self, stale.body).current?.revision == 1)

            let moved = try await client.api(
                .post,
                "/api/v1/move",
                token: token,
                body: MoveRequest(from: "docs", to: "papers", revision: listing.files[0].revision)
            )
            #expect(moved.status == .ok)
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: "copy.txt", revision: again.file!.revision))
                    .status == .noContent
            )
            let feed = try decode(ChangesResponse.self, try await client.api(.get, "/api/v1/changes?after=\(listing.cursor)", token: token).body)
            // The folder's move is one entry: what it holds moved with it.
            #expect(feed.changes.map(\.file.path) == ["copy.txt", "papers", "copy.txt"])
            #expect(feed.changes.map(\.movedFrom) == [nil, "docs", nil])
            #expect(feed.changes.map(\.deleted) == [false, false, true])
            #expect(feed.cursor == feed.changes.last?.seq)
            let empty = try decode(ChangesResponse.self, try await client.api(.get, "/api/v1/changes?after=\(feed.cursor)", token: token).body)
            #expect(empty.changes.isEmpty && empty.cursor == feed.cursor)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func multipartThroughPresignedParts(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            let content = ContentProofTests.threeBlocks(seed: 0)
            let hash = identityHex(content)
            let outcome = try await env.putMultipart(content, at: "video.bin", token: token, client: client)
            #expect(outcome.status == .ok, "\(outcome)")
            #expect(outcome.partCount == 3, "one part per block of the three-block file")
            let user = try #require(try await env.store.authenticate(token: token)).user
            let object = try #require(try await env.blobs.head(env.blobs.key(userId: user.id, sha256: hash)))
            #expect(object.size == Int64(content.count) && object.serverSideEncryption == .aes256)
            #expect(try await env.blobs.s3.listMultipartUploads(bucket: env.blobs.bucket).isEmpty)
            let url = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=video.bin", token: token).body).url
            #expect(identityHex(try await Presigned.send("GET", url).body) == hash)
        }
    }

    /// Every route that names an upload or a file, called by another user: 404, and nothing
    /// changes. A revoked device token is refused at once.
    @Test(arguments: StoreBackend.allCases)
    func anotherUserLearnsNothing(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (alice, aliceToken) = try await env.newUser()
            let (_, bobToken) = try await env.newUser()
            let content = Array("alice's secret".utf8)
            let plan = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: aliceToken,
                    body: BeginUploadRequest(
                        path: "secret.txt",
                        size: Int64(content.count),
                        sha256: identityHex(content),
                        blockSha256: blockSha256(content)
                    )
                ).body
            )
            let uploadId = try #require(plan.uploadId)
            #expect(try await Presigned.send("PUT", plan.url!, headers: plan.headers, body: content).status == 200)

            #expect(
                try await client.api(.post, "/api/v1/uploads/\(uploadId)/complete", token: bobToken, body: CompleteUploadRequest()).status
                    == .notFound
            )
            #expect(
                try await client.api(.post, "/api/v1/uploads/\(uploadId)/parts", token: bobToken, body: PartURLsRequest(partNumbers: [1])).status
                    == .notFound
            )
            #expect(try await client.api(.delete, "/api/v1/uploads/\(uploadId)", token: bobToken).status == .notFound)
            let file = try decode(
                FileMetadata.self,
                try await client.api(.post, "/api/v1/uploads/\(uploadId)/complete", token: aliceToken, body: CompleteUploadRequest()).body
            )

            #expect(try await client.api(.get, "/api/v1/download?path=secret.txt", token: bobToken).status == .notFound)
            #expect(
                try await client.api(
                    .post,
                    "/api/v1/move",
                    token: bobToken,
                    body: MoveRequest(from: "secret.txt", to: "mine.txt", revision: file.revision)
                ).status == .notFound
            )
            #expect(
                try await client.api(.post, "/api/v1/trash", token: bobToken, body: TrashRequest(path: "secret.txt", revision: file.revision)).status
                    == .notFound
            )
            #expect(try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: bobToken).body).files.isEmpty)
            #expect(try decode(ChangesResponse.self, try await client.api(.get, "/api/v1/changes?after=0", token: bobToken).body).changes.isEmpty)
            // Bob uploading the same bytes does not get Alice's object for free.
            let bobs = try decode(
                BeginUploadResponse.self,
                try await client.api(
                    .post,
                    "/api/v1/uploads",
                    token: bobToken,
                    body: BeginUploadRequest(
                        path: "guess.txt",
                        size: Int64(content.count),
                        sha256: identityHex(content),
                        blockSha256: blockSha256(content)
                    )
                ).body
            )
            #expect(bobs.mode == .single)
            #expect(try await env.store.files(userId: alice.id).map(\.path) == ["secret.txt"])

            let device = try #require(try await env.store.devices(userId: alice.id).first)
            #expect(try await env.store.revokeDevice(id: device.id, userId: alice.id))
            #expect(try await client.api(.get, "/api/v1/files", token: aliceToken).status == .unauthorized)
        }
    }
}

/// The device list and revocation through the API.
@Suite struct DevicesAPITests {
    @Test(arguments: StoreBackend.allCases)
    func listAndRevokeDevices(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, laptopToken) = try await env.newUser()
            let (server, serverToken) = try await env.store.createDevice(userId: user.id, name: "backup server")
            let (_, otherToken) = try await env.newUser()
            let devices = try decode([DeviceInfo].self, try await client.api(.get, "/api/v1/devices", token: laptopToken).body)
            #expect(devices.map(\.name) == ["test device", "backup server"])
            #expect(devices.map(\.current) == [true, false])
            #expect(try await client.api(.delete, "/api/v1/devices/\(server.id)", token: otherToken).status == .notFound)
            #expect(try await client.api(.get, "/api/v1/files", token: serverToken).status == .ok)
            #expect(try await client.api(.delete, "/api/v1/devices/\(server.id)", token: laptopToken).status == .noContent)
            #expect(try await client.api(.get, "/api/v1/files", token: serverToken).status == .unauthorized, "revoked at once")
            let after = try decode([DeviceInfo].self, try await client.api(.get, "/api/v1/devices", token: laptopToken).body)
            #expect(after.first { $0.id == server.id }?.revoked == true)
        }
    }

    /// A device reports the folders it does not sync; the list shows them with that device
    /// only, and a report the API would not take as paths changes nothing.
    @Test(arguments: StoreBackend.allCases)
    func aDeviceReportsItsExcludedFolders(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, laptopToken) = try await env.newUser()
            _ = try await env.store.createDevice(userId: user.id, name: "backup server")
            let uri = "/api/v1/devices/current/excluded-folders"
            func devices() async throws -> [DeviceInfo] {
                try decode([DeviceInfo].self, try await client.api(.get, "/api/v1/devices", token: laptopToken).body)
            }
            #expect(try await devices().map(\.excludedFolders) == [nil, nil], "nothing reported yet")
            let report = ExcludedFoldersReport(folders: ["Photos", "Archive/2019", "<script>x</script>"])
            #expect(try await client.api(.put, uri, token: laptopToken, body: report).status == .noContent)
            #expect(try await devices().map(\.excludedFolders) == [report.folders, nil], "the reporting device's, no other's")
            for hostile in [["../etc"], ["a//b"], [""], ["/abs"], ["a\u{0}b"], [String(repeating: "n", count: 256)]] {
                let answer = try await client.api(.put, uri, token: laptopToken, body: ExcludedFoldersReport(folders: hostile))
                #expect(answer.status == .badRequest && String(decoding: answer.body, as: UTF8.self).contains("invalid_path"), "\(hostile)")
            }
            let tooMany = ExcludedFoldersReport(folders: (0...1000).map { "f\($0)" })
            #expect(try await client.api(.put, uri, token: laptopToken, body: tooMany).status == .badRequest)
            #expect(try await client.api(.put, uri, token: laptopToken, body: ["folders": 3]).status == .badRequest)
            #expect(try await client.api(.put, uri, token: nil, body: report).status == .unauthorized)
            #expect(try await devices().first?.excludedFolders == report.folders, "a refused report changed nothing")
            #expect(try await client.api(.put, uri, token: laptopToken, body: ExcludedFoldersReport(folders: [])).status == .noContent)
            #expect(try await devices().first?.excludedFolders == [])
        }
    }
}
