public import Hummingbird
public import Logging

/// A `HOST:PORT` to listen on, as `metrics.listen` gives it.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// "127.0.0.1:9465" (an IPv6 host in brackets: "[::1]:9465"); nil for anything else.
    public static func parse(_ text: String) -> ListenAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(":") || text.hasPrefix("[") else { return nil }
        return ListenAddress(host: host, port: port)
    }
}

/// `GET /metrics` (Prometheus text format) and nothing else. It runs on its own listener
/// (`metrics.listen`, loopback in the example), never on the public API port: request counts,
/// sign-in outcomes and upload volumes are for the operator, not for every visitor.
public func buildMetricsRouter(_ metrics: ServerMetrics) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
    return router
}

/// The metrics listener, a `Service` for the server's service group.
public func buildMetricsApplication(_ metrics: ServerMetrics, at address: ListenAddress, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildMetricsRouter(metrics),
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "syncd-server-metrics"),
        logger: logger
    )
}
