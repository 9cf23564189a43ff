import ArgumentParser
import ServiceSupport

@main
struct SyncdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd",
        abstract: "Keeps a folder in sync with your own S3 bucket.",
        discussion: """
            Start with `syncd login --server URL`, then `syncd run` (or the systemd unit). \
            `syncd status`, `pause` and `resume` talk to the running daemon.
            """,
        version: BuildInfo.version,
        subcommands: [
            LoginCommand.self, RunCommand.self, StatusCommand.self, PauseCommand.self, ResumeCommand.self,
            LsCommand.self, FileStatusCommand.self, ConflictsCommand.self, ActivityCommand.self,
            HistoryCommand.self, RestoreCommand.self, TrashCommand.self, ShareCommand.self, ExcludeCommand.self,
            DoctorCommand.self, WatchCommand.self, LogoutCommand.self,
        ]
    )
}
