import Testing

@testable import TOMLConfig

@Suite struct TOMLDocumentTests {
    @Test func parsesTheSubsetConfigurationFilesUse() throws {
        let doc = try TOMLDocument(
            parsing: """
                # syncd-server configuration
                title = "syncd"   # trailing comment

                [server]
                host = "0.0.0.0"
                port = 8_080
                public-url = 'https://files.example.com'
                ratio = 0.75
                big = 1e3
                hex = 0xFF
                debug = false

                [auth.oidc]
                "client id" = "abc \\"quoted\\" \\u00e9\\n"
                allowed_domains = [
                  "example.com",   # ours
                  "example.org",
                ]
                empty = []
                nested = [[1, 2], ["a"]]
                """
        )
        #expect(doc["title"] == .string("syncd"))
        #expect(doc["server.host"] == .string("0.0.0.0"))
        #expect(doc["server.port"] == .integer(8080))
        #expect(doc["server.public-url"] == .string("https://files.example.com"))
        #expect(doc["server.ratio"] == .float(0.75) && doc["server.big"] == .float(1000) && doc["server.hex"] == .integer(255))
        #expect(doc["server.debug"] == .boolean(false))
        #expect(doc["auth.oidc.client id"] == .string("abc \"quoted\" é\n"))
        #expect(doc["auth.oidc.allowed_domains"] == .array([.string("example.com"), .string("example.org")]))
        #expect(doc["auth.oidc.empty"] == .array([]))
        #expect(doc["auth.oidc.nested"] == .array([.array([.integer(1), .integer(2)]), .array([.string("a")])]))
    }

    @Test(arguments: [
        ("port = 80\nport = 81", 2, "cannot redefine existing integer 'port'"),
        ("[a]\nx = 1\n[a]", 3, "cannot redefine existing table 'a'"),
        ("name = unquoted", 1, "could not determine value type"),
        ("s = \"open", 1, "end-of-file"),
        ("a = 1 b = 2", 1, "saw 'b'"),
        ("\n\nx = [1, 2", 3, "end-of-file"),
        ("s = \"\\q\"", 1, "unknown escape sequence"),
        ("big = 1e400", 1, "could not be interpreted"),
        // Read, then refused by key: no setting takes them.
        ("[sync]\nwhen = 2026-11-29", 0, "sync.when: dates and times are not settings here"),
        ("[[servers]]\nname = \"a\"", 0, "servers: arrays of tables are not settings here"),
        // What the C parser underneath would misread: NULs, and keys that flatten onto others.
        ("mode = \"sync\"\n\u{0}\nmode2 = 1", 2, "NUL character"),
        ("[sync]\n\"a\\u0000b\" = 1", 2, "NUL character"),
        ("s = \"x\\U00000000\"", 1, "NUL character"),
        ("\"sync.mode\" = \"sync\"\n[sync]\nmode = \"backup\"", 0, "sync.mode: a key may not hold a dot"),
    ])
    func refusesWhatItCannotReadWithTheLine(text: String, line: Int, message: String) {
        #expect {
            try TOMLDocument(parsing: text)
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            return error.line == line && error.message.contains(message)
        }
    }

    @Test func readsWhatTOMLAllowsBeyondTheOldSubset() throws {
        let text = "[auth]\nnote = \"\"\"\ntwo\nlines\"\"\"\nlimits = { user_quota = \"10 GB\", version_days = 30 }\n"
        let doc = try TOMLDocument(parsing: text)
        #expect(doc["auth.note"] == .string("two\nlines"))
        #expect(doc["auth.limits.user_quota"] == .string("10 GB") && doc["auth.limits.version_days"] == .integer(30))
    }
}

@Suite struct ConfigSourceTests {
    let doc = try! TOMLDocument(
        parsing: """
            [s3]
            bucket = "from-file"
            part_size_mib = 16
            [auth]
            allowed_emails = ["a@example.com"]
            """
    )

    @Test func environmentOverridesTheFile() throws {
        let config = ConfigSource(
            document: doc,
            origin: "/etc/syncd/server.toml",
            environment: ["SYNCD_S3_BUCKET": "from-env", "SYNCD_AUTH_ALLOWED_EMAILS": "x@y.z, b@c.d"]
        )
        #expect(try config.string("s3.bucket") == "from-env")
        #expect(try config.int("s3.part_size_mib") == 16)
        #expect(try config.strings("auth.allowed_emails") == ["x@y.z", "b@c.d"])
        #expect(try config.string("s3.region") == nil)
        #expect(config.environmentName("server.public-url") == "SYNCD_SERVER_PUBLIC_URL")
    }

    @Test func wrongTypesAndMissingSettingsSayWhatToDo() {
        let config = ConfigSource(document: doc, origin: "/etc/syncd/server.toml", environment: ["SYNCD_SERVER_PORT": "eighty"])
        #expect { try config.int("server.port") } throws: { "\($0)".contains("SYNCD_SERVER_PORT=eighty is not a whole number") }
        #expect { try config.int("s3.bucket") } throws: { "\($0)".contains("s3.bucket in /etc/syncd/server.toml must be a whole number") }
        #expect {
            try config.requiredString("auth.session_secret")
        } throws: { error in
            let text = "\(error)"
            return text.contains("auth.session_secret is not set") && text.contains("[auth] table of /etc/syncd/server.toml")
                && text.contains("SYNCD_AUTH_SESSION_SECRET")
        }
    }
}
