import AsyncHTTPClient
import Foundation
import Glibc
import S3Client
import SyncAPI
import Synchronization
import Testing

@testable import SyncDaemon
@testable import SyncEngine

/// The daemon sends PUTs and GETs only to the storage origin the server announced
/// (`GET /api/v1/storage`), whatever transfer URL a hostile or broken server hands out
/// (issue 11, item 3). The "server" is a real HTTP listener on loopback answering as a hostile
/// one would; the other targets are real listeners that must see no connection at all.
@Suite struct TransferOriginTests {
    @Test func hostileTransferURLsAreRefusedAndNothingIsSent() async throws {
        let foreign = try SilentListener.tcp()
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("syncd-evil-\(UUID().uuidString.prefix(8)).sock").path
        let unixSocket = try SilentListener.unix(socketPath)
        defer { unlink(socketPath) }
        let content = Array("the real bytes".utf8)
        let state = try TestDirectory()
        let probe = try TestDirectory()
        try Data(content).write(to: URL(fileURLWithPath: probe.path + "/probe"))
        let hash = try ContentHash.hash(path: probe.path + "/probe")

        let downloadURL = Mutex("")
        let server = try CannedHTTPServer { method, target, port in
            if target == "/api/v1/storage" { return (200, #"{"origin": "http://127.0.0.1:\#(port)"}"#) }
            if target.hasPrefix("/api/v1/download") {
                let url = downloadURL.withLock { $0 }
                return (
                    200,
                    #"{"url": \#(Self.jsonString(url)), "expiresAt": 0, "file": {"id": "f1", "path": "a.txt", "kind": "file", "revision": 1, "size": \#(content.count), "sha256": "\#(hash)", "modifiedAt": 0}}"#
                )
            }
            if target == "/blob/ok" && method == "GET" { return (200, String(decoding: content, as: UTF8.self)) }
            return (404, #"{"code": "not_found", "message": "no"}"#)
        }
        defer { server.stop() }
        let api = ServerAPI(baseURL: "http://127.0.0.1:\(server.port)", token: "device-token")
        let remote = ServerRemote(api: api, journal: try Journal(path: state.path + "/journal.sqlite"), board: TransferBoard())
        let entry = RemoteEntry(kind: .file, fileId: "f1", revision: 1, size: Int64(content.count), contentHash: hash)
        let target = state.path + "/download"

        let hostile = [
            "http+unix://\(socketPath.replacingOccurrences(of: "/", with: "%2F"))/bucket/key",
            "http://127.0.0.1:\(foreign.port)/bucket/key",
            "https://127.0.0.1:\(server.port)/blob/ok",  // right host and port, other scheme
            "http://user@127.0.0.1:\(foreign.port)/bucket/key",
            "file:///etc/passwd",
            "ftp://127.0.0.1:\(foreign.port)/key",
            "//127.0.0.1:\(foreign.port)/key",
        ]
        for url in hostile {
            downloadURL.withLock { $0 = url }
            _ = FileManager.default.createFile(atPath: target, contents: nil)
            await #expect(throws: TransferURLRefused.self, "\(url)") {
                try await remote.download(RelativePath("a.txt")!, entry: entry, to: target)
            }
            #expect(try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int == 0, "\(url): nothing written")
        }
        // Uploads go through the same check.
        let transfer = CheckedTransfer(PresignedTransfer(), origin: StorageOrigin(api: api))
        await #expect(throws: TransferURLRefused.self) {
            try await transfer.put(url: "http://127.0.0.1:\(foreign.port)/bucket/key", headers: [:], file: probe.path + "/probe")
        }
        #expect(foreign.connectionsSoFar() == 0, "no byte went to the foreign host")
        #expect(unixSocket.connectionsSoFar() == 0, "no byte went to the unix socket")
        #expect(server.requests().allSatisfy { !$0.hasPrefix("GET /blob") && !$0.hasPrefix("PUT") }, "\(server.requests())")

        // The announced origin itself works, so the refusals above mean something.
        downloadURL.withLock { $0 = "http://127.0.0.1:\(server.port)/blob/ok" }
        try await remote.download(RelativePath("a.txt")!, entry: entry, to: target)
        #expect(FileManager.default.contents(atPath: target).map(Array.init) == content)
    }

    /// The storage origin itself (or whatever answers there) redirecting a transfer elsewhere:
    /// the daemon's HTTP client does not follow it, so no request leaves for the other host.
    @Test func aRedirectFromTheStorageOriginIsNotFollowed() async throws {
        let foreign = try CannedHTTPServer { _, _, _ in (200, "stolen") }
        defer { foreign.stop() }
        let probe = try TestDirectory()
        try Data("private bytes".utf8).write(to: URL(fileURLWithPath: probe.path + "/probe"))
        let storage = try CannedHTTPServer { _, target, _ in
            if target == "/api/v1/storage" { return (200, "") }
            return target == "/bucket/key" ? (307, "") : (404, "")
        }
        defer { storage.stop() }
        storage.extraHeaders.withLock { $0["/bucket/key"] = "Location: http://127.0.0.1:\(foreign.port)/stolen" }
        let settings = DaemonSettings(
            folder: probe.path,
            server: "http://127.0.0.1:\(storage.port)",
            token: "t",
            paths: DaemonPaths(configDir: probe.path, stateDir: probe.path + "/state")
        )
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Daemon.httpConfiguration(settings))
        let transfer = PresignedTransfer(http: http, retry: RetryPolicy(maxAttempts: 1))
        // A GET (a PUT's body the canned server does not read would end the exchange before
        // the redirect is seen): the answer is the 307 itself, an error, and nothing follows it.
        await #expect(throws: (any Error).self) {
            try await transfer.get(url: "http://127.0.0.1:\(storage.port)/bucket/key", toFile: probe.path + "/download")
        }
        #expect(storage.requests().contains("GET /bucket/key"), "the GET reached the origin: \(storage.requests())")
        #expect(foreign.requests().isEmpty, "the redirect was not followed: \(foreign.requests())")
        try await http.shutdown()
    }

    @Test func originsCompareSchemeHostAndPort() {
        #expect(TransferOrigin("https://Bucket.S3.amazonaws.com/key?X-Amz-Signature=1") == TransferOrigin("https://bucket.s3.amazonaws.com:443"))
        #expect(TransferOrigin("http://127.0.0.1/x") == TransferOrigin("http://127.0.0.1:80"))
        #expect(TransferOrigin("http://127.0.0.1:8333/x") != TransferOrigin("http://127.0.0.1:8334"))
        #expect(TransferOrigin("https://127.0.0.1:8333/x") != TransferOrigin("http://127.0.0.1:8333"))
        for bad in [
            "http+unix://%2Ftmp%2Fs.sock/x", "https+unix://%2Ftmp%2Fs.sock/x", "unix:///tmp/s.sock", "file:///etc/passwd", "http:///x",
            "http://u:p@h/x", "", "h/x",
        ] {
            #expect(TransferOrigin(bad) == nil, "\(bad)")
        }
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}

