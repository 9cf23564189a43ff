import Crypto
import Foundation

/// A file's content identity, the block hash: SHA-256 of each fixed-size block, then SHA-256 of
/// the concatenated block digests (Dropbox's `content_hash`, with our block sizes). The empty
/// file has no blocks: its identity is the SHA-256 of nothing.
///
/// The block size is a function of the file's size alone (8 MiB, doubled until the file needs
/// at most 10,000 blocks), so the identity is a function of the bytes alone. Uploads cut their
/// multipart parts on the blocks: S3 verifies every part against its block's SHA-256, and the
/// server derives the identity from the digests S3 enforced, never from a client's claim.
public enum ContentIdentity {
    /// The block size of files up to 10,000 × 8 MiB (about 78 GiB).
    public static let baseBlockSize: Int64 = 8 << 20
    /// No file has more blocks than S3 has parts.
    public static let maxBlocks: Int64 = 10_000

    /// The block size of a file of `fileSize` bytes.
    public static func blockSize(forFileSize fileSize: Int64) -> Int64 {
        var block = baseBlockSize
        // 8 MiB × 2^k × 10,000 passes Int64.max only beyond any file S3 holds (5 TiB).
        while block < (1 << 50), fileSize > block * maxBlocks { block *= 2 }
        return block
    }

    /// How many blocks a file of `fileSize` bytes has (0 for the empty file).
    public static func blockCount(forFileSize fileSize: Int64) -> Int {
        guard fileSize > 0 else { return 0 }
        let block = blockSize(forFileSize: fileSize)
        return Int((fileSize - 1) / block + 1)
    }

    /// The byte range of block `number` (1-based, as S3's part numbers).
    public static func range(ofBlock number: Int, fileSize: Int64) -> Range<Int64> {
        let block = blockSize(forFileSize: fileSize)
        let start = Int64(number - 1) * block
        return start..<(start + min(block, fileSize - start))
    }

    /// The identity (lower-case hex) of a file whose blocks have these SHA-256 digests, in order.
    public static func identity(blockDigests: [[UInt8]]) -> String {
        var outer = SHA256()
        for digest in blockDigests { outer.update(data: digest) }
        return hex(Array(outer.finalize()))
    }

    /// The identity of base64 block digests (as parts carry them); nil if one is not a
    /// base64 SHA-256.
    public static func identity(base64BlockDigests: [String]) -> String? {
        var digests: [[UInt8]] = []
        digests.reserveCapacity(base64BlockDigests.count)
        for text in base64BlockDigests {
            guard let digest = Data(base64Encoded: text), digest.count == 32 else { return nil }
            digests.append(Array(digest))
        }
        return identity(blockDigests: digests)
    }

    /// The identity of bytes in memory.
    public static func identity(of bytes: some Collection<UInt8>) -> String {
        var hasher = ContentHasher(fileSize: Int64(bytes.count))
        hasher.update(Array(bytes))
        return hasher.finalize()!.identity
    }

    /// A block digest as parts and PUTs carry it (`x-amz-checksum-sha256`): base64.
    public static func base64(_ digest: [UInt8]) -> String {
        Data(digest).base64EncodedString()
    }

    /// Lower-case hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The block hash of a stream of bytes, fed in chunks of any size: one read pass gives the
/// identity and every block's digest (what the multipart parts carry).
public struct ContentHasher: Sendable {
    /// The size the caller expects; the block size follows from it.
    public let expectedSize: Int64
    public let blockSize: Int64
    private var block = SHA256()
    private var inBlock: Int64 = 0
    private var total: Int64 = 0
    /// SHA-256 of each finished block, in order.
    public private(set) var blockDigests: [[UInt8]] = []

    public init(fileSize: Int64) {
        expectedSize = fileSize
        blockSize = ContentIdentity.blockSize(forFileSize: fileSize)
    }

    /// Bytes hashed so far.
    public var count: Int64 { total }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = Int(min(Int64(rest.count), blockSize - inBlock))
            block.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            inBlock += Int64(take)
            total += Int64(take)
            rest = rest.dropFirst(take)
            if inBlock == blockSize { finishBlock() }
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    private mutating func finishBlock() {
        blockDigests.append(Array(block.finalize()))
        block = SHA256()
        inBlock = 0
    }

    /// The identity and the block digests; nil when the bytes hashed are not the expected
    /// size's (the file changed while it was read: its block size may differ).
    public mutating func finalize() -> (identity: String, blockDigests: [[UInt8]])? {
        guard total == expectedSize else { return nil }
        if inBlock > 0 { finishBlock() }
        return (ContentIdentity.identity(blockDigests: blockDigests), blockDigests)
    }
}
