import Foundation
import Hummingbird
import Prometheus
import SyncAPI

/// `/api/v1` routes on the tree: list, folders, move, trash, download, changes.
struct FilesAPI {
    let store: MetadataStore
    let blobs: BlobStore
    let metrics: ServerMetrics

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("files") { _, context in
            let user = try context.requireCaller().user
            // The whole tree in one answer is for trees of a size one answer holds.
            let (files, cursor) = try await store.listing(userId: user.id, limit: Self.maxWholeListing + 1)
            guard files.count <= Self.maxWholeListing else {
                throw APIError(
                    .badRequest,
                    code: "too_many_items",
                    "the tree holds more than \(Self.maxWholeListing) items: read it a page at a time (GET /api/v1/tree, or /folder for one folder)"
                )
            }
            return json(bytes: try FileListing(files: files.map(FileMetadata.init), cursor: cursor).jsonBytes())
        }
        // One folder's items a page at a time (the dashboard), the whole tree a page at a time
        // (daemons), and a search by name.
        api.get("folder") { request, context in
            let user = try context.requireCaller().user
            let folder = request.uri.queryParameters.get("path") ?? ""
            let page = try await store.folderPage(
                userId: user.id,
                folder: folder,
                after: request.uri.queryParameters.get("after"),
                limit: Int(try request.integerParameter("limit", in: 1...Int64(MetadataStore.maxPageSize), default: 200))
            )
            return try pageResponse(page)
        }
        api.get("tree") { request, context in
            let user = try context.requireCaller().user
            let page = try await store.treePage(
                userId: user.id,
                after: request.uri.queryParameters.get("after"),
                limit: Int(try request.integerParameter("limit", in: 1...Int64(MetadataStore.maxPageSize), default: 1000))
            )
            return try pageResponse(page)
        }
        api.get("search") { request, context in
            let user = try context.requireCaller().user
            guard let query = request.uri.queryParameters.get("q") else {
                throw APIError(.badRequest, code: "missing_query", "give the name to look for as ?q=")
            }
            let matchText = request.uri.queryParameters.get("match") ?? "contains"
            guard let match = MetadataStore.NameMatch(rawValue: matchText) else {
                throw APIError(
                    .badRequest,
                    code: "invalid_parameter",
                    "match is prefix or contains, not \(String(matchText.prefix(40)).debugDescription)"
                )
            }
            let page = try await store.search(
                userId: user.id,
                query: query,
                match: match,
                after: request.uri.queryParameters.get("after"),
                limit: Int(try request.integerParameter("limit", in: 1...Int64(MetadataStore.maxPageSize), default: 200))
            )
            return try pageResponse(page)
        }
        api.post("folders") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: CreateFolderRequest.self, context: context)
            let folder = try await store.commit(userId: user.id, path: body.path, kind: .folder, size: 0, contentHash: nil, baseRevision: nil)
            return try json(FileMetadata(folder), status: .created)
        }
        api.post("move") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: MoveRequest.self, context: context)
            let moved = try await store.move(userId: user.id, from: body.from, to: body.to, revision: body.revision)
            return try json(FileMetadata(moved))
        }
        api.post("trash") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: TrashRequest.self, context: context)
            try await store.trash(userId: user.id, path: body.path, revision: body.revision)
            return Response(status: .noContent)
        }
        api.get("download") { request, context in
            let user = try context.requireCaller().user
            let (file, hash) = try await requestedFile(request, user: user)
            let url = try await blobs.presignGet(key: blobs.key(userId: user.id, sha256: hash), filename: file.name)
            let expires = Date().addingTimeInterval(TimeInterval(blobs.downloadURLLifetime)).timeIntervalSince1970
            return try json(DownloadResponse(url: url, expiresAt: expires, file: FileMetadata(file)))
        }
        // Inline views for what a browser can show safely; SVG and HTML only ever download.
        api.get("preview") { request, context in
            let user = try context.requireCaller().user
            let (file, hash) = try await requestedFile(request, user: user)
            guard let preview = FileCategory.previewType(name: file.name) else {
                throw APIError(.unsupportedMediaType, code: "no_preview", "this kind of file has no preview: download it")
            }
            let url = try await blobs.presignInline(
                key: blobs.key(userId: user.id, sha256: hash),
                filename: file.name,
                contentType: preview.contentType
            )
            let expires = Date().addingTimeInterval(TimeInterval(blobs.downloadURLLifetime)).timeIntervalSince1970
            return try json(PreviewResponse(category: preview.category, url: url, contentType: preview.contentType, expiresAt: expires))
        }
        api.get("changes") { request, context in
            let user = try context.requireCaller().user
            let after = try request.integerParameter("after", in: 0...Int64.max, default: 0)
            let limit = try request.integerParameter("limit", in: 1...Int64(Self.maxChangesLimit), default: 1000)
            // Long-poll: with ?wait=S (at most 60), an empty answer waits for the next change.
            let wait = try request.secondsParameter("wait", in: 0...Self.maxWaitSeconds, default: 0)
            metrics.longPollsWaiting.increment()
            defer { metrics.longPollsWaiting.decrement() }
            let changes = try await store.changes(
                userId: user.id,
                after: after,
                limit: Int(limit),
                wait: .milliseconds(Int64((wait * 1000).rounded()))
            )
            return json(
                bytes: try ChangesResponse(
                    changes: changes.map(ChangesResponse.Change.init),
                    cursor: try await emptyPageCursor(changes.last?.seq, after: after, userId: user.id)
                )
                .jsonBytes()
            )
        }
    }

    /// The cursor of a page of the feed: its last change's; for an empty page `after`, unless
    /// the feed has not come that far (a client holding a cursor of a feed since restored from
    /// a backup, or of another server): then the feed's end, below `after`, which tells the
    /// client its cursor is not this feed's (it reads the whole tree again).
    private func emptyPageCursor(_ last: Int64?, after: Int64, userId: String) async throws -> Int64 {
        if let last { return last }
        return min(after, try await store.latestSeq(userId: userId))
    }

    private func pageResponse(_ page: MetadataStore.Page) throws -> Response {
        json(bytes: try ItemPage(items: page.items.map(FileMetadata.init), next: page.next, cursor: page.cursor).jsonBytes())
    }

    /// The most items `GET /files` answers with (the whole tree in one answer).
    static let maxWholeListing = 50_000

    /// The most changes one answer of the feed carries.
    static let maxChangesLimit = 5000
    /// The longest a long-poll of the feed waits.
    static let maxWaitSeconds: Double = 60

    /// The caller's file named by `?path=`, with its content hash (a folder is not a file).
    private func requestedFile(_ request: Request, user: User) async throws -> (FileRecord, hash: String) {
        guard let path = request.uri.queryParameters.get("path") else {
            throw APIError(.badRequest, code: "missing_path", "give the file as ?path=")
        }
        guard let file = try await store.file(userId: user.id, path: path), file.kind == .file, let hash = file.contentHash else {
            throw APIError(.notFound, code: "not_found", "no such file")
        }
        return (file, hash)
    }
}

extension ChangesResponse.Change {
    /// A change of the feed as the API describes it (the feed does not carry times).
    init(_ change: ChangeRecord) {
        self.init(
            seq: change.seq,
            deleted: change.deleted,
            file: FileMetadata(
                id: change.fileId,
                path: change.path,
                kind: change.kind,
                revision: change.revision,
                size: change.size,
                sha256: change.contentHash,
                modifiedAt: 0
            ),
            movedFrom: change.movedFrom
        )
    }
}
