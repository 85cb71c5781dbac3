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
        .library(name: "Routing", targets: ["Routing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "SSE"),
        .target(name: "Dialects", dependencies: ["SSE"]),
        .target(
            name: "Faults",
            dependencies: ["Dialects", "SSE", .product(name: "Yams", package: "Yams")],
            exclude: ["CREATING_FAULTS.md"]
        ),
        .target(name: "Analysis", dependencies: ["Dialects", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Routing",
            dependencies: [
                "Dialects", "SSE",
                .product(name: "Yams", package: "Yams"),
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
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Dialects"]),
        .testTarget(name: "CLITests", dependencies: ["tapedeck", "Dialects"]),
        .testTarget(name: "FaultsTests", dependencies: ["Faults", "Dialects", "SSE"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "Dialects", "SSE"]),
    ],
    swiftLanguageModes: [.v6]
)
