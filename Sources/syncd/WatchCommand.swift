import ArgumentParser
import Foundation
import SyncEngine

/// `syncd watch FOLDER`: prints what the inotify watcher sees, one hint a line. A tool for
/// finding out why a change was or was not noticed, and for the watcher's own tests.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the change hints the folder watcher sees (debugging)."
    )

    @Argument(help: "The folder to watch.")
    var folder: String

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?

    func run() async throws {
        let watcher = try FolderWatcher(root: folder, ignore: FolderScanner.loadIgnoreRules(root: folder))
        print("watching \(folder): \(watcher.watchCount) folders")
        if let seconds {
            Task {
                try await Task.sleep(for: .seconds(seconds))
                watcher.stop()
            }
        }
        for await hint in watcher.hints() {
            switch hint {
            case .changed(let path): print("changed \(path?.string ?? "/")")
            case .finished(let path): print("finished \(path)")
            case .moved(let from, let to): print("moved \(from) -> \(to)")
            case .overflow: print("overflow")
            case .watchLimitReached(let message): print("limit \(message)")
            }
        }
    }
}
