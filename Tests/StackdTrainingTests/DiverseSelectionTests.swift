import Foundation
import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// `learner.diverse_selection` (`TrainingConfiguration.diverseSelection`): the greedy selection on
/// meta-train rows decides which base models the learners see, the fit equals a fit on the kept
/// models' columns alone, prediction uses the same selection, and the artifact records it.
final class DiverseSelectionTests: XCTestCase {
    /// a and b are equally skilled with independent noise; c is b blurred slightly towards
    /// uniform (a near copy, a little worse). The average of a and b beats b alone, and adding c
    /// then over-weights b's errors: greedy selection keeps a and b and drops c.
    static func nearCopyRows(n: Int = 1_500, horizon: Int = 5) -> TrainingRows {
        var rng = SplitMix64(seed: 7)
        func u() -> Double { rng.uniform() }
        let models = ["a", "b", "c"]
        let layout = StackingFeatureLayout(models: models, classCount: 3)
        var base: [Double] = [], labels: [Int] = [], fwd: [Double] = [], ts: [Int64] = [], exits: [Int64] = []
        for i in 0..<n {
            let y = Int(u() * 3)
            labels.append(y); fwd.append((Double(y) - 1) * 0.01)
            ts.append(Int64(i) * 86_400_000_000_000); exits.append(Int64(i + horizon) * 86_400_000_000_000)
            var b: [Double] = []
            for m in 0..<2 {
                var p = (0..<3).map { c in u() + (c == y ? 0.5 : 0) }
                let s = p.reduce(0, +); p = p.map { $0 / s }
                base += p
                if m == 1 { b = p }
            }
            base += b.map { 0.97 * $0 + 0.01 }
        }
        var features = Matrix(rows: n, cols: layout.count)
        features.withUnsafeMutableStorage { out in
            base.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    StackingFeatures.compute(probabilities: UnsafeBufferPointer(rebasing: p[(i * 9)..<((i + 1) * 9)]), modelCount: 3,
                                             classCount: 3, presentMask: 0b111, regimes: nil,
                                             into: UnsafeMutableBufferPointer(rebasing: out[(i * layout.count)..<((i + 1) * layout.count)]))
                }
            }
        }
        return TrainingRows(horizon: horizon, models: models, classCount: 3, eventTimes: ts, exitTimes: exits,
                            symbolIDs: [Int](repeating: 0, count: n), symbols: ["S"], labels: labels, forwardReturns: fwd,
                            basePredictions: Matrix(rows: n, cols: 9, storage: base), features: features, layout: layout)
    }

    static func configuration(diverse: Bool, c: Double = 0.5) -> TrainingConfiguration {
        var config = TrainingConfiguration(candidates: [.logistic(.basic)],
                                           regularisation: .fixed(LearnerHyperparameters(logisticC: c, treeDepth: 2, treeEstimators: 20)),
                                           applyEnsembleMethodRule: false)
        config.diverseSelection = diverse
        return config
    }

    func testANearCopyIsDroppedAndTheFitEqualsALogisticFitOnTheKeptModels() throws {
        let rows = Self.nearCopyRows()
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: Self.configuration(diverse: true))
        let applied = try XCTUnwrap(outcome.appliedSelection)
        XCTAssertEqual(applied.selectedModels, ["a", "b"])
        XCTAssertEqual(applied.selection.stopReason, "no improvement")
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        XCTAssertEqual(applied.rows, split.train.count)
        let fitted = try XCTUnwrap(outcome.candidates.first?.combiner as? ModelSelectionCombiner)
        XCTAssertEqual(fitted.selection.selected, ["a", "b"])

        // Independent: a logistic fit (same C) on the six columns of a and b over the meta-train rows.
        let train = rows.subset(split.train), valid = rows.subset(split.test)
        let kept = Array(0..<6)
        let reference = try MultinomialLogisticRegression.fit(X: train.features.selectingColumns(kept), y: train.labels, classes: 3, C: 0.5)
        let expected = reference.predictProbabilities(valid.features.selectingColumns(kept))
        let served = try fitted.predictProbabilities(features: valid.features)
        for i in 0..<valid.count { for c in 0..<3 { XCTAssertEqual(served[i, c], expected[i, c], accuracy: 1e-5) } }
        // The dropped model's columns carry no weight and its values do not move the output.
        let inner = try XCTUnwrap(fitted.inner as? LogisticCombiner)
        for c in 0..<3 { for j in 6..<9 { XCTAssertEqual(inner.model.weights[c * 9 + j], 0, accuracy: 1e-9) } }
        var scrambled = valid.features
        for i in 0..<valid.count { for j in 6..<9 { scrambled[i, j] = 0.9 } }
        XCTAssertEqual(try fitted.predictProbabilities(features: scrambled), served)
        // The live kernel matches the batch prediction.
        var out = [Double](repeating: 0, count: 3)
        for i in [0, 17, valid.count - 1] {
            let f = valid.features.row(i), b = valid.basePredictions.row(i)
            b.withUnsafeBufferPointer { bp in f.withUnsafeBufferPointer { fp in out.withUnsafeMutableBufferPointer { o in
                fitted.combine(basePredictions: bp, features: fp, presentMask: 0b111, into: o)
            } } }
            for c in 0..<3 { XCTAssertEqual(out[c], served[i, c], accuracy: 1e-12) }
        }
        // Off: every model is seen and nothing is recorded.
        let off = try MetaTrainer.train(rows: rows, horizon: 5, configuration: Self.configuration(diverse: false))
        XCTAssertNil(off.appliedSelection)
        XCTAssertFalse(off.candidates.first?.combiner is ModelSelectionCombiner)
    }

    func testTheArtifactRecordsTheSelectionAndReloadsIt() throws {
        let rows = Self.nearCopyRows()
        var outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: Self.configuration(diverse: true))
        outcome.chosen = try XCTUnwrap(outcome.candidates.first).combiner
        outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: 0.8)?.applied(outcome.appliedSelection)
        let dir = NSTemporaryDirectory() + "stackd-selection-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ArtifactWriter.write(outcome, to: dir)
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/h5/meta_config.json"))) as? [String: Any])
        XCTAssertEqual(config["selected_models"] as? [String], ["a", "b"])
        let diversity = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/h5/diversity_analysis.json"))) as? [String: Any])
        XCTAssertEqual(diversity["selection_applied"] as? Bool, true)
        XCTAssertEqual((diversity["applied_selection"] as? [String: Any])?["selected_models"] as? [String], ["a", "b"])
        let loaded = try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)
        XCTAssertEqual(loaded.config.selectedModels, ["a", "b"])
        let reloaded = try XCTUnwrap(loaded.combiner as? ModelSelectionCombiner)
        let sample = rows.subset(Array(0..<100))
        XCTAssertEqual(try reloaded.predictProbabilities(features: sample.features),
                       try (outcome.chosen as! any FittedMetaLearner).predictProbabilities(features: sample.features))

        // A selection naming a model outside the layout is refused with the file named.
        var bad = config
        bad["selected_models"] = ["a", "z"]
        try JSONSerialization.data(withJSONObject: bad).write(to: URL(fileURLWithPath: dir + "/h5/meta_config.json"))
        XCTAssertThrowsError(try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)) { error in
            XCTAssertTrue("\(error)".contains("selected_models"), "\(error)")
        }
    }

    /// Named like the other sample writers so `tests/python/test_artifact_schemas.py` validates
    /// `selected/h5/` (meta_config.json with `selected_models`, diversity_analysis.json applied).
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        let rows = Self.nearCopyRows()
        var outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: Self.configuration(diverse: true))
        outcome.chosen = try XCTUnwrap(outcome.candidates.first).combiner
        outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: 0.8)?.applied(outcome.appliedSelection)
        try ArtifactWriter.write(outcome, to: dir + "/selected")
        try ArtifactWriter.writeSummary([outcome], to: dir + "/selected")
    }
}
