import Foundation
import HTTPTypes
import HummingbirdTesting
import SyncAPI
import Testing

@testable import SyncServer

/// The batch endpoints the daemon uses: each item is answered as its own request would be,
/// and one refusal does not spoil the others (also inside the one database transaction).
@Suite struct BatchAPITests {
    @Test(arguments: StoreBackend.allCases)
    func eachItemGetsItsOwnAnswer(backend: StoreBackend) async throws {
        try await APIEnvironment.with(backend) { env, client in
            let (user, token) = try await env.newUser()
            let (_, stranger) = try await env.newUser()
            let a = Array("alpha".utf8)
            let b = Array("bravo".utf8)
            let c = Array("charlie".utf8)
            let begun = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: [
                        BeginUploadRequest(path: "a.txt", size: Int64(a.count), sha256: identityHex(a), blockSha256: blockSha256(a)),
                        BeginUploadRequest(path: "twice.txt", size: Int64(b.count), sha256: identityHex(b), blockSha256: blockSha256(b)),
                        BeginUploadRequest(path: "twice.txt", size: Int64(c.count), sha256: identityHex(c), blockSha256: blockSha256(c)),
                        BeginUploadRequest(
                            path: "never-sent.txt",
                            size: 3,
                            sha256: identityHex(Array("abc".utf8)),
                            blockSha256: blockSha256(Array("abc".utf8))
                        ),
                        BeginUploadRequest(path: "bad/../escape.txt", size: 1, sha256: identityHex([1])),
                    ])
                ).body
            )
            #expect(begun.results.prefix(4).allSatisfy { $0.value?.mode == .single })
            #expect(begun.results[4].status == 400 && begun.results[4].error?.code == "invalid_path")
            for (index, bytes) in [(0, a), (1, b), (2, c)] {
                let plan = try #require(begun.results[index].value)
                #expect(try await Presigned.send("PUT", try #require(plan.url), headers: plan.headers, body: bytes).status == 200)
            }
            let ids = begun.results.prefix(4).map { $0.value!.uploadId! }
            let strangers = try await client.api(
                .post,
                "/api/v1/batch/complete",
                token: stranger,
                body: BatchCompleteRequest(uploads: [.init(uploadId: ids[0])])
            )
            #expect(try decode(BatchResponse<FileMetadata>.self, strangers.body).results.first?.status == 404, "another user's upload is not found")
            let done = try decode(
                BatchResponse<FileMetadata>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/complete",
                    token: token,
                    body: BatchCompleteRequest(uploads: [
                        .init(uploadId: ids[0]), .init(uploadId: ids[1]), .init(uploadId: ids[2]), .init(uploadId: ids[3]),
                        .init(uploadId: "no-such-upload"),
                    ])
                ).body
            )
            #expect(done.results.map(\.status) == [nil, nil, 409, 400, 404])
            #expect(done.results[0].value?.path == "a.txt" && done.results[1].value?.sha256 == identityHex(b))
            #expect(done.results[2].error?.current?.sha256 == identityHex(b), "the conflict says what is there now")
            #expect(done.results[3].error?.code == "incomplete_upload")
            let files = try await env.store.files(userId: user.id)
            #expect(files.map(\.path) == ["a.txt", "twice.txt"] && files.last?.contentHash == identityHex(b))
            let changes = try await env.store.changes(userId: user.id, after: 0)
            #expect(changes.map(\.path) == ["a.txt", "twice.txt"], "one change per recorded file, in order")
        }
    }

    /// The batch's one transaction for its new uploads fails as a whole (here a trigger stands
    /// for a full disk): the item whose content was stored already (recorded before, on its
    /// own) still gets its answer, and the others a 500 each, not the whole request.
    @Test func aFailedRecordOfTheNewUploadsKeepsTheStoredItemsAnswer() async throws {
        try await APIEnvironment.with(.sqlite) { env, client in
            let (user, token) = try await env.newUser()
            let a = Array("alpha".utf8)
            let first = try decode(
                BatchResponse<BeginUploadResponse>.self,
                try await client.api(
                    .post,
                    "/api/v1/batch/uploads",
                    token: token,
                    body: BatchBeginRequest(uploads: [
                        BeginUploadRequest(path: "a.txt", size: Int64(a.count), sha256: identityHex(a), blockSha256: blockSha256(a))
                    ])
                ).body
            )
            let plan = try #require(first.results.first?.value)
            #expect(try await Presigned.send("PUT", try #require(plan.url), headers: plan.headers, body: a).status == 200)
            let completed = try await client.api(
                .post,
                "/api/v1/batch/complete",
                token: token,
                body: BatchCompleteRequest(uploads: [.init(uploadId: try #require(plan.uploadId))])
            )
            #expect(try decode(BatchResponse<FileMetadata>.self, completed.body).results.first?.value?.path == "a.txt")
            try await env.store.database.query("CREATE TRIGGER refuse_uploads BEFORE INSERT ON uploads BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            let b = Array("bravo".utf8)
            let response = try await client.api(
                .post,
                "/api/v1/batch/uploads",
                token: token,
                body: BatchBeginRequest(uploads: [
                    BeginUploadRequest(path: "copy-of-a.txt", size: Int64(a.count), sha256: identityHex(a), blockSha256: blockSha256(a)),
                    BeginUploadRequest(path: "b.txt", size: Int64(b.count), sha256: identityHex(b), blockSha256: blockSha256(b)),
                ])
            )
            #expect(response.status == .ok)
            let begun = try decode(BatchResponse<BeginUploadResponse>.self, response.body)
            #expect(begun.results.first?.value?.mode == .stored && begun.results.first?.value?.file?.path == "copy-of-a.txt")
            #expect(begun.results.last?.status == 500 && begun.results.last?.error?.code == "internal")
            #expect(try await env.store.files(userId: user.id).map(\.path).sorted() == ["a.txt", "copy-of-a.txt"])
        }
    }
}
