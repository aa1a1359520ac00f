// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "scollect-etl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "scollect-etl", targets: ["scollect-etl"]),
        .library(name: "ScollectETL", targets: ["ScollectETL"]),
        .library(name: "ScollectSandbox", targets: ["ScollectSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),

        // The engine: readers, transforms, writers, API client, reports.
        .target(name: "ScollectETL", dependencies: [
            "CCurl", "CZlib", "CLibXML2",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // A local server speaking the documented Scollect API; knows nothing of the engine.
        .target(name: "ScollectSandbox", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The thin command line.
        .executableTarget(name: "scollect-etl", dependencies: [
            "ScollectETL", "ScollectSandbox",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], plugins: ["GitRevision"]),
        // `gitRevision` for `--version`, the audit header and summary.json, from the checkout at build time.
        .plugin(name: "GitRevision", capability: .buildTool()),

        // Fixtures shared by the test targets: gzip read-back, repository paths, sandbox startup.
        .target(name: "ScollectTestSupport", dependencies: ["ScollectETL", "ScollectSandbox", "CZlib", .product(name: "Logging", package: "swift-log")], path: "Tests/ScollectTestSupport"),
        .testTarget(name: "ScollectETLTests", dependencies: ["ScollectETL", "ScollectSandbox", "ScollectTestSupport", "CZlib",
                                                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ScollectSandboxTests", dependencies: ["ScollectSandbox"]),
        .testTarget(name: "EndToEndTests", dependencies: ["ScollectETL", "ScollectSandbox", "ScollectTestSupport"],
                    swiftSettings: [.enableUpcomingFeature("BareSlashRegexLiterals")]),
    ],
    swiftLanguageModes: [.v5]
)
