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
        .library(name: "Replay", targets: ["Replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
    ],
    targets: [
        .target(name: "SSE"),
        .target(name: "Dialects", dependencies: ["SSE"]),
        .target(name: "Faults", dependencies: ["Dialects", "SSE"]),
        .target(
            name: "Replay",
            dependencies: [
                "Faults", "Dialects", "SSE",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "tapedeck",
            dependencies: [
                "SSE", "Dialects",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "sse-bench", dependencies: ["SSE"], path: "tools/bench/sse-bench"),
        .testTarget(name: "SSETests", dependencies: ["SSE"]),
        .testTarget(name: "DialectsTests", dependencies: ["Dialects", "SSE"]),
        .testTarget(name: "FaultsTests", dependencies: ["Faults", "Dialects", "SSE"]),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Replay", "Faults", "Dialects",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
