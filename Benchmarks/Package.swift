// swift-tools-version: 6.1
// The benchmark suite of ckpt-inspect. A package of its own so that the main package's
// `swift build` / `swift test` never build it (DESIGN.md: "keeps CI's build small").
//
//   swift run -c release ckpt-gen --pages-size 2GiB --out data/2GiB/base --twin data/2GiB/twin
//   swift test                      # generates a small checkpoint and checks it with the decoder
//   ./run.sh --tiers 20MiB,2GiB     # CLI timings against baselines (see README.md)
import PackageDescription

let package = Package(
    name: "ckpt-inspect-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ckpt-gen", targets: ["ckpt-gen"]),
    ],
    dependencies: [
        .package(name: "ckpt-inspect", path: ".."),
        // In-process benchmarks (Benchmarks/DecodeBenchmarks): `swift package --disable-sandbox benchmark`.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Synthetic checkpoint writer: protobuf encoder, CRIU framing, layout, page content.
        // Depends on nothing of the main package, so it cannot agree with the decoder by accident.
        .target(name: "CheckpointGen"),
        .executableTarget(name: "ckpt-gen", dependencies: ["CheckpointGen"]),
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                "CheckpointGen",
                .product(name: "CRIUImages", package: "ckpt-inspect"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DecodeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(
            name: "CheckpointGenTests",
            dependencies: [
                "CheckpointGen",
                .product(name: "CRIUImages", package: "ckpt-inspect"),
                .product(name: "Checkpoint", package: "ckpt-inspect"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
