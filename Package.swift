// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "tapedeck",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tapedeck", targets: ["tapedeck"]),
        .library(name: "SSE", targets: ["SSE"]),
        .library(name: "Dialects", targets: ["Dialects"]),
        .library(name: "Faults", targets: ["Faults"]),
        .library(name: "Cassettes", targets: ["Cassettes"]),
        .library(name: "Routing", targets: ["Routing"]),
        .library(name: "Recorder", targets: ["Recorder"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "RouterGateway", targets: ["RouterGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        .target(name: "SSE"),
        .target(name: "Dialects", dependencies: ["SSE"]),
        .target(
            name: "Faults",
            dependencies: ["Dialects", "SSE", .product(name: "Yams", package: "Yams")],
            exclude: ["CREATING_FAULTS.md"]
        ),
        .target(
            name: "HTTPServerSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Replay",
            dependencies: [
                "Cassettes", "Faults", "Dialects", "SSE", "HTTPServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Analysis",
            dependencies: [
                "SSE", "Dialects", "Faults", "Replay", "Routing",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Cassettes",
            dependencies: [
                "Dialects", "SSE", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Routing",
            dependencies: [
                "Dialects", "SSE",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The router as an HTTP server: the client endpoints in front of a `Router`.
        .target(
            name: "RouterGateway",
            dependencies: [
                "Routing", "Dialects", "HTTPServerSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Recorder",
            dependencies: [
                "Cassettes", "Dialects", "SSE", "HTTPServerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tapedeck",
            dependencies: [
                "SSE", "Dialects", "Cassettes", "Faults", "Replay", "Routing", "RouterGateway", "Analysis", "Recorder",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "sse-bench", dependencies: ["SSE"], path: "tools/bench/sse-bench"),
        .executableTarget(
            name: "cassette-bench", dependencies: ["Cassettes", "Dialects", "SSE"], path: "tools/bench/cassette-bench"
        ),
        .executableTarget(
            name: "gateway-bench",
            dependencies: [
                "RouterGateway", "Routing", "SSE",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/bench/gateway-bench"
        ),
        // A child process for the crash test: writes interactions until it is killed.
        .executableTarget(
            name: "cassette-crash-writer", dependencies: ["Cassettes", "Dialects"], path: "tools/cassette-crash-writer"
        ),
        // Test-only helpers shared by every test target (fixture lookup, log capture).
        .target(
            name: "TestSupport", dependencies: ["Faults", .product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"
        ),
        .testTarget(name: "SSETests", dependencies: ["TestSupport", "SSE"]),
        .testTarget(
            name: "HTTPServerSupportTests",
            dependencies: [
                "HTTPServerSupport", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "DialectsTests", dependencies: ["TestSupport", "Dialects", "SSE"]),
        .testTarget(
            name: "AnalysisTests",
            dependencies: ["TestSupport", 
                "Analysis", "Dialects", "Faults", "Replay", "Routing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ReplayServiceTests",
            dependencies: ["TestSupport", 
                "Replay", "Cassettes", "Faults", "Dialects", "SSE", "Routing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "TestSupport", "tapedeck", "Dialects",
                // Only for the in-test upstream of the recorder crash test.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // Only to make a foreign SQLite database for the bad-input table.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "FaultsTests", dependencies: ["TestSupport", "Faults", "Dialects", "SSE"]),
        .testTarget(
            name: "ReplayTests",
            dependencies: ["TestSupport", 
                "Replay", "Faults", "Dialects",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "CassettesTests",
            dependencies: ["TestSupport", 
                "Cassettes", "Dialects", "SSE", "cassette-crash-writer",
                .product(name: "Logging", package: "swift-log"),
                // Only to damage and inspect cassette files from outside the store.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "RoutingTests", dependencies: ["TestSupport", "Routing", "Dialects", "SSE"]),
        .testTarget(
            name: "RouterGatewayTests",
            dependencies: ["TestSupport", 
                "RouterGateway", "Routing", "Dialects", "SSE", "Replay", "Faults",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "recorder-bench",
            dependencies: [
                "Recorder", "Cassettes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/bench/recorder-bench",
            exclude: ["README.md"]
        ),
        .testTarget(
            name: "RecorderTests",
            dependencies: ["TestSupport", 
                "Recorder", "Cassettes", "Dialects", "SSE", "Replay", "Faults",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
