import StackdLearning
import StackdTestSupport
@testable import StackdTraining
import XCTest

/// The full training protocol, run with the reference's choices, reproduces
/// `../shared/reference/reference_results.json` on the real OOS stream.
final class ReferenceProtocolTests: XCTestCase {
    func testReferenceChoicesReproduceReferenceTestMetrics() throws {
        let config = TrainingConfiguration(
            trainFraction: 0.8, metric: .logLoss, candidates: [.logistic(.extended), .xgboost(.extended)],
            regularisation: .fixed(LearnerHyperparameters(logisticC: 1, treeDepth: 3, treeEstimators: 100)),
            applyEnsembleMethodRule: false)
        let keys = ["f1_macro", "accuracy", "log_loss", "sharpe", "ece_short", "ece_neutral", "ece_long", "frac_short", "frac_long"]
        for h in [5, 10, 15, 20] {
            let rows = try SharedData.rows(horizon: h)
            let outcome = try MetaTrainer.train(rows: rows, horizon: h, configuration: config)
            XCTAssertTrue(outcome.comparison.allSatisfy { $0.validation.rows == outcome.validationRows }, "h=\(h): same rows for every method")
            // stackd picks the best single model by the promotion metric (log-loss here) on meta-train;
            // the reference by macro-F1. Its validation numbers are that model's own reference row.
            XCTAssertEqual(outcome.bestSingleModel, try Self.lowestMetaTrainLogLoss(rows), "h=\(h)")
            for (mine, ref) in [("LR meta (ext, F=33)", "LR meta (ext, F=33)"), ("simple average", "simple average"),
                                ("best single (\(outcome.bestSingleModel))", "single:\(outcome.bestSingleModel)")] {
                let r = try SharedData.referenceMetrics(horizon: h, method: ref)
                let m = metricValues(try XCTUnwrap(outcome.score(mine)).validation)
                var line = "[protocol] h=\(h) \(mine):"
                for k in keys {
                    // ECE is discontinuous in p (bin edges): for LR-ext a row 1e-5 from an edge can switch bins
                    // (see Tests/StackdLearningTests/ReferenceConformanceTests); 1e-3 there, 4 decimals elsewhere.
                    let tol = (mine.hasPrefix("LR") && k.hasPrefix("ece")) ? 1e-3 : 5e-5
                    XCTAssertEqual(m[k]!, r[k]!, accuracy: tol, "h=\(h) \(mine) \(k)")
                    line += " \(k) Δ=\(String(format: "%.1e", m[k]! - r[k]!))"
                }
                print(line)
            }
            // XGBoost: real libxgboost (1.7.4 here) with the reference parameters; the reference used
            // Python xgboost 3.2.0 with n_jobs=2, whose histogram/sampling details differ slightly.
            let xr = try SharedData.referenceMetrics(horizon: h, method: "XGB meta (ext, F=33)")
            let xm = try XCTUnwrap(outcome.score("XGB meta (ext, F=33)")).validation
            XCTAssertEqual(xm.logLoss, xr["log_loss"]!, accuracy: 0.01, "h=\(h) XGB log-loss")
            print("[protocol] h=\(h) XGB meta (ext): log_loss \(xm.logLoss) ref \(xr["log_loss"]!) Δ=\(xm.logLoss - xr["log_loss"]!) f1 \(xm.f1Macro) ref \(xr["f1_macro"]!)")
            print("[protocol] h=\(h) decision: \(outcome.decision.chosen.rawValue) — \(outcome.decision.reason)")
        }
    }

    /// Independently: the model with the lowest log-loss on the purged meta-train rows.
    static func lowestMetaTrainLogLoss(_ rows: TrainingRows) throws -> String {
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        var best = "", bestLoss = Double.infinity
        for (j, name) in rows.models.enumerated() {
            var s = 0.0
            for i in split.train { s -= log(max(rows.basePredictions[i, 3 * j + rows.labels[i]], 1e-15)) }
            if s / Double(split.train.count) < bestLoss { bestLoss = s / Double(split.train.count); best = name }
        }
        return best
    }
}
