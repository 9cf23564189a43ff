import Foundation

/// Where an S3 client sends requests and how it behaves.
public struct S3Configuration: Sendable {
    /// How the bucket appears in URLs.
    public enum AddressingStyle: Sendable {
        /// `https://endpoint/bucket/key`: works with every S3-compatible server and any bucket
        /// name.
        case path
        /// `https://bucket.endpoint/key`: AWS's preferred form; needs DNS for the bucket's host.
        case virtualHosted
    }

    /// Scheme, host and optional port, e.g. `https://s3.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:8333`.
    public var endpoint: String
    /// The signing region.
    public var region: String
    public var addressingStyle: AddressingStyle
    public var retry: RetryPolicy
    /// The longest one HTTP request may take, body included.
    public var requestTimeout: Duration

    public init(
        endpoint: String,
        region: String = "us-east-1",
        addressingStyle: AddressingStyle = .path,
        retry: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(900)
    ) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.region = region
        self.addressingStyle = addressingStyle
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    /// AWS S3 in a region, virtual-hosted addressing.
    public static func aws(region: String) -> S3Configuration {
        S3Configuration(endpoint: "https://s3.\(region).amazonaws.com", region: region, addressingStyle: .virtualHosted)
    }

    /// The endpoint split into scheme, host and port.
    var endpointParts: (scheme: String, host: String, port: Int?) {
        var rest = Substring(endpoint)
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        // [v6]:port, host:port or host.
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            let port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
            return (scheme, host, port)
        }
        if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
            return (scheme, String(rest[..<colon]), port)
        }
        return (scheme, String(rest), nil)
    }
}

/// Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture
/// Blog): attempt n waits a random time in [0, min(cap, base * 2^n)].
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included. 1 disables retries.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The longest wait before retry number `retry` (0 for the first retry); the actual wait
    /// is a uniformly random fraction of it.
    public func delayCeiling(retry: Int) -> Duration {
        let factor = 1 << min(retry, 30)
        let ceiling = baseDelay * factor
        return ceiling < maxDelay ? ceiling : maxDelay
    }

    func delay(retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = delayCeiling(retry: retry)
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanos), using: &generator))
    }
}
