import Foundation
import Synchronization
import Testing

@testable import S3Client

/// Retries against real faults: a proxy in front of SeaweedFS resets connections and answers
/// SlowDown, then lets requests through.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RetryTests {
    /// The fault proxy, run as a child process for one test.
    final class FaultProxy {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let port: Int

        init(resetFirst: Int = 0, slowdownFirst: Int = 0) throws {
            let settings = try S3Server.seaweed.settings()
            let targetPort = try #require(settings.endpoint.split(separator: ":").last.flatMap { Int($0) })
            let script = try #require(Bundle.module.path(forResource: "fault_proxy", ofType: "py", inDirectory: "Fixtures"))
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", script, String(targetPort), "--reset-first", String(resetFirst), "--slowdown-first", String(slowdownFirst),
            ]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
                line += byte
            }
            port = try #require(Int(String(decoding: line, as: UTF8.self)), "fault proxy did not print its port")
        }

        /// Stops the proxy (it exits when its stdin closes) and returns the faults it
        /// injected, one line each.
        func stop() -> [String] {
            try? input.fileHandleForWriting.close()
            // EOF on its stdout means it exited; no waitUntilExit, which spins on Linux
            // when called off the main thread.
            let rest = output.fileHandleForReading.readDataToEndOfFile()
            return String(decoding: rest, as: UTF8.self).split(separator: "\n").map(String.init)
        }

        func client(maxAttempts: Int) throws -> S3Client {
            let settings = try S3Server.seaweed.settings()
            return S3Client(
                configuration: S3Configuration(
                    endpoint: "http://127.0.0.1:\(port)",
                    retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200))
                ),
                credentialProvider: StaticCredentialProvider(accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey),
                httpClient: TestHTTP.client
            )
        }
    }

    @Test func resetConnectionsAreRetriedAndTheFileIsSentWhole() async throws {
        let scratch = try ScratchFolder()
        let source = try scratch.randomFile("retried.bin", size: 3 << 20, seed: 11)
        try await S3Server.seaweed.withBucket { direct, bucket in
            let proxy = try FaultProxy(resetFirst: 2)
            let s3 = try proxy.client(maxAttempts: 4)
            let result = await Result(catching: { try await s3.putObject(bucket: bucket, key: "retried.bin", fileAt: source) })
            let faults = proxy.stop()
            _ = try result.get()
            #expect(faults == ["fault reset", "fault reset"])
            let (_, bytes) = try await direct.getObject(bucket: bucket, key: "retried.bin")
            #expect(bytes == Array(try Data(contentsOf: URL(fileURLWithPath: source))))
        }
    }

    @Test func slowDownIsRetried() async throws {
        try await S3Server.seaweed.withBucket { direct, bucket in
            _ = try await direct.putObject(bucket: bucket, key: "k", bytes: Array("v".utf8))
            let proxy = try FaultProxy(slowdownFirst: 2)
            let s3 = try proxy.client(maxAttempts: 4)
            let result = await Result(catching: { try await s3.getObject(bucket: bucket, key: "k").bytes })
            let faults = proxy.stop()
            #expect(try result.get() == Array("v".utf8))
            #expect(faults == ["fault slowdown", "fault slowdown"])
        }
    }

    @Test func givesUpAfterMaxAttemptsWithTheLastError() async throws {
        try await S3Server.seaweed.withBucket { _, bucket in
            let proxy = try FaultProxy(slowdownFirst: 5)
            let s3 = try proxy.client(maxAttempts: 3)
            let result = await Result(catching: { try await s3.getObject(bucket: bucket, key: "k").bytes })
            let faults = proxy.stop()
            #expect(faults.count == 3, "three attempts, then the error")
            #expect(throws: S3Error.self) { try result.get() }
            if case .failure(let error as S3Error) = result {
                #expect(error.code == "SlowDown" && error.statusCode == 503)
            }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
