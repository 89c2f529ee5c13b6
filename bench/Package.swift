// swift-tools-version:6.1
import PackageDescription

/// Benchmarks for stackd, kept out of the root package so CI's build never compiles them.
/// `swift build -c release` here, or `./run.sh` for the full comparison.
let package = Package(
    name: "stackd-bench",
    dependencies: [
        .package(name: "stackd", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // libxgboost's C API, for the raw-library baselines of `stackd-bench xgb` (the root's
        // CXGBoost target is not a product).
        .systemLibrary(name: "CXGBoostBench", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .executableTarget(
            name: "stackd-bench",
            dependencies: [
                .product(name: "StackdCore", package: "stackd"),
                .product(name: "StackdZMQ", package: "stackd"),
                .product(name: "StackdDaemon", package: "stackd"),
                .product(name: "StackdJournal", package: "stackd"),
                .product(name: "StackdReplay", package: "stackd"),
                .product(name: "StackdLearning", package: "stackd"),
                .product(name: "StackdXGBoost", package: "stackd"),
                .product(name: "StackdTraining", package: "stackd"),
                "CXGBoostBench",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
