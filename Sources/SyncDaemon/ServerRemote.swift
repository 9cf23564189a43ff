import Foundation
public import Logging
public import S3Client
import SyncAPI
public import SyncEngine
import Synchronization

/// The engine's remote over syncd-server and S3: metadata through the API, bytes straight to
/// and from S3 through presigned URLs.
///
/// Content is named by its block hash (``ContentIdentity``). A file of one block is one PUT
/// with the block's SHA-256 signed in (S3 refuses other bytes); larger ones are multipart
/// uploads with one part per block, each carrying its block's SHA-256 that S3 verifies,
/// recorded part by part in the journal so that an upload interrupted by a crash resumes from
/// its finished parts. Downloads are verified against the identity the server recorded
/// (``LocalFolder/install(_:at:expectedHash:replacing:)``) before the engine installs them. Begin and complete calls of concurrent
/// uploads are sent in batches.
public final class ServerRemote: RemotePort {
    let api: ServerAPI
    /// Every PUT and GET goes to the storage origin the server announced, or nowhere.
    let transfer: CheckedTransfer
    let journal: Journal
    /// Where multipart uploads in progress are kept (the journal).
    let uploads: any UploadResumeLog
    let board: TransferBoard
    let batches: UploadBatcher
    let logger: Logger
    /// Parts of one file in flight at once.
    let partConcurrency: Int
    /// Paths of the last listing that cannot be paths in the folder (``RemotePort/refusedPaths``).
    private let refused = Mutex<[String]>([])
    /// The cursor of the last listing or delta handed to the engine: what its plans are based on
    /// (sent with a new item's begin, ``BeginUploadRequest/seenCursor``).
    private let seen = Mutex<Int64?>(nil)

    var seenCursor: Int64? { seen.withLock { $0 } }

    public init(
        api: ServerAPI,
        journal: Journal,
        board: TransferBoard,
        transfer: PresignedTransfer = PresignedTransfer(),
        partConcurrency: Int = 4,
        logger: Logger = Logger(label: "syncd.remote")
    ) {
        self.api = api
        self.transfer = CheckedTransfer(transfer, origin: StorageOrigin(api: api))
        self.journal = journal
        uploads = journal
        self.board = board
        self.partConcurrency = max(1, partConcurrency)
        self.logger = logger
        batches = UploadBatcher(api: api)
    }

    /// The whole tree, a page of `/tree` at a time, then the feed from the first page on until
    /// it is read to its end (``TreeSnapshot``): exact however the tree changes meanwhile.
    public func snapshot() async throws -> (tree: RemoteTree, cursor: String) {
        var snapshot = TreeSnapshot()
        var after: String?
        var pages = 0
        repeat {
            let page: ItemPage = try await api.get("/tree?limit=\(Self.treePageSize)" + (after.map { "&after=" + Self.queryEncode($0) } ?? ""))
            // Pages that do not move on (a token repeated, or going round) would page forever.
            pages += 1
            guard page.next != after || page.next == nil, pages <= Self.maxTreePages else {
                throw ServerError(status: 0, code: "bad_page", message: "the tree's pages do not advance")
            }
            snapshot.add(page)
            after = page.next
        } while after != nil
        var position = snapshot.start ?? 0
        for read in 0... {
            // A feed that never comes to its end (changes faster than they are read, or a server
            // that says so) fails the listing rather than grow it without bound.
            guard read < Self.maxTreePages else { throw ServerError(status: 0, code: "bad_page", message: "the change feed does not come to an end") }
            let page: ChangesResponse = try await api.get("/changes?after=\(position)&limit=\(Self.changesPageSize)")
            guard page.cursor >= position else { throw ServerError(status: 0, code: "feed_went_back", message: "the change feed went back") }
            snapshot.apply(page.changes)
            if page.changes.isEmpty || page.cursor == position { break }
            position = page.cursor
        }
        var tree = RemoteTree()
        tree.entries.reserveCapacity(snapshot.items.count)
        var refusedPaths: [String] = []
        for (file, _) in snapshot.items.values {
            // The engine reports these (once, and in `syncd status`).
            guard let path = RelativePath(file.path) else {
                refusedPaths.append(file.path)
                continue
            }
            tree[path] = Self.entry(file)
        }
        refused.withLock { $0 = refusedPaths.sorted() }
        seen.withLock { $0 = position }
        return (tree, String(position))
    }

