import ArgumentParser

@main
struct SyncdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd",
        abstract: "Keeps a folder in sync with your own S3 bucket.",
        discussion: "The daemon and its commands (login, run, status, pause, resume) come with the daemon issue."
    )

    func run() async throws {
        print("syncd: the daemon's commands come with the daemon issue; see --help")
    }
}