/// A scratch directory, removed afterwards.
final class TestDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("syncd-origin-\(UUID().uuidString)").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A listening socket nobody answers on: whether anything connected is all it tells.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    private init(fd: Int32, port: Int) {
        self.fd = fd
        self.port = port
    }

    deinit { close(fd) }

    static func tcp() throws -> SilentListener {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRINUSE) }
        return SilentListener(fd: fd, port: Int(UInt16(bigEndian: address.sin_port)))
    }

    static func unix(_ path: String) throws -> SilentListener {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && listen(fd, 16) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRINUSE) }
        return SilentListener(fd: fd, port: 0)
    }

    /// Connections waiting in the backlog (taken off it).
    func connectionsSoFar() -> Int {
        var count = 0
        while case let client = accept(fd, nil, nil), client >= 0 {
            close(client)
            count += 1
        }
        return count
    }
}

/// A one-request-per-connection HTTP/1.1 server on loopback with canned answers, on its own
/// thread: the hostile "syncd-server" of these tests.
final class CannedHTTPServer: @unchecked Sendable {
    typealias Handler = @Sendable (_ method: String, _ target: String, _ port: Int) -> (Int, String)
    /// Extra response headers per request target (e.g. a redirect's Location).
    let extraHeaders = Mutex<[String: String]>([:])
    let fd: Int32
    let port: Int
    private let seen = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)

    init(_ handler: @escaping Handler) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = fd
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listening, $0, length) == 0 && listen(listening, 16) == 0 && getsockname(listening, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let client = accept(listening, nil, nil)
                guard client >= 0 else { continue }
                serve(client, handler)
            }
        }
        thread.start()
    }

    private func serve(_ client: Int32, _ handler: Handler) {
        defer { close(client) }
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.containsHeaderEnd {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            request += buffer[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2 else { return }
        let method = String(line[0])
        let target = String(line[1])
        if method == "QUIT" { return }
        seen.withLock { $0.append("\(method) \(target)") }
        let (status, body) = handler(method, target, port)
        let bytes = Array(body.utf8)
        let extra = extraHeaders.withLock { $0[target] }.map { "\($0)\r\n" } ?? ""
        let head = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\(extra)Connection: close\r\n\r\n"
        let all = Array(head.utf8) + bytes
        _ = all.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
    }

    func requests() -> [String] { seen.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        // Wake the accept with one last connection.
        let wake = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(wake, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        _ = "QUIT / HTTP/1.1\r\n\r\n".withCString { write(wake, $0, strlen($0)) }
        close(wake)
    }

    deinit { close(fd) }
}

extension [UInt8] {
    fileprivate var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return true }
        return false
    }
}
