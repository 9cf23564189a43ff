import Foundation
import Hummingbird
import SyncAPI

/// `/api/v1` routes on history: versions and restore, the trash and restore.
struct HistoryAPI {
    let store: MetadataStore

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("versions") { request, context in
            let user = try context.requireCaller().user
            guard let path = request.uri.queryParameters.get("path") else {
                throw APIError(.badRequest, code: "missing_path", "give the file as ?path=")
            }
            let versions = try await store.versions(userId: user.id, path: path)
            return try json(
                versions.map {
                    VersionInfo(revision: $0.revision, size: $0.size, sha256: $0.contentHash, modifiedAt: $0.modifiedAt.timeIntervalSince1970)
                }
            )
        }
        api.post("versions/restore") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: RestoreVersionRequest.self, context: context)
            let file = try await store.restoreVersion(userId: user.id, path: body.path, revision: body.revision, baseRevision: body.baseRevision)
            return try json(FileMetadata(file))
        }
        api.get("trash") { _, context in
            let user = try context.requireCaller().user
            return try json(
                try await store.trashed(userId: user.id).map {
                    TrashedItem(
                        id: $0.id,
                        path: $0.path,
                        kind: $0.kind,
                        size: $0.size,
                        trashedAt: $0.trashedAt.timeIntervalSince1970,
                        category: FileCategory(name: $0.path, isFolder: $0.kind == .folder)
                    )
                }
            )
        }
        api.post("trash/restore") { request, context in
            let user = try context.requireCaller().user
            let body = try await request.decode(as: RestoreTrashRequest.self, context: context)
            return try json(FileMetadata(try await store.restore(userId: user.id, trashedId: body.id)))
        }
    }
}
