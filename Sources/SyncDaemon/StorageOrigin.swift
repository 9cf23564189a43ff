import Foundation
public import S3Client
import SyncAPI
import Synchronization

/// The scheme, host and port of a URL, as AsyncHTTPClient will connect to it (it parses with
/// the same Foundation `URL`). Only `http` and `https` with a host and no user info qualify.
struct TransferOrigin: Equatable, Sendable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host?.lowercased(), !host.isEmpty, url.user == nil, url.password == nil
        else { return nil }
        self.scheme = scheme
        self.host = host
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String { "\(scheme)://\(host):\(port)" }
}

/// The storage origin the server announced (`GET /api/v1/storage`), and the check every transfer
/// URL passes before a byte is sent: `https` or `http` to exactly that scheme, host and port.
/// Anything else (`http+unix://`, `file:`, another host or port) is refused with
/// ``TransferURLRefused``, and nothing is sent.
///
/// The origin is read once and again only when a URL does not match (the server may have been
/// moved to another endpoint); a server that announces no usable origin gets no transfers.
public final class StorageOrigin: Sendable {
    let api: ServerAPI
    private let announced = Mutex<TransferOrigin?>(nil)

    public init(api: ServerAPI) {
        self.api = api
    }

    /// Throws unless `url` is a transfer URL to the announced origin.
    public func check(_ url: String) async throws {
        guard let target = TransferOrigin(url) else {
            throw TransferURLRefused(url: url, reason: "only https:// or http:// URLs with a host are used for transfers")
        }
        if let known = announced.withLock({ $0 }), known == target { return }
        let fresh = try await fetch()
        guard fresh == target else {
            throw TransferURLRefused(url: url, reason: "the server's storage is at \(fresh), not \(target)")
        }
    }

    private func fetch() async throws -> TransferOrigin {
        let info: StorageInfo
        do {
            info = try await api.get("/storage")
        } catch let error as ServerError where error.status == 404 {
            throw TransferURLRefused(url: nil, reason: "the server does not say where its storage is (GET /api/v1/storage: 404); update syncd-server")
        }
        guard let origin = TransferOrigin(info.origin) else {
            throw TransferURLRefused(url: nil, reason: "the server announced an unusable storage origin \(String(reflecting: info.origin))")
        }
        announced.withLock { $0 = origin }
        return origin
    }
}

/// A transfer URL from the server was not used.
public struct TransferURLRefused: Error, Sendable, CustomStringConvertible {
    /// The URL refused (nil when no origin is known at all).
    public var url: String?
    public var reason: String

    public var description: String {
        // Presigned URLs carry signatures: show only up to the path.
        let shown = url.map { url in String(url.prefix { $0 != "?" }.prefix(200)) }
        return "transfer refused, nothing sent: " + (shown.map { "\($0): " } ?? "") + reason
    }
}

/// ``PresignedTransfer`` behind the origin check: every PUT and GET first passes
/// ``StorageOrigin/check(_:)``. The same calls, so that code moving bytes cannot skip it.
public struct CheckedTransfer: Sendable {
    let transfer: PresignedTransfer
    let origin: StorageOrigin

    public init(_ transfer: PresignedTransfer, origin: StorageOrigin) {
        self.transfer = transfer
        self.origin = origin
    }

    @discardableResult
    public func put(
        url: String,
        headers: [String: String],
        file path: String,
        range: Range<Int64>? = nil,
        progress: PresignedTransfer.Progress? = nil
    ) async throws -> String {
        try await origin.check(url)
        return try await transfer.put(url: url, headers: headers, file: path, range: range, progress: progress)
    }

    public func get(url: String, toFile path: String, sha256: String? = nil, progress: PresignedTransfer.Progress? = nil) async throws {
        try await origin.check(url)
        try await transfer.get(url: url, toFile: path, sha256: sha256, progress: progress)
    }
}
