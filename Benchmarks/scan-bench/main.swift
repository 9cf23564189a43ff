import ArgumentParser
import Foundation
import SyncAPI
import SyncEngine

/// Benchmarks of the folder scanner (`scripts/bench-scan`) and of `.syncignore` matching
/// (`scripts/bench-ignore`).
@main
struct ScanBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan-bench",
        abstract: "Time the folder scanner and ignore-rule matching.",
        subcommands: [Scan.self, Ignore.self],
        defaultSubcommand: Scan.self
    )
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Scans a folder twice with the sync engine's scanner: first with no previous state (every
/// file hashed), then again with nothing changed (stat only), and prints both rates.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the folder scanner, first and unchanged rescans.")

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
        print("entries \(tree.entries.count) files \(files) hashed-first \(first!.filesHashed) hashed-rescan \(second!.filesHashed)")
        print(String(format: "first %.3f s %.0f files/s", seconds(firstTime), Double(files) / seconds(firstTime)))
        print(String(format: "rescan %.3f s %.0f files/s", seconds(secondTime), Double(files) / seconds(secondTime)))
    }
}

/// Times `.syncignore` rules built to make a backtracking matcher explode (`**/` repeated, many
/// `*` in one name) against paths of growing depth, and a realistic rule set on a long path.
struct Ignore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time .syncignore matching of pathological patterns.")

    @Option(help: "How many times `**/` is repeated.") var repeats = 25
    @Option(help: "The deepest path to try.") var depth = 24
    @Option(help: "Matches per figure (the mean is printed).") var rounds = 1000

    func run() throws {
        let component = String(repeating: "a", count: 40)
        let cases: [(String, String)] = [
            ("**/ x \(repeats), then a name that never matches", String(repeating: "**/", count: repeats) + "never-matches"),
            ("a/**/ x \(repeats), then *b", "a/" + String(repeating: "**/", count: repeats) + "*b"),
            ("*a x 20 then *b (one name)", String(repeating: "*a", count: 20) + "*b"),
        ]
        let clock = ContinuousClock()
        func column(_ text: String) -> String { text.padding(toLength: 50, withPad: " ", startingAt: 0) }
        print(column("rule") + "  depth  µs per match")
        for (label, rule) in cases {
            let rules = IgnoreRules(rule)
            for d in stride(from: 4, through: depth, by: 4) {
                let path = RelativePath((["a"] + (1..<d).map { _ in component }).joined(separator: "/"))!
                var ignored = false
                let elapsed = clock.measure { for _ in 0..<rounds { ignored = rules.isIgnored(path, isFolder: false) != ignored } }
                print(column(label) + String(format: "  %5d  %12.2f", d, seconds(elapsed) / Double(rounds) * 1e6))
            }
        }
    }
}
