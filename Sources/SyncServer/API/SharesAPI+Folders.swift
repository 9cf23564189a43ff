import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import S3Client
import SyncAPI

/// Folder links: the folder's pages, a file inside it, and the whole folder as one zip made as
/// it goes out (``ZipStream``): each file read from S3 a range at a time, so the server holds
/// one range and the zip's directory (a name and a few numbers a file), never the archive.
extension SharesAPI {
    /// Items a folder page shows.
    static let folderPageSize = 200
    /// Bytes read from S3 at a time for the zip.
    static let zipChunk: Int64 = 4 << 20

    /// The item a request names inside a folder's link (`?path=`), or the link's own file.
    func target(in root: FileRecord, owner: String, request: Request) async throws -> FileRecord {
        guard root.kind == .folder else { return root }
        guard let relative = request.uri.queryParameters.get("path"), !relative.isEmpty,
            let item = try? await store.item(inside: root, userId: owner, relative: relative), item.kind == .file
        else { throw APIError(.notFound, code: "not_found", "no such file in this folder") }
        return item
    }

    /// An item's path inside the shared folder (cut by bytes: a name beginning with a
    /// combining mark must not merge with the `/` before it into one character).
    static func relative(_ item: FileRecord, in folder: FileRecord) -> String {
        String(decoding: item.path.utf8.dropFirst(folder.path.utf8.count + 1), as: UTF8.self)
    }

    func relative(_ item: FileRecord, in folder: FileRecord) -> String { Self.relative(item, in: folder) }

    /// A page of the shared folder, or of a folder inside it (`?path=`).
    func folderPage(share: ShareRecord, folder: FileRecord, owner: String, request: Request, after: String?) async throws -> Response {
        var shown = folder
        let relativePath: String = request.uri.queryParameters.get("path") ?? ""
        if !relativePath.isEmpty {
            guard let inner = try? await store.item(inside: folder, userId: owner, relative: relativePath), inner.kind == .folder else {
                throw APIError(.notFound, code: "not_found", "no such folder in this link")
            }
            shown = inner
        }
        let page: MetadataStore.Page
        do {
            page = try await store.folderPage(userId: owner, folder: shown.path, after: after, limit: Self.folderPageSize)
        } catch {
            throw APIError(.notFound, code: "not_found", "no such page of this folder")
        }
        let items = page.items.map {
            SharePage.FolderItem(name: $0.name, isFolder: $0.kind == .folder, size: $0.size, relative: relative($0, in: folder))
        }
        let html = SharePage.folderHTML(token: share.token, folderName: folder.name, relative: relativePath, items: items, next: page.next)
        return HTMLPage.document(html, policy: SharePage.contentSecurityPolicy(bucketOrigin: blobs.origin))
    }

    /// The shared folder as one zip, `Name/...` inside, streamed. Before each batch of items the
    /// link is looked up again: a zip of a revoked or expired link, or of a folder moved or
    /// replaced meanwhile, stops there (cut short, so no unzip takes it for whole).
    func zipResponse(of folder: FileRecord, owner: String, token: String) -> Response {
        let store = store
        let blobs = blobs
        let body = ResponseBody { writer in
            var zip = ZipStream()
            let prefix = Self.entryName(folder.name) + "/"
            try await writer.write(ByteBuffer(bytes: zip.beginEntry(name: prefix, isFolder: true, modified: folder.modifiedAt.timeIntervalSince1970)))
            try await writer.write(ByteBuffer(bytes: zip.finishEntry()))
            var after: String?
            while true {
                guard case .valid(_, let root, _) = try await store.openShare(token: token), root.id == folder.id, root.path == folder.path else {
                    throw ZipLinkChanged()
                }
                let page = try await store.descendants(of: folder, userId: owner, after: after, limit: 500)
                for item in page {
                    let isFolder = item.kind == .folder
                    let name = Self.entryName(prefix + Self.relative(item, in: folder)) + (isFolder ? "/" : "")
                    try await writer.write(
                        ByteBuffer(bytes: zip.beginEntry(name: name, isFolder: isFolder, modified: item.modifiedAt.timeIntervalSince1970))
                    )
                    if !isFolder, item.size > 0, let hash = item.contentHash {
                        let key = blobs.key(userId: owner, sha256: hash)
                        var offset: Int64 = 0
                        while offset < item.size {
                            let end = min(item.size, offset + Self.zipChunk) - 1
                            let bytes = try await blobs.read(key, range: offset...end)
                            // The object must be what its row says: a zip of other bytes is worse than a cut one.
                            guard bytes.count == Int(end - offset + 1) else { throw ZipSourceChanged(path: item.path) }
                            zip.add(bytes)
                            try await writer.write(ByteBuffer(bytes: bytes))
                            offset = end + 1
                        }
                    }
                    try await writer.write(ByteBuffer(bytes: zip.finishEntry()))
                }
                guard page.count == 500, let last = page.last else { break }
                after = last.path
            }
            try await writer.write(ByteBuffer(bytes: zip.finish()))
            try await writer.finish(nil)
        }
        let filename = folder.name + ".zip"
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/zip", .contentDisposition: "attachment; filename*=UTF-8''" + AWSURIEncoding.encodeQueryComponent(filename),
                .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
            ],
            body: body
        )
    }

    /// A name as a zip entry: `/` is the only separator zip knows, so a backslash (a separator
    /// to Windows' unzippers, and fine in a Linux name) becomes `_`.
    static func entryName(_ path: String) -> String {
        path.replacingOccurrences(of: "\\", with: "_")
    }

    struct ZipLinkChanged: Error, CustomStringConvertible {
        var description: String { "the link was revoked or expired, or its folder moved, while its zip went out; the zip is cut short" }
    }

    struct ZipSourceChanged: Error, CustomStringConvertible {
        var path: String
        var description: String { "the stored bytes of \(path) are not its recorded size; the zip is cut short" }
    }
}
