// swift-tools-version:6.1
import PackageDescription

/// Every target builds in Swift 6 language mode with strict concurrency, and keeps its imports
/// internal unless a public declaration shows another module's types.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "syncd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "S3Client", targets: ["S3Client"]),
        .library(name: "SyncAPI", targets: ["SyncAPI"]),
        .library(name: "TOMLConfig", targets: ["TOMLConfig"]),
        .library(name: "SyncEngine", targets: ["SyncEngine"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
        .executable(name: "syncd", targets: ["syncd"]),
        .executable(name: "syncd-server", targets: ["syncd-server"]),
        .executable(name: "s3-bench", targets: ["s3-bench"]),
        .executable(name: "scan-bench", targets: ["scan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // MARK: Libraries

        /// Work over a list, a bounded number of items at once: the package's one such loop.
        .target(name: "Concurrently", swiftSettings: swiftSettings),

        /// CRC32C (Castagnoli) with SSE4.2 where the CPU has it: S3's fastest part checksum.
        .target(name: "CCRC32C"),

        /// Linux calls Swift's Glibc module does not show (renameat2).
        .target(name: "CLinuxShims"),

        /// libsystemd: sd_notify, sd_watchdog_enabled, sd_journal_sendv.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),

        /// What both programs share as services: the version, journald logging, sd_notify.
        .target(
            name: "ServiceSupport",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            resources: [.embedInCode("VERSION")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "S3Client",
            dependencies: [
                "CCRC32C",
                "Concurrently",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SyncAPI", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),

        /// Configuration files (TOML, read by TOMLKit) with environment overrides.
        .target(name: "TOMLConfig", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: swiftSettings),
        .target(
            name: "SyncEngine",
            dependencies: [
                "CLinuxShims",
                "Concurrently",
                "SyncAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SyncServer",
            dependencies: [
                "Concurrently",
                "S3Client",
                "ServiceSupport",
                "SyncAPI",
                "TOMLConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The dashboard's scripts, styles and icons are compiled into the binary: the server
            // serves every byte of its pages itself, and an install is one file.
            resources: dashboardAssets.map { .embedInCode("Web/Static/\($0)") },
            swiftSettings: swiftSettings
        ),

        // MARK: Executables (wiring only)

        .target(
            name: "SyncDaemon",
            dependencies: [
                "CLinuxShims",
                "S3Client",
                "ServiceSupport",
                "SyncAPI",
                "SyncEngine",
                "TOMLConfig",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "syncd",
            dependencies: [
                "ServiceSupport",
                "SyncEngine",
                "SyncDaemon",
                "SyncAPI",
                "TOMLConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "syncd-server",
            dependencies: [
                "ServiceSupport",
                "SyncServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "s3-bench",
            dependencies: [
                "S3Client",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/s3-bench",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "scan-bench",
            dependencies: [
                "SyncAPI",
                "SyncEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/scan-bench",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        .testTarget(
            name: "S3ClientTests",
            dependencies: [
                "S3Client",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: [
                "SyncEngine",
                "S3Client",
                "SyncAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Scenarios")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServer",
                "SyncAPI",
                "S3Client",
                "TOMLConfig",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TOMLConfigTests", dependencies: ["TOMLConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SyncDaemonTests",
            dependencies: [
                "SyncAPI", "SyncDaemon", "SyncEngine", "TOMLConfig", "S3Client", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "CLinuxShims",
                "Concurrently",
                "SyncAPI",
                "SyncDaemon",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

/// The files of `Sources/SyncServer/Web/Static`, embedded in the server (see StaticAssets.swift).
var dashboardAssets: [String] {
    ["app.js", "api.js", "dom.js", "hash.js", "upload.js", "sharing.js", "request.js", "app.css"]
        + ["folder", "image", "pdf", "video", "audio", "archive", "document", "text", "other"].map { "icons/\($0).svg" }
}
