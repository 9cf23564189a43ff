import Crypto
import CryptoExtras
import Foundation
import NIOPosix
import Synchronization

/// A share link's password, kept as a slow hash: scrypt (RFC 7914) from swift-crypto's
/// CryptoExtras (BoringSSL's `EVP_PBE_scrypt`, maintained by Apple and already linked for
/// SHA-256 and HMAC). Argon2id would be the first choice, but no maintained Swift package
/// offers it; scrypt is memory-hard too.
///
/// Stored as `scrypt$LOG2N$R$P$SALT$KEY` (base64url), so that the cost can be raised later and
/// old hashes still verify. The cost read back is bounded (N up to 2^16, r up to 8, p = 1, at
/// most 64 MiB): a tampered row cannot make the server derive for minutes or allocate gigabytes.
/// Passwords are compared in Unicode's composed form (NFC).
enum LinkPassword {
    /// N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s a derivation on one core.
    static let logRounds = 15
    static let blockSize = 8
    static let parallelism = 1
    static let keyBytes = 32

    /// Derivations that may run at once: each holds 32 MiB and a thread of the pool.
    static let maxConcurrent = 4
    private static let running = Mutex(0)

    /// The fewest characters a link's password has: shorter ones fall to the attempts a day the
    /// limits allow.
    static let minimumLength = 6

    /// A password a link can take: 6 to 256 characters, no control characters.
    static func isAcceptable(_ password: String) -> Bool {
        (minimumLength...256).contains(password.count) && !password.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The stored form of a new password (a fresh salt).
    static func hash(_ password: String) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try await derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(logRounds)$\(blockSize)$\(parallelism)$\(base64URL(salt))$\(base64URL(key))"
    }

    /// Whether `password` is the one `stored` was made from; false for a stored form this
    /// server does not read.
    static func verify(_ password: String, against stored: String) async throws -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let log = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            (10...16).contains(log), (1...8).contains(r), p == 1,
            let salt = bytes(base64URL: parts[4]), let expected = bytes(base64URL: parts[5]), expected.count == keyBytes
        else { return false }
        let key = try await derive(password, salt: salt, logRounds: log, blockSize: r, parallelism: p)
        // Constant time: every byte compared whatever the first difference.
        return zip(key, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Too many derivations are running: try again shortly.
    struct Busy: Error {}

    private static func derive(_ password: String, salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int) async throws -> [UInt8] {
        let admitted = running.withLock { count in
            guard count < maxConcurrent else { return false }
            count += 1
            return true
        }
        guard admitted else { throw Busy() }
        // The same text typed on another system: composed characters compared as one.
        let password = password.precomposedStringWithCanonicalMapping
        defer { running.withLock { $0 -= 1 } }
        // Off the cooperative pool: a derivation is a tenth of a second of one core.
        return try await NIOThreadPool.singleton.runIfActive {
            let key = try KDF.Scrypt.deriveKey(
                from: Array(password.utf8),
                salt: salt,
                outputByteCount: keyBytes,
                rounds: 1 << logRounds,
                blockSize: blockSize,
                parallelism: parallelism,
                maxMemory: 64 << 20
            )
            return key.withUnsafeBytes { Array($0) }
        }
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func bytes(base64URL text: Substring) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
