import Foundation
import Testing

/// A scratch folder on the real filesystem for one test, removed afterwards.
final class TestFolder {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("syncd-test-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes a file, creating its folders.
    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func read(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: root + "/" + path))).map { String(decoding: $0, as: UTF8.self) }
    }

    func mkdir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
    }

    func mv(_ a: String, _ b: String) {
        #expect(rename(root + "/" + a, root + "/" + b) == 0)
    }

    func rm(_ path: String) throws {
        try FileManager.default.removeItem(atPath: root + "/" + path)
    }
}
