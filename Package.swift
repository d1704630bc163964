// swift-tools-version: 6.1
// eguma-gate: an e-guma voucher turnstile controller for Linux.
// Layers (see README "Architecture"): C shims → hardware / store / API → pure core → daemon → CLI.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "eguma-gate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "eguma-gate", targets: ["eguma-gate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
    ],
    targets: [
        // MARK: C libraries, only behind system-library targets.
        .systemLibrary(
            name: "CUdev", pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CGPIOD", pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(
            name: "CUmockdev", pkgConfig: "umockdev-1.0",
            providers: [.apt(["libumockdev-dev", "umockdev"])]),

        // MARK: e-guma
        .target(
            name: "EgumaAPI",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "EgumaSimulator",
            dependencies: [
                "EgumaAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // MARK: gate
        .target(name: "GateCore", swiftSettings: swiftSettings),
        .target(
            name: "GateHardware",
            dependencies: [
                "GateCore", "CUdev", "CGPIOD",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "GateStore",
            dependencies: [
                "GateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        // Fleet: several controllers of one venue share one PostgreSQL (docs/fleet.md). PostgresNIO
        // stays in this target; GateCore knows the fleet only through its ports.
        .target(
            name: "GateFleet",
            dependencies: [
                "GateCore", "GateStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Swift 6.3.1's optimizer crashes ("While splitting coroutine", signal 11) on this
            // target's async functions that decode PostgreSQL rows into wide tuples: built
            // unoptimised in release too. Nothing here is on the admission path's hot loop (a claim
            // is one statement; shipping is I/O-bound), so -Onone costs no measurable time.
            swiftSettings: swiftSettings + [.unsafeFlags(["-Onone"], .when(configuration: .release))]),
        .target(
            name: "GateDaemon",
            dependencies: [
                "GateCore", "GateHardware", "GateStore", "GateFleet", "EgumaAPI", "EgumaSimulator",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "eguma-gate",
            dependencies: [
                "GateDaemon", "GateHardware", "GateFleet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "GateBenchmarks",
            dependencies: ["GateDaemon", "GateCore", "GateHardware", "GateStore", "EgumaAPI", "EgumaSimulator", "GateFleet", "TestSupport",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings),

        // MARK: tests
        .target(
            name: "TestSupport",
            dependencies: ["EgumaAPI", "EgumaSimulator", "GateCore", "GateStore", "GateHardware", "CUmockdev",
                           .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EgumaAPITests",
            dependencies: ["EgumaAPI", "EgumaSimulator", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GateCoreTests",
            dependencies: ["GateCore", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GateHardwareTests",
            dependencies: ["GateHardware", "TestSupport", "CUmockdev",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GateStoreTests",
            dependencies: ["GateStore", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GateDaemonTests",
            dependencies: [
                "GateDaemon", "GateFleet", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
