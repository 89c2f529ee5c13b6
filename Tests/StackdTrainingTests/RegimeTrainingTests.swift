import Foundation
import StackdCore
import StackdLearning
import StackdTestSupport
@testable import StackdTraining
import XCTest

/// `stackd train` with `regimes.csv`: the regime columns are no longer parsed and ignored; every
/// extended candidate is also fitted on the reference's ext+regime set (F = 35 for 4 models), and
/// with the reference's choices that candidate reproduces `reference_results.json`'s
/// "LR meta (ext+regime, F=35)" on the real OOS stream.
final class RegimeTrainingTests: XCTestCase {
    func testRegimeCandidatesAreAddedOnlyWhenTheLayoutHasRegimes() {
        let base = TrainingConfiguration(candidates: [.logistic(.extended), .xgboost(.extended), .logistic(.basic)])
        let plain = StackingFeatureLayout(models: ["a", "b"])
        XCTAssertEqual(base.addingRegimeCandidates(for: plain).candidates, base.candidates)
        let withRegimes = StackingFeatureLayout(models: ["a", "b"], includesRegimes: true)
        XCTAssertEqual(base.addingRegimeCandidates(for: withRegimes).candidates,
                       [.logistic(.extended), .xgboost(.extended), .logistic(.basic), .logistic(.extendedRegime), .xgboost(.extendedRegime)])
        XCTAssertEqual(MetaFeatureSet.extendedRegime.columnCount(withRegimes), 2 * 3 + 4 * 2 + 5 + 2)
        let custom = StackingFeatureLayout(models: ["a", "b"], regimeNames: ["vol_regime", "trend_regime", "liquidity"])
        XCTAssertEqual(MetaFeatureSet.extendedRegime.columnCount(custom), 2 * 3 + 4 * 2 + 5 + 3)
        XCTAssertEqual(MetaFeatureSet.extendedRegime.names(custom).suffix(3), ["vol_regime", "trend_regime", "liquidity"])
    }

    func testLayoutsWrittenBeforeRegimeNamesDecodeToTheReferenceRegimes() throws {
        let old = #"{"models":["a","b"],"classCount":3,"includesRegimes":true,"skillWindow":0}"#
        let layout = try JSONDecoder().decode(StackingFeatureLayout.self, from: Data(old.utf8))
        XCTAssertEqual(layout.regimeNames, ["vol_regime", "trend_regime"])
        let custom = StackingFeatureLayout(models: ["a"], regimeNames: ["liquidity"])
        XCTAssertEqual(try JSONDecoder().decode(StackingFeatureLayout.self, from: JSONEncoder().encode(custom)), custom)
    }

    func testTrainWithRegimesReproducesTheReferenceExtRegimeLogistic() throws {
        let rows = try SharedData.rows(horizon: 5, regimes: true)
        XCTAssertEqual(rows.layout.count, 35)
        // The feature names are the reference's ext+regime header (golden/features_ext_h5.csv).
        let header = try SharedData.text("reference/golden/features_ext_h5.csv").prefix { $0 != "\n" }
            .split(separator: ",").dropFirst(2).map(String.init)
        XCTAssertEqual(MetaFeatureSet.extendedRegime.names(rows.layout), header)
        let config = TrainingConfiguration(
            trainFraction: 0.8, metric: .logLoss, candidates: [.logistic(.extended)],
            regularisation: .fixed(LearnerHyperparameters(logisticC: 1, treeDepth: 3, treeEstimators: 100)),
            applyEnsembleMethodRule: false).addingRegimeCandidates(for: rows.layout)
        XCTAssertEqual(config.candidates, [.logistic(.extended), .logistic(.extendedRegime)])
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: config)
        let r = try SharedData.referenceMetrics(horizon: 5, method: "LR meta (ext+regime, F=35)")
        let m = metricValues(try XCTUnwrap(outcome.score("LR meta (ext+regime, F=35)"), "no ext+regime candidate").validation)
        for k in ["f1_macro", "accuracy", "log_loss", "sharpe", "frac_short", "frac_long"] {
            XCTAssertEqual(m[k]!, r[k]!, accuracy: 5e-5, "h=5 LR ext+regime \(k)")
        }
        for k in ["ece_short", "ece_neutral", "ece_long"] {
            XCTAssertEqual(m[k]!, r[k]!, accuracy: 1e-3, "h=5 LR ext+regime \(k) (bin edges)")
        }
    }

    /// The command: with `regimes.csv` in the folder the table has the ext+regime candidates; the
    /// same folder without it has none (the file, not a flag, decides).
    func testTrainCommandFitsExtRegimeCandidatesOnlyWithRegimesCSV() throws {
        let bin = try XCTUnwrap(TrainCommandTests.binary(), "stackd executable not built (run swift build first)")
        let source = try SharedData.requireRoot().appendingPathComponent("data/oos-daily")
        let scratch = NSTemporaryDirectory() + "stackd-regime-train-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let data = scratch + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for file in ["preds_h5.csv", "labels_h5.csv", "regimes.csv"] {
            try FileManager.default.copyItem(atPath: source.appendingPathComponent(file).path, toPath: "\(data)/\(file)")
        }
        func train(_ out: String) throws -> String {
            let r = try CapturedRun.run(bin, ["train", data, "--out", out, "--quiet"])
            XCTAssertEqual(r.status, 0, r.output)
            return r.output
        }
        let with = try train(scratch + "/with")
        for method in ["LR meta (ext, F=33)", "XGB meta (ext, F=33)", "LR meta (ext+regime, F=35)", "XGB meta (ext+regime, F=35)"] {
            XCTAssertTrue(with.contains(method), "output lacks \(method):\n\(with)")
        }
        let importance = try String(contentsOfFile: scratch + "/with/h5/feature_importance.json", encoding: .utf8)
        for word in ["\"extended_regime\"", "\"vol_regime\"", "\"trend_regime\""] {
            XCTAssertTrue(importance.contains(word), "feature_importance.json lacks \(word)")
        }
        try FileManager.default.removeItem(atPath: "\(data)/regimes.csv")
        let without = try train(scratch + "/without")
        XCTAssertTrue(without.contains("LR meta (ext, F=33)"))
        XCTAssertFalse(without.contains("ext+regime"), without)
    }
}

/// Runs a child to completion with a bounded wait, output and error merged.
enum CapturedRun {
    static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 300) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-run-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        p.standardOutput = handle
        p.standardError = handle
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            _ = done.wait(timeout: .now() + 10)
            XCTFail("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) ran past \(timeout) s")
        }
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }
}
