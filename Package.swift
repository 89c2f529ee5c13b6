// swift-tools-version:6.1
import PackageDescription

/// stackd: a ZeroMQ daemon that stacks the live predictions of several trading models.
///
/// Linux only: it links libsystemd (sd_notify) and handles Linux-only signals (SIGSTKFLT, SIGPWR),
/// so no Apple platform is declared. ARCHITECTURE.md draws the module graph; every target's
/// dependencies below are exactly the modules its sources import (tests/python/
/// test_package_dependencies.py keeps it so).
///
/// Modules (→ what each depends on):
/// - `CZeroMQ`, `CLZ4`, `COpenBLAS`, `CXGBoost`, `CSystemd`: one system-library target per native
///   library (pkg-config), nothing else; each is imported by exactly one Swift module.
/// - `CStackdCRC32C`: the SSE4.2 CRC32C instruction for the journal's checksums (C; no dependency).
/// - `StackdCore`: the pure pipeline (wire model, validation, assembly, features, combiners,
///   scoring, monitors), the output digest that compares two runs byte for byte, and the
///   project's seeded generator. No I/O, no clock: it consumes timestamped events and returns
///   outputs. → nothing.
/// - `StackdClock`: `CLOCK_MONOTONIC`, the one clock the drivers read. → nothing.
/// - `StackdLearning`: meta-learner maths (logistic regression, MLP, L-BFGS, metrics, calibration,
///   diversity, the oos-daily reader). → StackdCore, COpenBLAS.
/// - `StackdXGBoost`: the gradient-boosted tree learner through libxgboost's C API. → CXGBoost.
/// - `StackdStorage`: the checksummed, LZ4-compressed segment log (durable window, journal). →
///   CLZ4, CStackdCRC32C.
/// - `StackdTraining`: the training protocol (splits, learners, selection, promotion, artifacts)
///   and what one retrain returns (`TrainingResult`, `TrainingSummary`, `TrainingFunction`: live,
///   replay, the journal and the report all carry it, so it sits below them). → StackdCore,
///   StackdLearning, StackdXGBoost, StackdStorage.
/// - `StackdZMQ`: the ZeroMQ context/socket/message wrapper and the socket factory. → CZeroMQ.
/// - `StackdSystemd`: sd_notify and the watchdog pacer: what libsystemd offers. → CSystemd,
///   StackdClock.
/// - `StackdSignals`: signal delivery (SIGHUP, SIGTERM, SIGUSR1, … as requests the run loop
///   polls), which every long-running command needs with or without systemd. → nothing.
/// - `StackdJournal`: the journal of received messages (format, manifest, control records,
///   writer, reader, the background recorder the live loop feeds). → StackdCore, StackdClock,
///   StackdZMQ, StackdStorage, StackdTraining. Capturing sockets into a journal (`stackd record`,
///   `JournalCapture`) stays in StackdDaemon: it is a socket driver like live and needs the
///   daemon's CURVE security and endpoint checks.
/// - `StackdReport`: the backtest report (backtest.json, HTML, SVG charts, paired comparisons,
///   held-out evaluation, labelled matrices, the replay outputs file) from a `ReplayResult`. The
///   result type is defined here, not with the replay driver, so the report does not depend on
///   the driver (`ReplayRunner.Result` is an alias of it). → StackdCore, StackdLearning,
///   StackdTraining.
/// - `StackdDaemon`: the live composition (`stackd run`, `LiveRunner`, `DaemonService`) and what
///   it shares with the other drivers: configuration, security, durable state and model store,
///   training worker, the oos-daily stream, demo, record, sharding, metrics. → StackdCore,
///   StackdClock, StackdZMQ, StackdSystemd, StackdSignals, StackdLearning, StackdStorage,
///   StackdTraining, StackdJournal, Logging, TOMLKit, Histogram.
/// - `StackdReplay`: the replay driver (`ReplayRunner`, journal control records, stream
///   encoding, pacing, `--publish`). → StackdDaemon, StackdCore, StackdClock, StackdZMQ,
///   StackdJournal, StackdReport, StackdTraining, Logging. It depends on StackdDaemon for
///   `DaemonConfiguration` (the pipeline, retrain and learner settings a replay must share with
///   live), the oos-daily stream and the socket security of `--publish`; moving those into a
///   configuration module would drag the security, metrics-address and sharding checks the
///   loader runs with them, so the daemon stays below the replay driver instead. The daemon
///   never imports StackdReplay: live and replay stay independent.
/// - `stackd`: the command-line executable. → StackdDaemon, StackdReplay, StackdReport,
///   StackdJournal, StackdCore, StackdTraining, StackdLearning, StackdStorage, StackdSignals,
///   StackdXGBoost, StackdZMQ, ArgumentParser, Logging.
/// - `StackdTestSupport` (tests only, not a product): the seeded generator's extras, the output
///   recorder, the shared-data locator, the child-process helpers. → StackdCore.
///
/// Access: `public` is the API of the library products; a declaration that only other stackd
/// modules (the executable and the tests included) use is `package`, and what one module alone
/// uses is internal. StackdDaemon's public API is what the bench package (bench/Package.swift, a
/// separate package that `package` access does not reach) and StackdReplay's public signatures
/// need (ARCHITECTURE.md, "Access").
let package = Package(
    name: "stackd",
    products: [
        .executable(name: "stackd", targets: ["stackd"]),
        .library(name: "StackdCore", targets: ["StackdCore"]),
        .library(name: "StackdZMQ", targets: ["StackdZMQ"]),
        .library(name: "StackdDaemon", targets: ["StackdDaemon"]),
        .library(name: "StackdLearning", targets: ["StackdLearning"]),
        .library(name: "StackdXGBoost", targets: ["StackdXGBoost"]),
        .library(name: "StackdStorage", targets: ["StackdStorage"]),
        .library(name: "StackdTraining", targets: ["StackdTraining"]),
        .library(name: "StackdJournal", targets: ["StackdJournal"]),
        .library(name: "StackdReport", targets: ["StackdReport"]),
        .library(name: "StackdReplay", targets: ["StackdReplay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        .target(
            name: "StackdCore",
            // The core's state lives in a few class properties touched once per message; dynamic
            // exclusivity checks on them cost ~3 % of ingest (bench/RESULTS.md). Debug builds keep
            // the checks, so the tests still enforce exclusivity.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(name: "StackdLearning", dependencies: ["StackdCore", "COpenBLAS"]),
        .target(name: "StackdXGBoost", dependencies: ["CXGBoost"]),
        .target(name: "StackdTraining", dependencies: ["StackdCore", "StackdLearning", "StackdXGBoost", "StackdStorage"]),
        .target(name: "StackdZMQ", dependencies: ["CZeroMQ"]),
        .target(name: "StackdClock"),
        .target(name: "StackdSystemd", dependencies: ["CSystemd", "StackdClock"]),
        .target(name: "StackdSignals"),
        // The SSE4.2 CRC32 instruction for the journal's checksums (a portable fallback stays in Swift).
        .target(name: "CStackdCRC32C"),
        .target(name: "StackdStorage", dependencies: ["CLZ4", "CStackdCRC32C"]),
        .target(name: "StackdJournal", dependencies: ["StackdCore", "StackdClock", "StackdZMQ", "StackdStorage", "StackdTraining"]),
        .target(name: "StackdReport", dependencies: ["StackdCore", "StackdLearning", "StackdTraining"]),
        .target(
            name: "StackdDaemon",
            dependencies: [
                "StackdCore", "StackdClock", "StackdZMQ", "StackdSystemd", "StackdSignals", "StackdLearning", "StackdStorage",
                "StackdTraining", "StackdJournal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .target(
            name: "StackdReplay",
            dependencies: [
                "StackdDaemon", "StackdCore", "StackdClock", "StackdZMQ", "StackdJournal", "StackdReport", "StackdTraining",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "stackd",
            dependencies: [
                "StackdDaemon", "StackdCore", "StackdTraining", "StackdLearning", "StackdStorage", "StackdSignals",
                "StackdXGBoost", "StackdZMQ", "StackdJournal", "StackdReport", "StackdReplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Test-only library: the seeded generator's extras, the output recorder, the shared-data
        // locator and the child-process helpers every test target uses (not a product).
        .target(name: "StackdTestSupport", dependencies: ["StackdCore"], path: "Tests/StackdTestSupport"),

        .testTarget(name: "StackdCoreTests", dependencies: ["StackdCore", "StackdTestSupport"]),
        .testTarget(name: "StackdLearningTests", dependencies: ["StackdLearning", "StackdCore", "StackdTestSupport"]),
        .testTarget(name: "StackdXGBoostTests", dependencies: ["StackdXGBoost", "StackdTestSupport"]),
        .testTarget(name: "StackdTrainingTests", dependencies: ["StackdTraining", "StackdLearning", "StackdCore", "StackdTestSupport"]),
        .testTarget(name: "StackdZMQTests", dependencies: ["StackdZMQ"]),
        .testTarget(name: "StackdSystemdTests", dependencies: ["StackdSystemd", "StackdClock", "StackdTestSupport"]),
        .testTarget(name: "StackdSignalsTests", dependencies: ["StackdSignals"]),
        .testTarget(name: "StackdStorageTests", dependencies: ["StackdStorage", "StackdCore"]),
        .testTarget(name: "StackdJournalTests", dependencies: ["StackdJournal", "StackdStorage"]),
        .testTarget(
            name: "StackdReplayTests",
            dependencies: [
                "StackdReplay", "StackdDaemon", "StackdCore", "StackdLearning", "StackdTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "StackdDaemonTests",
            dependencies: [
                "StackdDaemon", "StackdCore", "StackdClock", "StackdZMQ", "StackdLearning", "StackdStorage",
                "StackdSystemd", "StackdTraining", "StackdJournal", "StackdReport", "StackdReplay", "StackdTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            // The pyzmq peers the live tests start as child processes (run from the checkout).
            exclude: ["Clients"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
