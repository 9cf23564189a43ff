import Foundation
import Testing

/// What `scripts/release` makes (scripts/test makes it first), as a user gets it: the tarball
/// unpacked and installed with its own install-system, the .deb unpacked with `dpkg -x` and its
/// postinst run in a private mount namespace. Both programs run from there with no Swift
/// toolchain, and load nothing of it.
@Suite(.serialized, .timeLimit(.minutes(4))) struct ReleaseArtifactTests {
    static var dist: String {
        ProcessInfo.processInfo.environment["SYNCD_RELEASE_DIR"] ?? FileManager.default.currentDirectoryPath + "/.build/dist"
    }
    static var version: String {
        get throws {
            try String(contentsOfFile: FileManager.default.currentDirectoryPath + "/VERSION", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Runs a command with a bare environment (no toolchain on PATH, no LD_LIBRARY_PATH).
    static func run(_ executable: String, _ arguments: [String], in dir: String) async throws -> (status: Int32?, output: String) {
        let process = try ChildProcess(
            executable,
            arguments,
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": dir],
            log: dir + "/run-\(UUID().uuidString.prefix(6)).log",
            name: (executable as NSString).lastPathComponent
        )
        let status = await process.waitForExit(timeout: .seconds(60))
        return (status, process.log)
    }

    static func scratch(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("release-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Both programs: --version is VERSION, --help shows the commands, and ldd finds every
    /// library outside the toolchain.
    static func checkPrograms(in bin: String, scratch: String) async throws {
        let version = try Self.version
        for program in ["syncd", "syncd-server"] {
            let path = bin + "/" + program
            let shown = try await run(path, ["--version"], in: scratch)
            #expect(shown.status == 0 && shown.output.trimmingCharacters(in: .whitespacesAndNewlines) == version, "\(program): \(shown.output)")
            let help = try await run(path, ["--help"], in: scratch)
            #expect(help.status == 0 && help.output.contains("USAGE: \(program)"), "\(program): \(help.output)")
            #expect(help.output.contains(program == "syncd" ? "filestatus" : "check-config"))
            let ldd = try await run("/usr/bin/ldd", [path], in: scratch)
            #expect(ldd.status == 0, "\(ldd.output)")
            for toolchain in ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "/opt/swift", "not found"] {
                #expect(!ldd.output.contains(toolchain), "\(program) loads \(toolchain): \(ldd.output)")
            }
            #expect(ldd.output.contains("libc.so.6"), "ldd read the binary: \(ldd.output)")
        }
    }

    @Test func theTarballRunsAndInstallsWithoutAToolchain() async throws {
        let version = try Self.version
        let tarball = Self.dist + "/syncd-\(version)-linux-x86_64.tar.gz"
        #expect(FileManager.default.fileExists(atPath: tarball), "no \(tarball): scripts/release makes it (scripts/test runs it)")
        let dir = try Self.scratch("tarball")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let untar = try await Self.run("/usr/bin/tar", ["-xzf", tarball, "-C", dir], in: dir)
        #expect(untar.status == 0, "\(untar.output)")
        let top = dir + "/syncd-\(version)-linux-x86_64"
        let expected = [
            "bin/syncd", "bin/syncd-server", "install-system", "LICENSE", "README.md",
            "systemd/syncd.service", "systemd/syncd@.service", "systemd/syncd-server.service", "systemd/syncd.catalog",
            "config/syncd.toml", "config/syncd-server.toml", "man/man1/syncd.1", "man/man1/syncd-server.1",
            "completions/bash/syncd", "completions/bash/syncd-server", "completions/zsh/_syncd", "completions/zsh/_syncd-server",
            "completions/fish/syncd.fish", "completions/fish/syncd-server.fish", "THIRD-PARTY-LICENSES",
        ]
        for file in expected { #expect(FileManager.default.fileExists(atPath: top + "/" + file), "the tarball lacks \(file)") }
        // Made from this commit: the entries carry its time, the units and catalog are these.
        let listing = try await Self.run("/usr/bin/tar", ["--list", "--verbose", "--full-time", "-zf", tarball], in: dir)
        let commitTime = try await Self.run(
            "/usr/bin/git",
            ["-C", FileManager.default.currentDirectoryPath, "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d %H:%M:%S"],
            in: dir
        )
        let stamp = commitTime.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            !stamp.isEmpty
                && listing.output.contains(
                    " \(stamp) \(URL(fileURLWithPath: tarball).lastPathComponent.replacingOccurrences(of: ".tar.gz", with: ""))/bin/syncd"
                ),
            "stale artifacts? commit time \(stamp): \(listing.output.prefix(600))"
        )
        for file in ["syncd.service", "syncd@.service", "syncd-server.service", "syncd.catalog"] {
            let shipped = try Data(contentsOf: URL(fileURLWithPath: top + "/systemd/" + file))
            let source = try Data(contentsOf: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/systemd/" + file))
            #expect(shipped == source, "the tarball's \(file) is not this tree's: run scripts/release")
        }
        let notices = try String(contentsOfFile: top + "/THIRD-PARTY-LICENSES", encoding: .utf8)
        #expect(
            notices.contains("==== swift-nio: LICENSE") && notices.contains("toml++") && notices.contains("Apache License"),
            "the licences of what is linked in"
        )
        let manual = try String(contentsOfFile: top + "/man/man1/syncd.1", encoding: .utf8)
        #expect(manual.contains("filestatus") && manual.contains("share"), "the man page is generated from the commands")
        let bash = try String(contentsOfFile: top + "/completions/bash/syncd", encoding: .utf8)
        #expect(bash.contains("complete") && bash.contains("filestatus"))
        try await Self.checkPrograms(in: top + "/bin", scratch: dir)

        // Its own install-system, staged into a root: no build, everything where it belongs.
        let root = dir + "/root"
        let installed = try await Self.run(top + "/install-system", ["--destdir", root], in: dir)
        #expect(installed.status == 0, "\(installed.output)")
        for file in [
            "usr/local/bin/syncd", "usr/local/bin/syncd-server", "usr/local/share/man/man1/syncd.1",
            "usr/local/share/bash-completion/completions/syncd", "usr/local/share/zsh/site-functions/_syncd",
            "usr/local/share/fish/vendor_completions.d/syncd.fish", "etc/systemd/system/syncd-server.service", "etc/systemd/user/syncd.service",
        ] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + file), "install-system did not install \(file)")
        }
        let unit = try String(contentsOfFile: root + "/etc/systemd/system/syncd-server.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/syncd-server serve") && unit.contains("RestartPreventExitStatus=78"))
    }

    @Test func theDebInstallsWhereDebianLooksAndDependsOnWhatItLoads() async throws {
        let version = try Self.version
        let deb = Self.dist + "/syncd_\(version)_amd64.deb"
        #expect(FileManager.default.fileExists(atPath: deb), "no \(deb): scripts/release makes it (scripts/test runs it)")
        let dir = try Self.scratch("deb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fields = try await Self.run("/usr/bin/dpkg-deb", ["-f", deb, "Package", "Version", "Architecture", "Depends"], in: dir)
        #expect(
            fields.output.contains("Package: syncd\n") && fields.output.contains("Version: \(version)\n")
                && fields.output.contains("Architecture: amd64")
        )
        let dependsLine = try #require(fields.output.split(separator: "\n").first { $0.hasPrefix("Depends: ") }, "\(fields.output)")
        let depends = Set(
            dependsLine.dropFirst("Depends: ".count).split(separator: ",").map {
                String($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
            }
        )

        let root = dir + "/root"
        let unpack = try await Self.run("/usr/bin/dpkg", ["-x", deb, root], in: dir)
        #expect(unpack.status == 0, "\(unpack.output)")
        try await Self.checkPrograms(in: root + "/usr/bin", scratch: dir)
        for file in [
            "usr/lib/systemd/system/syncd-server.service", "usr/lib/systemd/system/syncd@.service", "usr/lib/systemd/user/syncd.service",
            "usr/lib/systemd/catalog/syncd.catalog", "usr/share/man/man1/syncd.1.gz", "usr/share/man/man1/syncd-server.1.gz",
            "usr/share/bash-completion/completions/syncd", "usr/share/zsh/vendor-completions/_syncd",
            "usr/share/fish/vendor_completions.d/syncd.fish", "usr/share/doc/syncd/copyright", "usr/share/doc/syncd/examples/syncd-server.toml",
        ] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + file), "the .deb lacks /\(file)")
        }
        let unit = try String(contentsOfFile: root + "/usr/lib/systemd/system/syncd-server.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/syncd-server serve") && !unit.contains("/usr/local/"))

        // Depends names exactly the packages of the libraries the binaries load.
        var loaded = Set<String>()
        for program in ["syncd", "syncd-server"] {
            let ldd = try await Self.run("/usr/bin/ldd", [root + "/usr/bin/" + program], in: dir)
            let needed = try await Self.run("/usr/bin/objdump", ["-p", root + "/usr/bin/" + program], in: dir)
            let direct = needed.output.split(separator: "\n").filter { $0.contains("NEEDED") }.compactMap {
                $0.split(separator: " ").last.map(String.init)
            }
            for library in direct {
                guard let line = ldd.output.split(separator: "\n").first(where: { $0.contains(library + " => ") }),
                    let path = line.split(separator: " ").dropFirst(2).first
                else { continue }
                // dpkg knows a file by the path its package ships (/lib or /usr/lib, the link or
                // the versioned file): the first that it knows.
                let real = URL(fileURLWithPath: String(path)).resolvingSymlinksInPath().path
                var candidates = [String(path), real]
                for name in [String(path), real] {
                    candidates.append(name.hasPrefix("/usr/") ? String(name.dropFirst(4)) : "/usr" + name)
                }
                for candidate in candidates {
                    let owner = try await Self.run("/usr/bin/dpkg", ["-S", candidate], in: dir)
                    guard owner.status == 0, let package = owner.output.split(separator: ":").first else { continue }
                    loaded.insert(String(package))
                    break
                }
            }
        }
        #expect(!loaded.isEmpty)
        #expect(
            depends == loaded.union(["adduser"]),
            "Depends \(depends.sorted()) vs. the packages of the libraries loaded \(loaded.sorted()) and adduser"
        )
        let contents = try await Self.run("/usr/bin/dpkg-deb", ["-c", deb], in: dir)
        #expect(
            contents.output.contains("drwx------ root/root") && contents.output.contains("./etc/syncd/secrets/"),
            "\(contents.output.prefix(400))"
        )
        let catalog = try Data(contentsOf: URL(fileURLWithPath: root + "/usr/lib/systemd/catalog/syncd.catalog"))
        #expect(
            catalog == (try Data(contentsOf: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/systemd/syncd.catalog"))),
            "stale .deb"
        )

        // The maintainer script, run for real in a private mount namespace over a copy of /etc:
        // it makes the `syncd` system user, and does not call systemctl where systemd is not running.
        let control = dir + "/control"
        let extract = try await Self.run("/usr/bin/dpkg-deb", ["-e", deb, control], in: dir)
        #expect(extract.status == 0, "\(extract.output)")
        // A systemctl that records any call: where systemd does not run, none may come.
        let stubs = dir + "/stubs"
        try FileManager.default.createDirectory(atPath: stubs, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"$@\" >> \(dir)/systemctl-called\n".write(toFile: stubs + "/systemctl", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stubs + "/systemctl")
        let script = """
            set -e
            cp -a /etc \(dir)/etc-copy
            mount --bind \(dir)/etc-copy /etc
            if getent passwd syncd; then echo "a syncd user exists already"; exit 1; fi
            export PATH=\(stubs):$PATH
            sh \(control)/postinst configure
            getent passwd syncd
            sh \(control)/postinst configure 0.0.9
            sh \(control)/prerm remove
            sh \(control)/postrm remove
            """
        let postinst = try await Self.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "sh", "-c", script], in: dir)
        #expect(postinst.status == 0, "postinst: \(postinst.output)")
        #expect(postinst.output.contains("syncd:x:") && postinst.output.contains("/var/lib/syncd"), "\(postinst.output)")
        let systemdRuns = FileManager.default.fileExists(atPath: "/run/systemd/system")
        #expect(
            systemdRuns || !FileManager.default.fileExists(atPath: dir + "/systemctl-called"),
            "the maintainer scripts called systemctl without systemd"
        )
    }
}