    /// The most pages a listing reads, of the tree and of the feed after it (100 million items
    /// at 1,000 a page).
    static let maxTreePages = 100_000
    /// Items per page of the tree, and changes per page of the feed: the server's most.
    static let treePageSize = 1000
    static let changesPageSize = 5000

    public var refusedPaths: [String] {
        refused.withLock { $0 }
    }

    /// The change feed after `cursor`, up to 50,000 changes (10 pages of the server's most);
    /// beyond that a snapshot is cheaper.
    public func changes(after cursor: String) async throws -> RemoteDelta? {
        guard var after = Int64(cursor) else { return nil }
        var changes: [RemoteDelta.Change] = []
        for _ in 0..<10 {
            let page: ChangesResponse = try await api.get("/changes?after=\(after)&limit=\(Self.changesPageSize)")
            for change in page.changes {
                var movedFrom: RelativePath?
                if let from = change.movedFrom {
                    // A folder moved from where this folder cannot hold: what was inside it is
                    // not known here, and a snapshot tells.
                    guard let path = RelativePath(from) else { return nil }
                    movedFrom = path
                }
                changes.append(
                    RemoteDelta.Change(
                        fileId: change.file.id,
                        path: RelativePath(change.file.path),
                        entry: change.deleted ? nil : Self.entry(change.file),
                        movedFrom: movedFrom
                    )
                )
            }
            // The cursor never goes back; if it did, the server's feed is not the one we followed.
            guard page.cursor >= after else { return nil }
            if page.changes.isEmpty || page.cursor == after {
                seen.withLock { $0 = page.cursor }
                return RemoteDelta(changes: changes, cursor: String(page.cursor))
            }
            after = page.cursor
        }
        return nil
    }

    public func createFolder(_ path: RelativePath) async throws -> RemoteEntry {
        try await Self.conflicts(path) {
            let folder: FileMetadata = try await api.post("/folders", CreateFolderRequest(path: path.string))
            return Self.entry(folder)
        }
    }

    public func move(_ path: RelativePath, to destination: RelativePath, revision: Int64) async throws -> RemoteEntry {
        try await Self.conflicts(path) {
            let moved: FileMetadata = try await api.post("/move", MoveRequest(from: path.string, to: destination.string, revision: revision))
            return Self.entry(moved)
        }
    }

    public func delete(_ path: RelativePath, revision: Int64) async throws {
        try await Self.conflicts(path) {
            try await api.call("POST", "/trash", TrashRequest(path: path.string, revision: revision))
        }
    }

    /// The server's 409 `revision_conflict` as the engine's ``RemoteConflict``: the item it has
    /// now (the body's `current`), which the engine plans against at once.
    static func conflicts<T>(_ path: RelativePath, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ServerError where error.status == 409 && error.code == "revision_conflict" {
            let current = error.current.flatMap { file in RelativePath(file.path).map { ($0, Self.entry(file)) } }
            throw RemoteConflict(path: path, currentPath: current?.0, current: current?.1, message: error.message)
        }
    }

    public func download(_ path: RelativePath, entry: RemoteEntry, to localPath: String) async throws {
        guard let hash = entry.contentHash else { throw ServerError(status: 0, code: "no_content", message: "\(path) has no content to download") }
        let signed: DownloadResponse = try await api.get("/download?path=" + Self.queryEncode(path.string))
        // A server that has not rehashed its rows yet names the same bytes by their old hash.
        let served = signed.file.sha256 ?? ""
        let aliases = served == hash ? [:] : try journal.hashAliases()
        guard served == hash || aliases[served] == hash else {
            // The file changed on the server since the engine looked: the answer names what it
            // is now, which the engine plans against at once.
            throw RemoteConflict(
                path: path,
                currentPath: path,
                current: Self.entry(signed.file),
                message: "\(path) changed on the server since the last listing"
            )
        }
        board.start(path.string, direction: "download", size: entry.size)
        defer { board.end(path.string, direction: "download") }
        // The bytes are checked against the identity when they are installed (LocalFolder.install).
        try await transfer.get(url: signed.url, toFile: localPath) { [board] bytes in
            board.add(path.string, direction: "download", bytes: bytes)
        }
    }

    static func entry(_ file: FileMetadata) -> RemoteEntry {
        RemoteEntry(kind: file.kind, fileId: file.id, revision: file.revision, size: file.size, contentHash: file.sha256)
    }

    static func queryEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
