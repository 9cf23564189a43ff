import Foundation
import Glibc
import SyncAPI
import Testing

@testable import SyncEngine

/// A file of several blocks is hashed on several threads at once; the identity and block
/// digests must be the ones a single pass over the bytes gives, and a file that grows or
/// shrinks while it is read must never get an identity.
@Suite struct ContentHashTests {
    /// 2½ blocks of 8 MiB and an odd tail: the last block is short.
    static let size = 20 * (1 << 20) + 7

    static func file(_ bytes: [UInt8]) throws -> (fd: Int32, path: String) {
        let path = NSTemporaryDirectory() + "content-hash-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        return (fd, path)
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        let source = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? source.close() }
        return [UInt8](try #require(try source.read(upToCount: count)))
    }

    @Test(arguments: [1, 2, 3, 8])
    func blocksHashedSideBySideGiveTheOnePassIdentity(threads: Int) throws {
        let bytes = try Self.randomBytes(Self.size)
        let (fd, path) = try Self.file(bytes)
        defer {
            close(fd)
            unlink(path)
        }
        var onePass = ContentHasher(fileSize: Int64(bytes.count))
        onePass.update(bytes)
        let finalized = onePass.finalize()
        let expected = try #require(finalized)

        let hashed = try ContentHash.hashBlocks(fd: fd, size: Int64(bytes.count), threads: threads)
        #expect(hashed.hex == expected.identity)
        #expect(hashed.hex == ContentIdentity.identity(of: bytes))
        #expect(hashed.blockDigests == expected.blockDigests)
        #expect(hashed.blockDigests.count == 3)
        #expect(hashed.bytes == Int64(bytes.count))
        // What the scanner calls: the same answer whichever path it takes on this machine.
        #expect(try ContentHash.hash(fd: fd).hex == expected.identity)
    }

    @Test func aFileLongerThanItsStatusSaidGetsNoIdentity() throws {
        let (fd, path) = try Self.file(try Self.randomBytes(Self.size))
        defer {
            close(fd)
            unlink(path)
        }
        // The file holds a byte more than the size the hash was planned for: it grew meanwhile.
        let error = #expect(throws: LocalFileError.self) { try ContentHash.hashBlocks(fd: fd, size: Int64(Self.size - 1), threads: 2) }
        #expect(error?.code == .changedSinceScan)
    }

    @Test func aFileShorterThanItsStatusSaidGetsNoIdentity() throws {
        let (fd, path) = try Self.file(try Self.randomBytes(Self.size))
        defer {
            close(fd)
            unlink(path)
        }
        // Truncated after its status was taken: its last block reads short.
        let error = #expect(throws: LocalFileError.self) { try ContentHash.hashBlocks(fd: fd, size: Int64(Self.size + 4096), threads: 2) }
        #expect(error?.code == .changedSinceScan)
    }
}
