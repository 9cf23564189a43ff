import Foundation
import Testing

@testable import SyncDaemon

/// How the commands turn what a user types into the server's path: from inside the folder or
/// from anywhere, through a linked folder, never out of the folder.
@Suite struct CommandContextTests {
    /// /T/real/Sync (the folder, with docs/), /T/link -> /T/real, /T/real/Sync/out -> /T/elsewhere.
    static func context() throws -> (CommandContext, root: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cmdctx-\(UUID().uuidString.prefix(8))").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/real/Sync/docs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/elsewhere", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/real")
        try fm.createSymbolicLink(atPath: root + "/real/Sync/out", withDestinationPath: root + "/elsewhere")
        let paths = DaemonPaths(configDir: root + "/config", stateDir: root + "/state")
        try fm.createDirectory(atPath: paths.configDir, withIntermediateDirectories: true)
        try "[sync]\nfolder = \"\(root)/link/Sync\"\n".write(toFile: paths.configFile, atomically: true, encoding: .utf8)
        try Credentials(server: "https://files.example.com", token: "sd_x", deviceId: nil).save(to: paths.credentialsFile)
        return (try CommandContext(paths: paths, environment: ["HOME": root]), root)
    }

    @Test func pathsResolveLikeAShellWouldAndNeverLeaveTheFolder() throws {
        let (context, root) = try Self.context()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let real = CommandContext.resolved(root) + "/real/Sync"
        #expect(context.folder == real, "the folder is named by its real path")
        // Absolute, through the link or not.
        #expect(try context.remotePath(root + "/link/Sync/docs/a.txt") == "docs/a.txt")
        #expect(try context.remotePath(real + "/docs/a.txt") == "docs/a.txt")
        #expect(try context.remotePath(root + "/link/Sync") == "")
        // Relative to a working directory inside the folder (as getcwd names it, or through the link).
        #expect(try context.remotePath("a.txt", workingDirectory: real + "/docs") == "docs/a.txt")
        #expect(try context.remotePath("a.txt", workingDirectory: root + "/link/Sync/docs") == "docs/a.txt")
        #expect(try context.remotePath("../top.txt", workingDirectory: real + "/docs") == "top.txt")
        // Relative from outside the folder: from the folder's top.
        #expect(try context.remotePath("docs/a.txt", workingDirectory: "/") == "docs/a.txt")
        #expect(try context.remotePath("docs/../top.txt", workingDirectory: "/") == "top.txt")
        #expect(try context.remotePath("", workingDirectory: "/") == "")
        // A link in the folder is named as itself; what is behind it is outside.
        #expect(try context.remotePath("out", workingDirectory: real) == "out")
        for escape in ["../outside.txt", "out/secret.txt", "/etc/passwd", root + "/elsewhere/x", "docs/../../x"] {
            #expect(throws: ControlError.self, "\(escape)") { try context.remotePath(escape, workingDirectory: "/") }
        }
    }
}
