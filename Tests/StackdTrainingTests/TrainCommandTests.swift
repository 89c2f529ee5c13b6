import Foundation
import StackdCore
import StackdTestSupport
@testable import StackdTraining
import XCTest

/// `stackd train` end to end: the built binary on the shared stream, one horizon.
final class TrainCommandTests: XCTestCase {
    /// The executable sits next to the test bundle in the build directory.
    static func binary() -> URL? {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("stackd"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stackd"),
            Repository.stackdBinary,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    func testTrainWritesEveryArtifactForOneHorizon() throws {
        _ = try SharedData.requireRoot()
        let bin = try XCTUnwrap(Self.binary(), "stackd executable not built (run swift build first)")
        let out = NSTemporaryDirectory() + "stackd-train-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = bin
        p.arguments = ["train", "--data", SharedData.oosDaily.path, "--out", out, "--horizons", "15", "--metric", "log_loss", "--quiet"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, output)
        for f in [ArtifactSchema.model, ArtifactSchema.metaConfig, ArtifactSchema.featureImportance,
                  ArtifactSchema.modelWeights, ArtifactSchema.trainingMetrics] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/h15/\(f)"), "missing h15/\(f)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(ArtifactSchema.ensembleSummary)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/\(ArtifactSchema.diversityAnalysis)"), "training does not write the diversity report")
        for header in ["f1_macro", "accuracy", "log_loss", "brier", "sharpe", "ic", "win_rate", "ece_short", "ece_neutral", "ece_long",
                       "LR meta (ext, F=33)", "XGB meta (ext, F=33)", "simple average", "best single (logreg)", "class prior", "always long",
                       "decision (log_loss):"] {
            XCTAssertTrue(output.contains(header), "output lacks '\(header)'")
        }
        // What was written loads back for the layout the data implies, and the summary agrees.
        let summary = try ArtifactLoader.loadSummary(root: out)
        XCTAssertEqual(summary.horizons.map(\.horizon), [15])
        XCTAssertNil(summary.diversity)
        let layout = StackingFeatureLayout(models: summary.models, classCount: 3, includesRegimes: true)
        let loaded = try ArtifactLoader.load(root: out, horizon: 15, layout: layout)
        XCTAssertEqual(loaded.config.decision.chosen, summary.horizons[0].chosen)
        XCTAssertEqual(loaded.combiner.method.name, summary.horizons[0].method)
        print("[train] h15 decision: \(loaded.config.decision.chosen.rawValue) — \(loaded.config.decision.reason)")
    }

    func testBadArgumentsAreRefused() throws {
        let bin = try XCTUnwrap(Self.binary(), "stackd executable not built")
        let p = Process()
        p.executableURL = bin
        p.arguments = ["train", "--data", "/nonexistent", "--out", NSTemporaryDirectory(), "--metric", "auc"]
        p.standardOutput = Pipe()
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains("unknown metric 'auc'"), text)
    }
}
