import ArgumentParser
import SyncEngine

@main
struct SyncdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd",
        abstract: "Keeps a folder in sync with your own S3 bucket.",
        discussion: "The daemon and its commands (login, run, status, pause, resume) come with the daemon issue."
    )

    func run() async throws {
        print("syncd: journal format \(SyncEngine.journalFormatVersion); no command yet, see --help")
    }
}
