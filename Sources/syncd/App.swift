import ArgumentParser

@main
struct SyncdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd",
        abstract: "Keeps a folder in sync with your own S3 bucket.",
        discussion: "login, run, status, pause and resume come with the daemon issue.",
        subcommands: [WatchCommand.self]
    )
}
