import Foundation
import Glibc
public import Logging
public import S3Client
import SyncAPI
import Synchronization
public import SyncEngine

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

    public init(api: ServerAPI, journal: Journal, board: TransferBoard, transfer: PresignedTransfer = PresignedTransfer(),
                partConcurrency: Int = 4, logger: Logger = Logger(label: "syncd.remote")) {
        self.api = api
        self.transfer = CheckedTransfer(transfer, origin: StorageOrigin(api: api))
        self.journal = journal
        self.board = board
        self.partConcurrency = max(1, partConcurrency)
        self.logger = logger
        batches = UploadBatcher(api: api)
    }

    public func snapshot() async throws -> (tree: RemoteTree, cursor: String) {
        let listing: FileListing = try await api.get("/files")
        var tree = RemoteTree()
        var refusedPaths: [String] = []
        for file in listing.files {
            // The engine reports these (once, and in `syncd status`).
            guard let path = RelativePath(file.path) else {
                refusedPaths.append(file.path)
                continue
            }
            tree[path] = Self.entry(file)
        }
        refused.withLock { $0 = refusedPaths }
        seen.withLock { $0 = listing.cursor }
        return (tree, String(listing.cursor))
    }

    public var refusedPaths: [String] {
        refused.withLock { $0 }
    }

    /// The change feed after `cursor`, up to 10,000 changes; beyond that a snapshot is cheaper.
    public func changes(after cursor: String) async throws -> RemoteDelta? {
        guard var after = Int64(cursor) else { return nil }
        var changes: [RemoteDelta.Change] = []
        for _ in 0..<10 {
            let page: ChangesResponse = try await api.get("/changes?after=\(after)")
            for change in page.changes {
                changes.append(RemoteDelta.Change(
                    fileId: change.file.id, path: RelativePath(change.file.path), entry: change.deleted ? nil : Self.entry(change.file)))
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
            throw RemoteConflict(path: path, currentPath: path, current: Self.entry(signed.file),
                                 message: "\(path) changed on the server since the last listing")
        }
        board.start(path.string, direction: "download", size: entry.size)
        defer { board.end(path.string, direction: "download") }
        // The bytes are checked against the identity when they are installed (LocalFolder.install).
        try await transfer.get(url: signed.url, toFile: localPath) { [board] bytes in
            board.add(path.string, direction: "download", bytes: bytes)
        }
    }

    public func upload(_ path: RelativePath, from localPath: String, contentHash: String, size: Int64, baseRevision: Int64?) async throws -> RemoteEntry {
        try await Self.conflicts(path) {
            do {
                return try await send(path, from: localPath, contentHash: contentHash, size: size, baseRevision: baseRevision)
            } catch let error as ServerError where error.code == "content_mismatch" {
                // The bytes sent are not the content scanned: the file changed in between.
                throw LocalFileError(.changedSinceScan, "\(path) is not what was scanned (\(error.message)); it is rescanned and sent again")
            }
        }
    }

    private func send(_ path: RelativePath, from localPath: String, contentHash: String, size: Int64, baseRevision: Int64?) async throws -> RemoteEntry {
        let before = try FileIdentity(path: localPath)
        guard before.size == size else { throw LocalFileError(.changedSinceScan, "\(path) changed since it was scanned") }
        board.start(path.string, direction: "upload", size: size)
        defer { board.end(path.string, direction: "upload") }

        if let session = try journal.uploadSession(for: path), session.contentHash == contentHash, session.size == size, session.partSize > 0 {
            do {
                return try await multipart(path, localPath: localPath, session: session, identity: before, resumed: true)
            } catch let error as ServerError where error.status == 404 {
                // The server forgot the upload (aborted as too old): start again.
                logger.notice("the server no longer knows the interrupted upload; starting over", metadata: ["path": "\(path)"])
                try forgetSession(path)
            }
        }
        // A one-block file's PUT is signed with that block's SHA-256, which begin carries.
        let blockSha256 = ContentIdentity.blockCount(forFileSize: size) <= 1
            ? try await PresignedTransfer.checksum(.sha256, file: localPath, range: 0..<size).base64 : nil
        let plan = try await batches.begin(
            BeginUploadRequest(
                path: path.string, size: size, sha256: contentHash, baseRevision: baseRevision, blockSha256: blockSha256,
                seenCursor: baseRevision == nil ? seen.withLock { $0 } : nil))
        switch plan.mode {
        case "stored":
            guard let file = plan.file else { throw ServerError(status: 0, code: "bad_response", message: "stored upload without its file") }
            board.add(path.string, direction: "upload", bytes: 0)
            return Self.entry(file)
        case "single":
            guard let id = plan.uploadId, let url = plan.url else { throw ServerError(status: 0, code: "bad_response", message: "single upload without URL") }
            do {
                try await transfer.put(url: url, headers: plan.headers, file: localPath) { [board] bytes in
                    board.add(path.string, direction: "upload", bytes: bytes)
                }
            } catch {
                try? await api.call("DELETE", "/uploads/\(id)")
                throw Self.changed(path, localPath, since: before) ?? error
            }
            return Self.entry(try await batches.complete(id, parts: []))
        case "multipart":
            guard let id = plan.uploadId, let partSize = plan.partSize else {
                throw ServerError(status: 0, code: "bad_response", message: "multipart upload without id or part size")
            }
            let session = UploadSession(
                path: path, uploadId: id, size: size, mtimeNs: before.mtimeNs, inode: before.inode, contentHash: contentHash, startedAt: Date(),
                partSize: partSize)
            try journal.beginUpload(session)
            return try await multipart(path, localPath: localPath, session: session, identity: before, resumed: false)
        default:
            throw ServerError(status: 0, code: "bad_response", message: "unknown upload mode \(plan.mode)")
        }
    }

    /// Sends the parts the session does not have yet, then completes the upload.
    /// - Parameter resumed: the session comes from the journal (an earlier run): S3 may hold
    ///   parts the journal did not get to record.
    private func multipart(_ path: RelativePath, localPath: String, session: UploadSession, identity: FileIdentity, resumed: Bool) async throws -> RemoteEntry {
        let layout = try PartLayout(fileSize: session.size, preferredPartSize: session.partSize)
        var finished = Dictionary(session.parts.map { ($0.partNumber, $0) }) { a, _ in a }
        var fromListing = 0
        if resumed {
            // S3 may hold parts the journal did not get to record (the crash came between S3's
            // answer and the journal); each is reused if its SHA-256 is the file's bytes there.
            let held: UploadPartsResponse = try await api.get("/uploads/\(session.uploadId)/parts")
            for part in held.parts where finished[part.partNumber] == nil && (1...layout.partCount).contains(part.partNumber) {
                let range = layout.range(ofPart: part.partNumber)
                let candidate = CompletedPart(
                    partNumber: part.partNumber, etag: part.etag, size: part.size,
                    checksum: part.checksumSHA256.map { Checksum(algorithm: .sha256, base64: $0) })
                guard try await PresignedTransfer.partMatches(candidate, file: localPath, range: range, algorithm: .sha256) else { continue }
                var reused = candidate
                reused.checksum = try await PresignedTransfer.checksum(.sha256, file: localPath, range: range)
                finished[part.partNumber] = reused
                fromListing += 1
                try journal.recordPart(reused, of: path)
            }
        }
        if !finished.isEmpty {
            let kept = finished.values.reduce(Int64(0)) { $0 + $1.size }
            board.add(path.string, direction: "upload", bytes: kept)
            logger.info(
                "resuming upload",
                metadata: [
                    "path": "\(path)", "parts_kept": "\(finished.count)", "parts_total": "\(layout.partCount)",
                    "parts_found_in_s3_only": "\(fromListing)",
                ])
        }
        let missing = (1...layout.partCount).filter { finished[$0] == nil }
        try await withThrowingTaskGroup(of: CompletedPart.self) { group in
            var next = 0
            func start() {
                let number = missing[next]
                next += 1
                group.addTask { try await self.sendPart(number, of: session, layout: layout, localPath: localPath) }
            }
            while next < min(missing.count, partConcurrency) { start() }
            do {
                while let part = try await group.next() {
                    finished[part.partNumber] = part
                    try journal.recordPart(part, of: path)
                    if next < missing.count { start() }
                }
            } catch {
                // A part S3 refused (BadDigest) because the file is being rewritten: a rescan's
                // news, not a failure to back off from.
                if let changed = Self.changed(path, localPath, since: identity) {
                    try? await api.call("DELETE", "/uploads/\(session.uploadId)")
                    try forgetSession(path)
                    throw changed
                }
                throw error
            }
        }
        // The bytes S3 verified part by part are the file's only if it did not change meanwhile.
        if let changed = Self.changed(path, localPath, since: identity) {
            try? await api.call("DELETE", "/uploads/\(session.uploadId)")
            try forgetSession(path)
            throw changed
        }
        let parts = finished.values.sorted { $0.partNumber < $1.partNumber }.map {
            CompleteUploadRequest.Part(partNumber: $0.partNumber, etag: $0.etag, checksumSHA256: $0.checksum?.base64)
        }
        do {
            return Self.entry(try await batches.complete(session.uploadId, parts: parts))
        } catch let error as ServerError where error.status == 409 || error.code == "content_mismatch" || error.code == "incomplete_upload" {
            // content_mismatch: the parts are not the scanned content (the server aborted the
            // upload); the next scan rehashes and the upload starts over. incomplete_upload
            // after every part was sent: S3 does not hold what the session says; start over
            // rather than resume the same upload for ever.
            try? await api.call("DELETE", "/uploads/\(session.uploadId)")
            try forgetSession(path)
            throw error
        }
    }

    private func sendPart(_ number: Int, of session: UploadSession, layout: PartLayout, localPath: String) async throws -> CompletedPart {
        let range = layout.range(ofPart: number)
        let checksum = try await PresignedTransfer.checksum(.sha256, file: localPath, range: range)
        let signed: PartURLsResponse = try await api.post(
            "/uploads/\(session.uploadId)/parts", PartURLsRequest(partNumbers: [number], sha256: [String(number): checksum.base64]))
        guard let url = signed.urls[String(number)] else { throw ServerError(status: 0, code: "bad_response", message: "no URL for part \(number)") }
        let path = session.path.string
        let etag = try await transfer.put(url: url, headers: signed.headers[String(number)] ?? [:], file: localPath, range: range) { [board] bytes in
            board.add(path, direction: "upload", bytes: bytes)
        }
        return CompletedPart(partNumber: number, etag: etag, size: Int64(range.count), checksum: checksum)
    }

    /// The error to give when the file is no longer what the upload started from (the engine
    /// rescans it at once and sends it again); nil when it is unchanged.
    static func changed(_ path: RelativePath, _ localPath: String, since identity: FileIdentity) -> LocalFileError? {
        (try? FileIdentity(path: localPath)) == identity ? nil : LocalFileError(.changedSinceScan, "\(path) changed during its upload; it is sent again")
    }

    /// Drops the journal's record of an upload that cannot be continued.
    private func forgetSession(_ path: RelativePath) throws {
        var change = JournalChange()
        change.finishedUploads = [path]
        try journal.apply(change)
    }

    static func entry(_ file: FileMetadata) -> RemoteEntry {
        RemoteEntry(kind: file.kind == "folder" ? .folder : .file, fileId: file.id, revision: file.revision, size: file.size, contentHash: file.sha256)
    }

    static func queryEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// What identifies a file's version on disk without reading it.
struct FileIdentity: Equatable {
    var size: Int64
    var mtimeNs: Int64
    var ctimeNs: Int64
    var inode: UInt64

    init(path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ServerError(status: 0, code: "local", message: "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        size = Int64(info.st_size)
        mtimeNs = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        ctimeNs = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        inode = UInt64(info.st_ino)
    }
}
