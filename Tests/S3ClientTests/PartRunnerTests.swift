import Foundation
import Synchronization
import Testing

@testable import S3Client

/// The part loop the daemon's uploads run on, in-process against both servers: a run stopped by
/// a failure reports the parts it finished (what a journal records), and a second run given
/// those parts sends only the rest; the object is the file, byte for byte.
@Suite(.serialized) struct PartRunnerTests {
    @Test(arguments: S3Server.allCases)
    func aRunStoppedPartWayResumesFromTheRecordedParts(server: S3Server) async throws {
        let scratch = try ScratchFolder()
        let source = try scratch.randomFile("parts.bin", size: 30 << 20, seed: 30)
        try await server.withBucket { s3, bucket in
            let layout = try PartLayout(fileSize: 30 << 20, preferredPartSize: 5 << 20)
            let runner = PartRunner(layout: layout, algorithm: .sha256, concurrency: 2)
            let uploadId = try await s3.createMultipartUpload(bucket: bucket, key: "parts.bin", checksumAlgorithm: .sha256)
            let sent = Mutex<[Int]>([])
            func send(failing: Int?) -> @Sendable (Int, Range<Int64>, Checksum) async throws -> CompletedPart {
                { number, range, checksum in
                    if number == failing { throw S3Error(kind: .transport, message: "the network went away at part \(number)") }
                    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
                    defer { try? handle.close() }
                    try handle.seek(toOffset: UInt64(range.lowerBound))
                    let bytes = try handle.read(upToCount: range.count) ?? Data()
                    sent.withLock { $0.append(number) }
                    return try await s3.uploadPart(
                        bucket: bucket,
                        key: "parts.bin",
                        uploadId: uploadId,
                        partNumber: number,
                        bytes: bytes,
                        checksum: checksum
                    )
                }
            }

            // Part 4 fails: parts after it are not started, those before are reported.
            var journal: [Int: CompletedPart] = [:]
            let first = await runner.run(path: source, send: send(failing: 4)) { part, kept in
                #expect(!kept)
                journal[part.partNumber] = part
            }
            #expect(first.failure != nil && !first.isComplete)
            #expect(first.parts.map(\.partNumber) == journal.keys.sorted(), "every finished part was handed over")
            #expect(!journal.isEmpty && journal[4] == nil && journal.count < layout.partCount)
            let sentBefore = sent.withLock { $0.count }

            // The resumed run sends exactly the parts the journal lacks.
            let second = await runner.run(path: source, known: journal, send: send(failing: nil)) { part, _ in journal[part.partNumber] = part }
            #expect(second.isComplete)
            #expect(second.sent == layout.partCount - first.parts.count && second.kept == 0)
            #expect(Set(sent.withLock { Array($0.dropFirst(sentBefore)) }) == Set(1...layout.partCount).subtracting(first.parts.map(\.partNumber)))
            _ = try await s3.completeMultipartUpload(bucket: bucket, key: "parts.bin", uploadId: uploadId, parts: second.parts)
            let back = scratch.path + "/back.bin"
            try await s3.getObject(bucket: bucket, key: "parts.bin", toFile: back)
            #expect(try sha256OfFile(back) == sha256OfFile(source))
        }
    }

    /// A part S3 holds is kept only while it is the file's bytes; an error while recording a
    /// part (the journal's disk full) stops the run like a failed part.
    @Test(arguments: S3Server.allCases)
    func heldPartsAreKeptOnlyIfTheyMatchAndARecordingFailureStopsTheRun(server: S3Server) async throws {
        let scratch = try ScratchFolder()
        let source = try scratch.randomFile("held.bin", size: 15 << 20, seed: 15)
        try await server.withBucket { s3, bucket in
            let layout = try PartLayout(fileSize: 15 << 20, preferredPartSize: 5 << 20)
            let runner = PartRunner(layout: layout, algorithm: .sha256, concurrency: 1)
            let uploadId = try await s3.createMultipartUpload(bucket: bucket, key: "held.bin", checksumAlgorithm: .sha256)
            let send: @Sendable (Int, Range<Int64>, Checksum) async throws -> CompletedPart = { number, range, checksum in
                let bytes = try Data(contentsOf: URL(fileURLWithPath: source))[Int(range.lowerBound)..<Int(range.upperBound)]
                return try await s3.uploadPart(
                    bucket: bucket,
                    key: "held.bin",
                    uploadId: uploadId,
                    partNumber: number,
                    bytes: Data(bytes),
                    checksum: checksum
                )
            }
            let all = await runner.run(path: source, send: send)
            #expect(all.isComplete && all.sent == 3)

            // Part 2 changes on disk: the listing's part 2 no longer matches and is sent again.
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: source))
            try file.seek(toOffset: (5 << 20) + 10)
            try file.write(contentsOf: Data("rewritten".utf8))
            try file.close()
            let listed = Dictionary(
                uniqueKeysWithValues: try await s3.listParts(bucket: bucket, key: "held.bin", uploadId: uploadId).map { ($0.partNumber, $0) }
            )
            let resumed = await runner.run(path: source, held: listed, send: send)
            #expect(resumed.isComplete && resumed.kept == 2 && resumed.sent == 1)

            struct DiskFull: Error {}
            let recorded = Atomic<Int>(0)
            let stopped = await runner.run(path: source, send: send) { _, _ in
                if recorded.add(1, ordering: .relaxed).newValue == 1 { throw DiskFull() }
            }
            #expect(stopped.failure is DiskFull)
            #expect(stopped.sent == 0, "a part whose record failed is not counted as done")
            _ = try await s3.completeMultipartUpload(bucket: bucket, key: "held.bin", uploadId: uploadId, parts: resumed.parts)
            let back = scratch.path + "/back.bin"
            try await s3.getObject(bucket: bucket, key: "held.bin", toFile: back)
            #expect(try sha256OfFile(back) == sha256OfFile(source))
        }
    }
}
