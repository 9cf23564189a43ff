import Foundation

/// `scripts/fault-proxy` in front of one server: per-request faults (error answers, resets
/// before, during and after the request, stalls, truncated answers) drawn from a seed, switched
/// on and off over its stdin. It exits when its stdin closes, so it never outlives the test.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    let name: String
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()

    /// - Parameters:
    ///   - target: `host:port` of the real server.
    ///   - flavor: `s3` (errors as S3's XML, e.g. SlowDown) or `api` (our JSON errors).
    init(name: String, target: String, flavor: String, seed: UInt64, rate: Double, log: String) throws {
        self.name = name
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", root + "/scripts/fault-proxy", "--target", target, "--flavor", flavor,
            "--seed", String(seed), "--rate", String(rate),
        ]
        process.standardInput = input
        process.standardOutput = output
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw HarnessError("cannot create \(log)") }
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        guard let line = Self.readLine(output.fileHandleForReading), let port = Int(line) else {
            throw HarnessError("the \(name) fault proxy did not print its port")
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Faults from now on (`true`) or none (`false`).
    func faults(_ on: Bool) throws {
        try lock.withLock { try input.fileHandleForWriting.write(contentsOf: Data((on ? "on\n" : "off\n").utf8)) }
    }

    /// What it injected so far, by kind (and `passed`: requests forwarded untouched).
    func stats() throws -> [String: Int] {
        try lock.withLock {
            try input.fileHandleForWriting.write(contentsOf: Data("stats\n".utf8))
            guard let line = Self.readLine(output.fileHandleForReading),
                let counts = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { throw HarnessError("the \(name) fault proxy gave no stats") }
            return counts.compactMapValues { ($0 as? NSNumber)?.intValue }
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private static func readLine(_ handle: FileHandle) -> String? {
        var line = Data()
        while let byte = try? handle.read(upToCount: 1), !byte.isEmpty {
            if byte == Data("\n".utf8) { return String(decoding: line, as: UTF8.self) }
            line += byte
        }
        return nil
    }

    deinit {
        try? input.fileHandleForWriting.close()
    }
}
