import Foundation
import HTTPTypes
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// Version history and the trash on both databases.
@Suite(.serialized, .timeLimit(.minutes(2))) struct HistoryAPITests {
    @Test(arguments: StoreBackend.allCases)
    func versionsAndRestore(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            let (_, otherToken) = try await env.newUser()
            let v1 = try await env.put(Array("first draft".utf8), at: "essay.txt", token: token, client: client)
            for (base, text) in [(Int64(1), "second draft"), (2, "third draft")] {
                let plan = try decode(
                    BeginUploadResponse.self,
                    try await client.api(
                        .post,
                        "/api/v1/uploads",
                        token: token,
                        body: BeginUploadRequest(
                            path: "essay.txt",
                            size: Int64(text.utf8.count),
                            sha256: identityHex(Array(text.utf8)),
                            baseRevision: base,
                            blockSha256: blockSha256(Array(text.utf8))
                        )
                    ).body
                )
                #expect(try await Presigned.send("PUT", plan.url!, headers: plan.headers, body: Array(text.utf8)).status == 200)
                #expect(
                    try await client.api(.post, "/api/v1/uploads/\(plan.uploadId!)/complete", token: token, body: CompleteUploadRequest()).status
                        == .ok
                )
            }
            let versions = try decode([VersionInfo].self, try await client.api(.get, "/api/v1/versions?path=essay.txt", token: token).body)
            #expect(versions.map(\.revision) == [3, 2, 1])
            #expect(versions.last?.sha256 == v1.sha256)

            #expect(
                try await client.api(
                    .post,
                    "/api/v1/versions/restore",
                    token: token,
                    body: RestoreVersionRequest(path: "essay.txt", revision: 1, baseRevision: 2)
                ).status == .conflict
            )
            let restored = try decode(
                FileMetadata.self,
                try await client.api(
                    .post,
                    "/api/v1/versions/restore",
                    token: token,
                    body: RestoreVersionRequest(path: "essay.txt", revision: 1, baseRevision: 3)
                ).body
            )
            #expect(restored.revision == 4 && restored.sha256 == v1.sha256)
            let url = try decode(DownloadResponse.self, try await client.api(.get, "/api/v1/download?path=essay.txt", token: token).body).url
            #expect(String(decoding: try await Presigned.send("GET", url).body, as: UTF8.self) == "first draft")
            #expect(try await client.api(.get, "/api/v1/versions?path=essay.txt", token: otherToken).status == .notFound)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func trashAndRestore(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (_, token) = try await env.newUser()
            let (_, otherToken) = try await env.newUser()
            let docs = try decode(
                FileMetadata.self,
                try await client.api(.post, "/api/v1/folders", token: token, body: CreateFolderRequest(path: "docs")).body
            )
            _ = try await env.put(Array("a".utf8), at: "docs/a.txt", token: token, client: client)
            _ = try await env.put(Array("b".utf8), at: "docs/b.txt", token: token, client: client)
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: "docs", revision: docs.revision)).status
                    == .noContent
            )
            let trash = try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: token).body)
            #expect(Set(trash.map(\.path)) == ["docs", "docs/a.txt", "docs/b.txt"])
            #expect(try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: otherToken).body).isEmpty)
            let folderId = try #require(trash.first { $0.path == "docs" }?.id)
            #expect(
                try await client.api(.post, "/api/v1/trash/restore", token: otherToken, body: RestoreTrashRequest(id: folderId)).status == .notFound
            )
            #expect(try await client.api(.post, "/api/v1/trash/restore", token: token, body: RestoreTrashRequest(id: folderId)).status == .ok)
            let listing = try decode(FileListing.self, try await client.api(.get, "/api/v1/files", token: token).body)
            #expect(listing.files.map(\.path) == ["docs", "docs/a.txt", "docs/b.txt"])
            #expect(try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: token).body).isEmpty)

            // A path taken meanwhile: the restore is refused with what is there.
            let a = try #require(listing.files.first { $0.path == "docs/a.txt" })
            #expect(
                try await client.api(.post, "/api/v1/trash", token: token, body: TrashRequest(path: "docs/a.txt", revision: a.revision)).status
                    == .noContent
            )
            let newer = try await env.put(Array("a, again".utf8), at: "docs/a.txt", token: token, client: client)
            let old = try #require(try decode([TrashedItem].self, try await client.api(.get, "/api/v1/trash", token: token).body).first)
            let refused = try await client.api(.post, "/api/v1/trash/restore", token: token, body: RestoreTrashRequest(id: old.id))
            #expect(refused.status == .conflict)
            #expect(try decode(ConflictBody.self, refused.body).current?.id == newer.id)
        }
    }
}
