// swift-tools-version:6.1
// Tessera: federated LoRA fine-tuning of a medical vision-language model across hospitals.
// Module boundaries and their allowed imports: ../shared/STYLE.md §2.1 (and docs/ in this repo).
import PackageDescription

/// A system library from a Debian package, declared by its module map under Sources/.
func systemLibrary(_ name: String, pkgConfig: String? = nil) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig)
}

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tessera", targets: ["TesseraCLI"]),
        .executable(name: "tessera-aggregator", targets: ["AggregatorCLI"]),
        .executable(name: "tessera-site", targets: ["SiteCLI"]),
        .executable(name: "tessera-fuzz-container", targets: ["ContainerFuzzer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries (installed by scripts/setup.sh).
        systemLibrary("CBLAS", pkgConfig: "openblas"),
        systemLibrary("CLAPACKE"),
        systemLibrary("CZstd", pkgConfig: "libzstd"),
        systemLibrary("COpenSSL", pkgConfig: "openssl"),
        systemLibrary("CCurl", pkgConfig: "libcurl"),
        systemLibrary("CPNG", pkgConfig: "libpng"),
        systemLibrary("CJPEG", pkgConfig: "libjpeg"),
        systemLibrary("CMalloc"),
        systemLibrary("CStdio"),

        // Core libraries.
        .target(name: "Tensor", dependencies: ["CBLAS", "CLAPACKE", "CMalloc"]),
        .target(name: "Subprocesses"),
        .target(name: "Model", dependencies: ["Tensor"]),
        .target(name: "Training", dependencies: ["Tensor", "Model", "Datasets", "Reporting"]),
        .target(name: "Reporting", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "Security", dependencies: ["COpenSSL"]),
        // Training data: MedSynth, dataset formats, PNG (libpng; 16-bit with alpha and JPEG (libjpeg)
        // behind setjmp wrappers) and DICOM decoding. Named Datasets: a module named Data would shadow
        // Foundation.Data.
        .target(name: "CJPEGDecoder", dependencies: ["CJPEG"]),
        .target(name: "CPNGDecoder", dependencies: ["CPNG"]),
        .target(name: "Datasets", dependencies: ["CPNG", "CPNGDecoder", "CJPEGDecoder", "Tensor", "Reporting"]),
        // Mutual TLS: OpenSSL under SwiftNIO/Hummingbird (aggregator), libcurl (site). Never swift-nio-ssl.
        .target(
            name: "Transport",
            dependencies: [
                "COpenSSL", "CCurl", "Security",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The wire contract, the site agent and the aggregator (their issues fill them in).
        .target(
            name: "Protocols",
            dependencies: ["Tensor", "Security", "CZstd"],
            path: "Protocols",
            resources: [.copy("openapi.yaml")]
        ),
        // Aggregation strategies: pure functions of site updates (no sockets, no SQLite).
        .target(name: "Federation", dependencies: ["Tensor", "Protocols"]),
        // The participation ledger: hash-chained, signed entries in SQLite, and their audit.
        .target(
            name: "Ledger",
            dependencies: ["Security", "Protocols", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Where a round's plan meets the model and trainer: base digests, plan → trainer
        // configuration, global adapters on a model. Shared by the site agent and the aggregator.
        .target(
            name: "PlanBinding",
            dependencies: ["Model", "Training", "Protocols", "Security", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        .target(
            name: "AggregatorCore",
            dependencies: [
                "PlanBinding", "Federation", "Ledger", "Transport", "Protocols", "Security", "Model",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Aggregator/AggregatorCore"
        ),
        .executableTarget(
            name: "AggregatorCLI",
            dependencies: [
                "AggregatorCore", "Security", "Protocols", "PlanBinding", "Reporting", "Model", "Tensor", "Subprocesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Aggregator/AggregatorCLI"
        ),
        .target(
            name: "SiteAgent",
            dependencies: [
                "PlanBinding", "Training", "Model", "Datasets", "Transport", "Protocols", "Security", "Tensor", "Reporting", "Subprocesses",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Site/SiteAgent"
        ),
        .executableTarget(
            name: "SiteCLI",
            dependencies: [
                "SiteAgent", "PlanBinding", "Protocols", "Security", "Model", "Tensor", "Training", "Reporting", "CStdio",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Site/SiteCLI"
        ),

        // The container decoder as a fuzz target (scripts/fuzz-container.sh); built as usual it replays inputs.
        .executableTarget(name: "ContainerFuzzer", dependencies: ["Protocols", "Security", "Tensor"]),

        // The operator's and ML engineer's command line.
        .executableTarget(
            name: "TesseraCLI",
            dependencies: [
                "Tensor", "Model", "Reporting", "CBLAS", "CStdio", "CZstd", "Security", "Transport", "Protocols", "Datasets", "Federation", "Training", "Ledger", "SiteAgent", "AggregatorCore", "PlanBinding", "Subprocesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .target(
            name: "TestSupport",
            dependencies: [
                "Tensor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "TensorTests",
            dependencies: [
                "Tensor", "TestSupport", "CBLAS",
                .product(name: "Numerics", package: "swift-numerics"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport", .product(name: "Numerics", package: "swift-numerics")], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"]),
        .testTarget(
            name: "TesseraCLITests",
            dependencies: ["TesseraCLI", "AggregatorCore", "Datasets", "PlanBinding", "Protocols", "Security", "Subprocesses", "Tensor", "TestSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "Tensor", "Datasets", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SecurityTests", dependencies: ["Security"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor", "Reporting"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ProtocolsTests", dependencies: ["Protocols", "TestSupport"]),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport", "Security", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "FederationTests", dependencies: ["Federation", "Protocols", "Security", "Tensor", "TestSupport"]),
        .testTarget(name: "PlanBindingTests", dependencies: ["PlanBinding", "Federation", "Model", "Protocols", "Training"]),
        .target(
            name: "AggregatorTestSupport",
            dependencies: ["AggregatorCore", "PlanBinding", "Transport", "Security", "Protocols", "Model", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AggregatorTestSupport"
        ),
        .testTarget(
            name: "AggregatorTests",
            dependencies: ["AggregatorCore", "AggregatorTestSupport", "PlanBinding", "Ledger", "Transport", "Security", "Protocols", "Model",
                           "Federation", "CZstd", "Subprocesses", "TestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "SiteAgentTests",
            dependencies: [
                "SiteAgent", "PlanBinding", "Protocols", "Security", "Model", "Ledger", "Training", "Datasets", "Transport", "Tensor",
                "TestSupport", "Subprocesses", "AggregatorCore", "AggregatorTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["verify_ledger.py"]
        ),
    ]
)
