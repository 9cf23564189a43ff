import Foundation
import Glibc
import ServiceLifecycle

/// A request to a running daemon over its control socket: one JSON line in, one JSON line out.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable {
        /// `rescan`: a full pass as soon as the current one ends (the excluded folders changed).
        case status, pause, resume, rescan
    }

    public var command: Command
    /// With `resume`: carry out the deletions the mass-delete brake held.
    public var allowDeletes: Bool?

    public init(command: Command, allowDeletes: Bool? = nil) {
        self.command = command
        self.allowDeletes = allowDeletes
    }
}

/// The answer: the status (after the command took effect), or why it failed.
public struct ControlResponse: Codable, Sendable, Equatable {
    public var status: DaemonStatus?
    public var error: String?

    public init(status: DaemonStatus?, error: String? = nil) {
        self.status = status
        self.error = error
    }
}

/// The daemon's side: a Unix stream socket (mode 0600, so only its user talks to it), bound
/// when made and served while it runs as a service; each connection is one request.
final class ControlServer: Service, Sendable {
    let path: String
    private let listener: SocketService

    init(path: String, handler: @escaping @Sendable (ControlRequest) -> ControlResponse) throws {
        self.path = path
        unlink(path)  // a socket left by a killed daemon
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot create the control socket: \(String(cString: strerror(errno)))") }
        var address = try Self.address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ControlError("cannot listen on \(path): \(message)")
        }
        listener = SocketService(descriptor: fd, name: "syncd-control", serve: { client in Self.serve(client, handler) }, stopped: { unlink(path) })
    }

    /// Serves requests until the graceful shutdown (or cancellation), then removes the socket file.
    func run() async {
        await listener.run()
    }

    /// Stops accepting and removes the socket file.
    func stop() {
        listener.stop()
    }

    private static func serve(_ client: Int32, _ handler: (ControlRequest) -> ControlResponse) {
        // A client that stalls cannot hold the daemon's shutdown for more than a few seconds.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let line = readLine(client, limit: 64 << 10) else { return }
        let response: ControlResponse
        if let request = try? JSONDecoder().decode(ControlRequest.self, from: line) {
            response = handler(request)
        } else {
            response = ControlResponse(status: nil, error: "not a control request")
        }
        guard var data = try? ControlCodec.encoder.encode(response) else { return }
        data.append(UInt8(ascii: "\n"))
        _ = writeAll(client, data)
    }

    static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlError("the control socket path is too long for a Unix socket: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

/// The command line's side.
public enum ControlClient {
    /// Sends one request to the daemon listening at `path`.
    /// The status of the daemon on this control socket, nil when none answers: what commands
    /// that must not race a running daemon (login, logout, a dry run) ask first.
    public static func runningStatus(at path: String) -> DaemonStatus? {
        (try? send(ControlRequest(command: .status), to: path))?.status
    }

    public static func send(_ request: ControlRequest, to path: String) throws -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot create a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = try ControlServer.address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw ControlError("no syncd is running for this folder (\(path): \(String(cString: strerror(errno))))")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data = try JSONEncoder().encode(request)
        data.append(UInt8(ascii: "\n"))
        guard writeAll(fd, data), let line = readLine(fd, limit: 16 << 20) else {
            throw ControlError("the daemon did not answer on \(path)")
        }
        return try ControlCodec.decoder.decode(ControlResponse.self, from: line)
    }
}

enum ControlCodec {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

public struct ControlError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Reads up to a newline (or the end); nil on error or when over `limit`.
private func readLine(_ fd: Int32, limit: Int) -> Data? {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while data.count <= limit {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return data.isEmpty ? nil : data }
        if let newline = buffer[0..<n].firstIndex(of: UInt8(ascii: "\n")) {
            data.append(contentsOf: buffer[0..<newline])
            return data
        }
        data.append(contentsOf: buffer[0..<n])
    }
    return nil
}

func writeAll(_ fd: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
