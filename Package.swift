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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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

        // Core libraries.
        .target(name: "Tensor", dependencies: ["CBLAS", "CLAPACKE"]),
        .target(name: "Model", dependencies: ["Tensor"]),
        .target(name: "Reporting"),
        .target(name: "Security", dependencies: ["COpenSSL"]),
        // Training data: MedSynth, dataset formats, PNG (libpng), JPEG (libjpeg behind a setjmp
        // wrapper) and DICOM decoding. Named Datasets: a module named Data would shadow Foundation.Data.
        .target(name: "CJPEGDecoder", dependencies: ["CJPEG"]),
        .target(name: "Datasets", dependencies: ["CPNG", "CJPEGDecoder"]),

        // The wire contract, the site agent and the aggregator (their issues fill them in).
        .target(
            name: "Protocols",
            dependencies: ["Tensor", "Security", "CZstd"],
            path: "Protocols",
            resources: [.copy("openapi.yaml")]
        ),
        // The participation ledger: hash-chained, signed entries in SQLite, and their audit.
        .target(
            name: "Ledger",
            dependencies: ["Security", "Protocols", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "SiteAgent", path: "Site/SiteAgent"),
        .target(name: "AggregatorCore", path: "Aggregator/AggregatorCore"),

        // The operator's and ML engineer's command line.
        .executableTarget(
            name: "TesseraCLI",
            dependencies: [
                "Tensor", "Model", "Reporting", "CBLAS", "Ledger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
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
        .testTarget(name: "SecurityTests", dependencies: ["Security"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ProtocolsTests", dependencies: ["Protocols", "TestSupport"]),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["verify_ledger.py"]
        ),
    ]
)
