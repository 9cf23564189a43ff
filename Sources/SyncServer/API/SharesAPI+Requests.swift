import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import SyncAPI

/// File requests (upload-only links): `/r/<token>`, the page where someone without an account
/// drops files into the owner's folder, and the JSON calls its script makes under
/// `/r/<token>/api/` (begin, part URLs, complete, abort), which run the owner's own upload path
/// (`UploadsAPI`): the bytes go straight to S3 through presigned URLs, checked against their
/// identity, and count against the owner's quota; a finished file is a change like any other,
/// so the owner's devices download it.
///
/// The uploader sees nothing of the folder: no listing, no name of what is there. A file never
/// replaces another (a taken name becomes `name (1).ext`, and the answer does not say which
/// name it got); content the owner stores already is uploaded anyway (a "stored" answer would
/// tell that the owner has it); refusals say nothing of the owner's files or quota. Each
/// upload names the request it came through and is reachable only through it. The JSON calls
/// need the header `X-Syncd-Request: 1`, which a cross-site form cannot send.
extension SharesAPI {
    static let requestHeader = HTTPField.Name("X-Syncd-Request")!

    func registerRequests(on router: Router<AppRequestContext>) {
        let requests = router.group("r").add(middleware: RateLimitMiddleware(capacity: visitBurst, perMinute: visitsPerMinute))
        requests.get("{token}") { request, context in
            let token = try context.parameters.require("token")
            do {
                let (share, _, _) = try await open(token, request: request, fileRequest: true)
                try await store.recordShareVisit(.view, shareId: share.id)
                metrics.shareViews.increment()
                return FileRequestPage.response(token: token, request: share.request!, bucketOrigin: blobs.origin)
            } catch is Locked {
                return SharePage.passwordForm(token: token, base: "r", message: nil, status: .ok)
            } catch let error as APIError {
                return Self.refusalPage(error)
            }
        }
        requests.post("{token}") { request, context in
            try await unlock(try context.parameters.require("token"), base: "r", request: request, context: context)
        }
        // Begin and complete at a page's pace; a multipart upload asks for each part's URL, so
        // those at a higher one.
        requests.post("{token}/api/uploads") { request, context in
            try await Self.quietly {
                let (share, folder, owner) = try await openForUpload(request, context)
                var body = try await request.decode(as: BeginUploadRequest.self, context: context)
                let name = try Self.uploadedName(body.path)
                if let cap = share.request?.maxFileBytes, body.size > cap {
                    throw APIError(.contentTooLarge, code: "too_large", "this request takes files of at most \(ByteCount.human(cap))")
                }
                guard try await store.uploads(shareId: share.id, userId: owner.id).count < Self.uploadsInProgress else {
                    throw APIError(.tooManyRequests, code: "busy", "too many files are on their way through this request; wait for them")
                }
                body.path = try await freePath(for: name, in: folder.path, owner: owner.id)
                body.baseRevision = nil
                body.seenCursor = nil
                // Never the "stored" answer, and no single PUT: either would tell whether the
                // owner has this content (a multipart upload's parts are this upload's alone).
                try await uploads.check(body, user: owner)
                let plan = try await uploads.prepareUpload(body, user: owner, alwaysMultipart: true)
                guard case .upload(var record, let digests, let answer) = plan else {
                    throw APIError(.internalServerError, code: "internal", "the upload could not be prepared")
                }
                record.shareId = share.id
                let begun = try await uploads.record([.upload(record, blockDigests: digests, answer: answer)], user: owner)[0].get()
                return try json(begun, status: .created)
            }
        }
        requests.post("{token}/api/uploads/{id}/complete") { request, context in
            try await Self.quietly {
                let (share, folder, owner) = try await openForUpload(request, context)
                let upload = try await requested(context.parameters.require("id"), share: share, owner: owner)
                // The folder moved since the upload began: its name there is not the request's.
                guard upload.path.hasPrefix(folder.path + "/"), !upload.path.dropFirst(folder.path.count + 1).contains("/") else {
                    try await uploads.abort(upload, user: owner)
                    throw APIError(.conflict, code: "moved", "")
                }
                let body = try await request.decode(as: CompleteUploadRequest.self, context: context)
                _ = try await uploads.complete(upload, parts: body.parts, user: owner)
                try await store.recordShareVisit(.upload, shareId: share.id)
                return Response(status: .noContent)
            }
        }
        let parts = router.group("r").add(middleware: RateLimitMiddleware(capacity: 600, perMinute: 1200))
        parts.post("{token}/api/uploads/{id}/parts") { request, context in
            try await Self.quietly {
                let (share, _, owner) = try await openForUpload(request, context)
                let upload = try await requested(context.parameters.require("id"), share: share, owner: owner)
                let body = try await request.decode(as: PartURLsRequest.self, context: context)
                return try json(try await uploads.partURLs(upload, body: body, user: owner))
            }
        }
        parts.delete("{token}/api/uploads/{id}") { request, context in
            try await Self.quietly {
                let (share, _, owner) = try await openForUpload(request, context)
                try await uploads.abort(try await requested(context.parameters.require("id"), share: share, owner: owner), user: owner)
                return Response(status: .noContent)
            }
        }
    }

