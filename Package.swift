// swift-tools-version: 6.2
import PackageDescription

/// Our own targets build strictly; dependencies are not held to it.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .library(name: "HeraldCore", targets: ["HeraldCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.33.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(name: "CMalloc"),
        .target(name: "CCRC32C"),
        .target(
            name: "HeraldJournal",
            dependencies: ["CCRC32C", .product(name: "Collections", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "HeraldHTTP",
            dependencies: ["CCurl", .product(name: "Collections", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "HeraldSource",
            swiftSettings: strict
        ),
        .target(
            name: "HeraldKafka",
            dependencies: ["CRdKafka", "HeraldHTTP"],
            swiftSettings: strict
        ),
        .target(
            name: "HeraldCore",
            dependencies: [
                "CYAML",
                "CPCRE2",
                "HeraldJournal",
                "HeraldHTTP",
                "HeraldSource",
                "HeraldKafka",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HeraldAdmin",
            dependencies: [
                "HeraldCore",
                "HeraldJournal",
                "HeraldHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "herald",
            dependencies: [
                "CMalloc",
                "HeraldCore",
                "HeraldAdmin",
                "HeraldHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "herald-bench",
            dependencies: ["HeraldCore"],
            path: "Benchmarks/HeraldBench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "herald-delivery-bench",
            dependencies: ["HeraldHTTP"],
            path: "Benchmarks/DeliveryBench",
            swiftSettings: strict
        ),
        /// A Kafka cluster for the tests: librdkafka's mock brokers (the real protocol on loopback),
        /// driven over stdin (produce, broker down/up).
        .executableTarget(
            name: "herald-kafka-mock",
            dependencies: ["CRdKafka"],
            path: "Tests/KafkaMock",
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldCoreTests",
            dependencies: [
                "HeraldCore", "HeraldHTTP", "HeraldKafka", "HeraldTestSupport", .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"], swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldAdminTests",
            dependencies: ["HeraldAdmin", "HeraldCore", "HeraldHTTP", "HeraldJournal", "HeraldTestSupport", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict
        ),
        .target(name: "HeraldTestSupport", dependencies: ["HeraldHTTP"], path: "Tests/HeraldTestSupport", swiftSettings: strict),
        .testTarget(name: "HeraldJournalTests", dependencies: ["HeraldJournal"], swiftSettings: strict),
        .testTarget(name: "HeraldHTTPTests", dependencies: ["HeraldHTTP", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(name: "HeraldSourceTests", dependencies: ["HeraldSource"], swiftSettings: strict),
        .testTarget(name: "HeraldIntegrationTests", dependencies: ["herald", "herald-kafka-mock", "HeraldCore", "HeraldHTTP", "HeraldTestSupport"], swiftSettings: strict),
    ]
)

/// libFuzzer targets, seen only when `scripts/fuzz` sets HERALD_FUZZ: they have no `main` of their
/// own (libFuzzer's links in with `--sanitize fuzzer`), so the normal build must never see them.
/// `-parse-as-library`: a one-file executable is otherwise compiled as top-level code, whose
/// globals only the (unused) Swift `main` would initialise.
if Context.environment["HERALD_FUZZ"] != nil {
    let fuzz = strict + [.unsafeFlags(["-parse-as-library"])]
    package.targets += [
        .executableTarget(name: "FuzzEventLine", dependencies: ["HeraldCore"], path: "Fuzz/FuzzEventLine", swiftSettings: fuzz),
        .executableTarget(name: "FuzzConfig", dependencies: ["HeraldCore"], path: "Fuzz/FuzzConfig", swiftSettings: fuzz),
        .executableTarget(name: "FuzzJournal", dependencies: ["HeraldJournal"], path: "Fuzz/FuzzJournal", swiftSettings: fuzz),
    ]
}
