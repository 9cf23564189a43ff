import Foundation
import TOMLConfig
import Testing

@testable import SyncServer

/// The example configuration in `config/` is what the server reads, and the server refuses to
/// start without its secrets.
@Suite struct ServerSettingsTests {
    static let example: String = {
        // Tests run from the package root (swift test); the example ships in config/.
        let path = FileManager.default.currentDirectoryPath + "/config/syncd-server.toml"
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    @Test func theDocumentedExampleLoadsOnceTheSecretIsGiven() throws {
        #expect(!Self.example.isEmpty, "config/syncd-server.toml is missing")
        let document = try TOMLDocument(parsing: Self.example)
        let secret = String(repeating: "s", count: 48)
        let settings = try ServerSettings.load(
            ConfigSource(
                document: document,
                origin: "example",
                environment: ["SYNCD_AUTH_SESSION_SECRET": secret, "SYNCD_AUTH_CLIENT_SECRET": "cs"]
            )
        )
        #expect(settings.s3Bucket == "my-syncd-bucket" && settings.s3Region == "eu-west-1")
        #expect(settings.publicURL == "https://files.example.com" && settings.port == 8080)
        #expect(settings.maxShareDays == 30)
        #expect(settings.trustedProxies == ["127.0.0.1"])
        #expect(settings.sessionSecret == secret)
        #expect(
            settings.oidc
                == OIDCSettings(
                    issuer: "https://accounts.google.com",
                    clientId: "1234567890-abc.apps.googleusercontent.com",
                    clientSecret: "cs",
                    allowList: SignInAllowList(emails: ["alice@example.org"], domains: ["example.com"])
                )
        )
        #expect(settings.oidc?.allowList.allows("Alice@Example.org") == true)
        #expect(settings.oidc?.allowList.allows("bob@sub.example.com") == false)
        #expect(settings.oidc?.allowList.allows("bob@example.com") == true)
        let overridden = try ServerSettings.load(
            ConfigSource(
                document: document,
                origin: "example",
                environment: [
                    "SYNCD_AUTH_SESSION_SECRET": secret, "SYNCD_AUTH_CLIENT_SECRET": "cs", "SYNCD_S3_BUCKET": "other", "SYNCD_SERVER_PORT": "9000",
                ]
            )
        )
        #expect(overridden.s3Bucket == "other" && overridden.port == 9000 && overridden.publicURL == "https://files.example.com")
    }

    @Test func secretsCanComeFromSystemdCredentials() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (String(repeating: "z", count: 48) + "\n").write(toFile: dir + "/session-secret", atomically: true, encoding: .utf8)
        try "from-systemd\n".write(toFile: dir + "/client-secret", atomically: true, encoding: .utf8)
        let settings = try ServerSettings.load(
            ConfigSource(document: try TOMLDocument(parsing: Self.example), origin: "example", environment: [:]),
            credentials: dir
        )
        #expect(settings.sessionSecret == String(repeating: "z", count: 48))
        #expect(settings.oidc?.clientSecret == "from-systemd")
    }

    @Test func noSecretNoStart() throws {
        let document = try TOMLDocument(parsing: Self.example)
        #expect {
            try ServerSettings.load(ConfigSource(document: document, origin: "/etc/syncd/syncd-server.toml", environment: [:]))
        } throws: { "\($0)".contains("auth.session_secret is not set") && "\($0)".contains("SYNCD_AUTH_SESSION_SECRET") }
        #expect {
            try ServerSettings.load(ConfigSource(document: document, origin: "x", environment: ["SYNCD_AUTH_SESSION_SECRET": "short"]))
        } throws: { "\($0)".contains("at least 32 characters") }
        let secret = String(repeating: "s", count: 40)
        // A client id without its secret, or without an allow-list, is refused.
        #expect {
            try ServerSettings.load(ConfigSource(document: document, origin: "x", environment: ["SYNCD_AUTH_SESSION_SECRET": secret]))
        } throws: { "\($0)".contains("auth.client_secret is not set") }
        #expect {
            try ServerSettings.load(
                ConfigSource(
                    document: document,
                    origin: "x",
                    environment: [
                        "SYNCD_AUTH_SESSION_SECRET": secret, "SYNCD_AUTH_CLIENT_SECRET": "cs", "SYNCD_AUTH_ALLOWED_EMAILS": "",
                        "SYNCD_AUTH_ALLOWED_DOMAINS": " , ",
                    ]
                )
            )
        } throws: { "\($0)".contains("must say who may sign in") }
        #expect {
            try ServerSettings.load(ConfigSource(environment: ["SYNCD_AUTH_SESSION_SECRET": String(repeating: "s", count: 40)]))
        } throws: { "\($0)".contains("s3.endpoint is not set") }
    }
}
