/// An HTTP request as SigV4 sees it: method, where it goes, its query and headers.
///
/// The path is kept percent-encoded, exactly as it goes on the request line (S3 signs it as sent);
/// query names and values are kept raw and encoded by ``url`` the same way the signer encodes
/// them, so what is signed is always what is sent.
public struct SigV4Request: Sendable {
    /// `GET`, `PUT`, ... (upper case).
    public var method: String
    /// `http` or `https`.
    public var scheme: String
    /// Host name or address, without the port.
    public var host: String
    /// The port, or nil for the scheme's default.
    public var port: Int?
    /// The percent-encoded path, starting with `/`.
    public var encodedPath: String
    /// Raw (unencoded) query items, in any order; a nil value is written as `name=`.
    public var query: [(name: String, value: String)]
    /// Header fields in any case; names that repeat are joined with `,` when signed.
    public var headers: [(name: String, value: String)]

    public init(
        method: String,
        scheme: String,
        host: String,
        port: Int? = nil,
        encodedPath: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = []
    ) {
        self.method = method.uppercased()
        self.scheme = scheme.lowercased()
        self.host = host
        self.port = port
        self.encodedPath = encodedPath.isEmpty ? "/" : encodedPath
        self.query = query
        self.headers = headers
    }

    /// The `Host` header value: host, plus `:port` unless it is the scheme's default.
    public var hostHeader: String {
        guard let port, port != Self.defaultPort(scheme) else { return hostForURL }
        return "\(hostForURL):\(port)"
    }

    /// The encoded query string as sent (and as signed: sorted by encoded name, then value).
    public var encodedQuery: String {
        query
            .map { (AWSURIEncoding.encodeQueryComponent($0.name), AWSURIEncoding.encodeQueryComponent($0.value)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The full URL string to send.
    public var url: String {
        let query = encodedQuery
        return "\(scheme)://\(hostHeader)\(encodedPath)\(query.isEmpty ? "" : "?" + query)"
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Sets a header, replacing every field of the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    private var hostForURL: String {
        // An IPv6 literal needs its brackets in the Host header and the URL.
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    static func defaultPort(_ scheme: String) -> Int {
        scheme == "https" ? 443 : 80
    }
}
