// swift-tools-version: 6.1
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "ckpt-inspect",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CRIUImages", targets: ["CRIUImages"]),
        .library(name: "CheckpointArchive", targets: ["CheckpointArchive"]),
        .library(name: "Checkpoint", targets: ["Checkpoint"]),
        .library(name: "CheckpointAnalysis", targets: ["CheckpointAnalysis"]),
        .library(name: "CheckpointYARA", targets: ["CheckpointYARA"]),
        .executable(name: "ckpt-inspect", targets: ["ckpt-inspect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CRIUImages", swiftSettings: settings),
        .systemLibrary(
            name: "CLibArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .target(name: "CheckpointArchive", dependencies: ["CLibArchive"], swiftSettings: settings),
        .target(name: "Checkpoint", dependencies: ["CRIUImages", "CheckpointArchive"], swiftSettings: settings),
        // The cpuid instruction and the system-call probes of `ckpt-inspect host` (header only).
        .systemLibrary(name: "CHostProbe"),
        .target(name: "CheckpointAnalysis", dependencies: ["Checkpoint", "CheckpointArchive", "CRIUImages", "CHostProbe"], swiftSettings: settings),
        .systemLibrary(
            name: "CLibYARA",
            pkgConfig: "yara",
            providers: [.apt(["libyara-dev"])]
        ),
        // YARA rules over checkpoint memory (libyara); a separate product so that the other
        // libraries do not link libyara.
        .target(name: "CheckpointYARA", dependencies: ["Checkpoint", "CheckpointArchive", "CRIUImages", "CLibYARA"], swiftSettings: settings),
        .executableTarget(
            name: "ckpt-inspect",
            dependencies: [
                "CRIUImages",
                "CheckpointArchive",
                "Checkpoint",
                "CheckpointAnalysis",
                "CheckpointYARA",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        // Helpers shared by the test targets (no product depends on it).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: settings),
        .testTarget(name: "CRIUImagesTests", dependencies: ["CRIUImages", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "CheckpointArchive", "CRIUImages", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CheckpointYARATests", dependencies: ["CheckpointYARA", "Checkpoint", "CheckpointArchive", "CRIUImages", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CheckpointAnalysisTests", dependencies: ["CheckpointAnalysis", "Checkpoint", "CheckpointArchive", "CRIUImages", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CLITests", dependencies: [.target(name: "ckpt-inspect"), "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CheckpointArchiveTests", dependencies: ["CheckpointArchive"], swiftSettings: settings),
        // libprotobuf-c as a differential oracle (tests only; no product depends on it). The C in
        // Sources/CProtobufCOracle/generated comes from Scripts/generate-protobuf-c.sh; the mutation
        // corpus Fixtures/oracle/mutations.tar.zst (read with CheckpointArchive) from
        // Scripts/generate-oracle-corpus.sh. docs/ORACLE.md.
        .target(
            name: "CProtobufCOracle",
            path: "Sources/CProtobufCOracle",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .testTarget(
            name: "ProtobufCOracleTests",
            dependencies: ["CRIUImages", "CProtobufCOracle", "CheckpointArchive"],
            swiftSettings: settings
        ),
    ],
    swiftLanguageModes: [.v6]
)