    /// Files on their way through one request at once: each holds its size of the owner's
    /// quota until it completes, is aborted (the request revoked) or expires.
    static let uploadsInProgress = 20

    /// Ends a revoked request's uploads in progress: the room they held is the owner's again.
    func abandonUploads(ofRequest shareId: String, owner: User) async throws {
        for upload in try await store.uploads(shareId: shareId, userId: owner.id) {
            try? await uploads.abort(upload, user: owner)
        }
    }

    /// The request, its folder and its owner, for a JSON call of its page: 403 without the
    /// page's header, 401 while its password was not given.
    private func openForUpload(_ request: Request, _ context: AppRequestContext) async throws -> (ShareRecord, FileRecord, User) {
        guard request.headers[Self.requestHeader] == "1" else {
            throw APIError(.forbidden, code: "forbidden", "file request calls come from the request's page")
        }
        let token = try context.parameters.require("token")
        do {
            let (share, folder, ownerId) = try await open(token, request: request, fileRequest: true)
            guard let owner = try await store.user(id: ownerId) else { throw APIError(.notFound, code: "not_found", "no such link") }
            return (share, folder, owner)
        } catch is Locked {
            throw APIError(.unauthorized, code: "locked", "give the request's password on its page first")
        }
    }

    /// An upload this request began (another one's, or the owner's own, is not found).
    private func requested(_ id: String, share: ShareRecord, owner: User) async throws -> UploadRecord {
        guard let upload = try await store.upload(id: id, userId: owner.id), upload.shareId == share.id else {
            throw APIError(.notFound, code: "not_found", "no such upload")
        }
        return upload
    }

    /// Runs a JSON call, its refusals told in fixed words: no message that names a path (the
    /// folder's, a name taken there), the owner's quota or anything the owner stores.
    static func quietly(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch {
            guard let refusal = APIError.answering(error) else { throw error }
            let said: (HTTPResponse.Status, String) =
                switch refusal.code {
                case "too_large", "invalid_name", "invalid_sha256", "invalid_size", "invalid_part", "forbidden", "locked", "busy",
                    "not_multipart":
                    (refusal.status, refusal.message)
                case "revision_conflict", "name_taken": (.conflict, "a file of this name arrived meanwhile; send it again")
                case "moved": (.conflict, "the request's folder moved meanwhile; send the file again")
                case "quota_exceeded": (.insufficientStorage, "the owner of this request has no room for this file")
                case "content_migrating": (.serviceUnavailable, "the server is busy; try again later")
                case "not_found", "share_expired": (refusal.status, "no such request or upload")
                case "invalid_path": (.badRequest, "this name is too long here; shorten it")
                case "incomplete_upload", "bad_object", "content_mismatch", "checksum_conflict":
                    (.badRequest, "the file did not arrive whole; send it again")
                default: (refusal.status, "the file could not be taken")
                }
            throw APIError(said.0, code: refusal.code == "revision_conflict" ? "name_taken" : refusal.code, said.1)
        }
    }

    /// The name a file is dropped under: one name (what a browser gives as a file's name), its
    /// control characters refused; a leading dot becomes `_` (an uploader must not drop a
    /// `.syncignore` or another file the owner's devices read as settings).
    static func uploadedName(_ name: String) throws -> String {
        // Control characters, and format ones (a right-to-left override makes "fdp.exe" read as "exe.pdf").
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= 240,
            !name.unicodeScalars.contains(where: { [.control, .format].contains($0.properties.generalCategory) })
        else {
            throw APIError(
                .badRequest,
                code: "invalid_name",
                "a file's name is 1 to 240 bytes, with no slash and no control or formatting character"
            )
        }
        return name.hasPrefix(".") ? "_" + name.dropFirst() : name
    }

    /// `name` in `folder`, or `name (1).ext` … `name (99).ext`: the first that no file and no
    /// upload in progress takes.
    func freePath(for name: String, in folder: String, owner: String) async throws -> String {
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let suffix = dot.map { String(name[$0...]) } ?? ""
        for n in 0..<100 {
            let path = folder + "/" + (n == 0 ? name : "\(stem) (\(n))\(suffix)")
            try MetadataStore.validate(path)
            if try await store.file(userId: owner, path: path) == nil, try await !store.hasUpload(userId: owner, path: path) {
                return path
            }
        }
        throw APIError(.conflict, code: "name_taken", "too many files of this name; rename it and send it again")
    }
}
