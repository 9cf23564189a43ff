import ArgumentParser
import SyncServer

@main
struct SyncdServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncd-server",
        abstract: "The syncd server: sign-in, metadata API, presigned transfers and the dashboard."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    func run() async throws {
        try await buildApplication(host: host, port: port).runService()
    }
}
