/// Caps the bytes per second of all the transfers that share it (one for uploads, one for
/// downloads): a token bucket that lets a transfer run into debt and makes it wait the debt
/// off, so that many parallel transfers together keep to the rate.
public actor BandwidthLimiter {
    private var bucket: TokenBucket
    private let origin = ContinuousClock.now
    private var unlimited: Bool

    /// - Parameter bytesPerSecond: the sustained rate, bursts up to one second's worth; nil:
    ///   no cap (until `setRate`).
    public init(bytesPerSecond: Int64?) {
        unlimited = bytesPerSecond == nil
        let rate = Double(bytesPerSecond ?? 1)
        bucket = TokenBucket(rate: rate, capacity: rate)
    }

    /// Changes the rate (a configuration reload); nil lifts the cap.
    public func setRate(_ bytesPerSecond: Int64?) {
        unlimited = bytesPerSecond == nil
        if let bytesPerSecond { bucket = TokenBucket(rate: Double(bytesPerSecond), capacity: Double(bytesPerSecond)) }
    }

    /// Waits until `bytes` more may be moved.
    public func take(_ bytes: Int) async throws {
        if unlimited { return }
        let elapsed = ContinuousClock.now - origin
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let wait = bucket.reserve(Double(bytes), at: now)
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
    }

    /// The arithmetic, pure: the time is a parameter.
    public struct TokenBucket: Sendable, Equatable {
        public let rate: Double
        public let capacity: Double
        public private(set) var tokens: Double
        public private(set) var at: Double

        public init(rate: Double, capacity: Double, at: Double = 0) {
            self.rate = rate
            self.capacity = capacity
            tokens = capacity
            self.at = at
        }

        /// Takes `amount` at time `now`; returns how many seconds the caller must wait first
        /// (0 when the bucket had enough).
        public mutating func reserve(_ amount: Double, at now: Double) -> Double {
            tokens = min(capacity, tokens + max(0, now - at) * rate)
            at = max(at, now)
            tokens -= amount
            return tokens >= 0 ? 0 : -tokens / rate
        }
    }
}
