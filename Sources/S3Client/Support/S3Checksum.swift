import CCRC32C
import Crypto
public import Foundation

/// A checksum algorithm S3 computes and verifies server-side (`x-amz-checksum-*`).
public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    /// CRC32C (Castagnoli): hardware-accelerated, the cheapest to compute.
    case crc32c = "CRC32C"
    /// SHA-256.
    case sha256 = "SHA256"

    /// The header that carries a value: `x-amz-checksum-crc32c`.
    public var headerName: String { "x-amz-checksum-\(rawValue.lowercased())" }
    /// The element name in multipart XML: `ChecksumCRC32C`.
    var xmlName: String { "Checksum\(rawValue)" }

    /// The checksum of these bytes.
    public func checksum(of bytes: some DataProtocol) -> Checksum {
        var hasher = ChecksumHasher(self)
        for region in bytes.regions {
            region.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize()
    }
}

/// A checksum value: the algorithm and its base64 digest, as S3 sends and takes it.
public struct Checksum: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: ChecksumAlgorithm
    /// Base64 of the big-endian digest bytes.
    public let base64: String

    public init(algorithm: ChecksumAlgorithm, base64: String) {
        self.algorithm = algorithm
        self.base64 = base64
    }

    public var description: String { "\(algorithm.rawValue.lowercased()):\(base64)" }
}

/// Incremental checksum computation.
public struct ChecksumHasher: Sendable {
    private enum State: Sendable {
        case crc32c(UInt32)
        case sha256(SHA256)
    }

    public let algorithm: ChecksumAlgorithm
    private var state: State

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32c: state = .crc32c(0)
        case .sha256: state = .sha256(SHA256())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc32c(let crc):
            state = .crc32c(syncd_crc32c_update(crc, bytes.baseAddress, bytes.count))
        case .sha256(var hasher):
            hasher.update(bufferPointer: bytes)
            state = .sha256(hasher)
        }
    }

    public func finalize() -> Checksum {
        let digest: [UInt8]
        switch state {
        case .crc32c(let crc):
            digest = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        case .sha256(let hasher):
            digest = Array(hasher.finalize())
        }
        return Checksum(algorithm: algorithm, base64: Data(digest).base64EncodedString())
    }
}

extension ReadableFile {
    /// The checksum of a byte range of the file, computed on the blocking-I/O pool.
    func checksum(_ algorithm: ChecksumAlgorithm, range: Range<Int64>) async throws -> Checksum {
        let box = HasherBox(algorithm)
        try await scan(range: range) { box.update($0) }
        return box.finalize()
    }
}

extension ReadableFile {
    /// The MD5 of a byte range: what S3 uses as a part's ETag.
    func md5(range: Range<Int64>) async throws -> [UInt8] {
        let box = MD5Box()
        try await scan(range: range) { box.update($0) }
        return box.finalize()
    }
}

private final class MD5Box: @unchecked Sendable {
    // Same discipline as HasherBox.
    private var hasher = Insecure.MD5()
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    func finalize() -> [UInt8] { Array(hasher.finalize()) }
}

/// Lets the scan closure (run on one pool thread, sequentially) update a hasher.
private final class HasherBox: @unchecked Sendable {
    // Only touched by one thread at a time: scan() calls the closure sequentially, and
    // finalize() runs after scan() returned.
    private var hasher: ChecksumHasher
    init(_ algorithm: ChecksumAlgorithm) { hasher = ChecksumHasher(algorithm) }
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }
    func finalize() -> Checksum { hasher.finalize() }
}
