import ArgumentParser
import Foundation
import SyncEngine

/// Scans a folder twice with the sync engine's scanner: first with no previous state (every
/// file hashed), then again with nothing changed (stat only), and prints both rates for
/// `scripts/bench-scan`.
@main
struct ScanBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan-bench", abstract: "Time the folder scanner, first and unchanged rescans.")

    @Argument(help: "The folder to scan.") var folder: String

    func run() throws {
        let scanner = FolderScanner(root: folder, ignore: IgnoreRules())
        let clock = ContinuousClock()
        var first: ScanResult?
        let firstTime = try clock.measure { first = try scanner.scan(previous: LocalTree()) }
        let tree = first!.tree
        var second: ScanResult?
        let secondTime = try clock.measure { second = try scanner.scan(previous: tree) }
        let files = tree.entries.values.filter { $0.kind == .file }.count
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print("entries \(tree.entries.count) files \(files) hashed-first \(first!.filesHashed) hashed-rescan \(second!.filesHashed)")
        print(String(format: "first %.3f s %.0f files/s", seconds(firstTime), Double(files) / seconds(firstTime)))
        print(String(format: "rescan %.3f s %.0f files/s", seconds(secondTime), Double(files) / seconds(secondTime)))
    }
}
