import Foundation
import StackdCore
import StackdLearning
import StackdTestSupport
import XCTest
@testable import StackdTraining

/// `learner.mix_best_single` (`TrainingConfiguration.mixBestSingle`): each learner is also tried
/// mixed with the best single model, w·learner + (1 − w)·best single, w fitted on the validation
/// rows and judged cross-fitted over their two time halves; the served output is the mixture;
/// the artifact records it and reloads it.
final class BestSingleMixtureTests: XCTestCase {
    // MARK: the weight, against hand-computed optima

    func testTheWeightMinimisesTheMixtureLogLoss() {
        // Rows (a, b) = (0.8, 0.2), (0.2, 0.8), (0.8, 0.2): the slope
        // −2·0.6/(0.2 + 0.6w) + 0.6/(0.8 − 0.6w) vanishes at 1.6 − 1.2w = 0.2 + 0.6w, w = 7/9.
        XCTAssertEqual(BestSingleMixture.fitWeight(learner: [0.8, 0.2, 0.8], single: [0.2, 0.8, 0.2]), 7.0 / 9.0, accuracy: 1e-9)
        // Symmetric rows: w = 1/2.
        XCTAssertEqual(BestSingleMixture.fitWeight(learner: [0.8, 0.2], single: [0.2, 0.8]), 0.5, accuracy: 1e-9)
        // (0.6, 0.3), (0.1, 0.3) twice: the root 0.3·(0.3 − 0.2w) = 0.4·(0.3 + 0.3w) is at w = −1/6, so 0.
        XCTAssertEqual(BestSingleMixture.fitWeight(learner: [0.6, 0.1, 0.1], single: [0.3, 0.3, 0.3]), 0)
        // The learner never worse: 1. No rows: 0 (the single model alone).
        XCTAssertEqual(BestSingleMixture.fitWeight(learner: [0.9, 0.5], single: [0.3, 0.5]), 1)
        XCTAssertEqual(BestSingleMixture.fitWeight(learner: [], single: []), 0)
    }

    func testCrossFittingMixesEachHalfWithTheOtherHalfsWeight() throws {
        // Half 1 favours the learner on every row (w = 1 there), half 2 is symmetric (w = 1/2 there).
        let P = Matrix(rows: 4, cols: 2, storage: [0.9, 0.1, 0.9, 0.1, 0.8, 0.2, 0.2, 0.8])
        let S = Matrix(rows: 4, cols: 2, storage: [0.5, 0.5, 0.5, 0.5, 0.2, 0.8, 0.8, 0.2])
        let labels = [0, 0, 0, 0]
        let mix = try XCTUnwrap(BestSingleMixture.crossFitted(learner: P, single: S, labels: labels, minimumRows: 2))
        XCTAssertEqual(mix.weight, BestSingleMixture.fitWeight(learner: [0.9, 0.9, 0.8, 0.2], single: [0.5, 0.5, 0.2, 0.8]), accuracy: 1e-12)
        // Rows 0–1 use the second half's w = 1/2, rows 2–3 the first half's w = 1.
        XCTAssertEqual(mix.crossFitted[0, 0], 0.5 * 0.9 + 0.5 * 0.5, accuracy: 1e-9)
        XCTAssertEqual(mix.crossFitted[1, 1], 0.5 * 0.1 + 0.5 * 0.5, accuracy: 1e-9)
        XCTAssertEqual(mix.crossFitted[2, 0], 0.8, accuracy: 1e-9)
        XCTAssertEqual(mix.crossFitted[3, 1], 0.8, accuracy: 1e-9)
        XCTAssertNil(BestSingleMixture.crossFitted(learner: P, single: S, labels: labels, minimumRows: 3))
    }

    // MARK: the trainer and the served kernel

    /// The reference stream's horizon 20, where a learner and the best single model (`logreg`)
    /// trade places between time slices: the mixture has 0 < w < 1 on its validation rows.
    func trained() throws -> (TrainingRows, TrainingOutcome) {
        let rows = try SharedData.rows(horizon: 20, regimes: false)
        var config = TrainingConfiguration(candidates: [.logistic(.extended)],
                                           regularisation: .fixed(LearnerHyperparameters(logisticC: 1, treeDepth: 2, treeEstimators: 20)),
                                           applyEnsembleMethodRule: false)
        config.mixBestSingle = true
        return (rows, try MetaTrainer.train(rows: rows, horizon: 20, configuration: config))
    }

    func testTheGateJudgesTheCrossFittedMixtureAndTheKernelServesTheMixture() throws {
        let (rows, outcome) = try trained()
        let base = try XCTUnwrap(outcome.candidates.first { !($0.combiner is BestSingleMixtureCombiner) })
        let mixed = try XCTUnwrap(outcome.candidates.first { $0.combiner is BestSingleMixtureCombiner },
                                  "no mixture candidate: \(outcome.candidates.map(\.name))")
        let best = try XCTUnwrap(rows.models.firstIndex(of: outcome.bestSingleModel))
        XCTAssertEqual(mixed.name, base.name + " + best single (\(outcome.bestSingleModel)) mixture")
        let served = try XCTUnwrap(mixed.combiner as? BestSingleMixtureCombiner)
        XCTAssertEqual(served.model, best)

        // Independently: the learner's and the model's validation probabilities of each label,
        // the weight of each time half applied to the other.
        let split = ChronologicalSplit(timestamps: rows.eventTimes, exitTimestamps: rows.exitTimes, trainFraction: 0.8)
        XCTAssertEqual(outcome.validationRows, split.test.count)
        let valid = rows.subset(split.test)
        let P = try base.combiner.predictProbabilities(features: valid.features)
        func labelProbability(_ i: Int, single: Bool) -> Double {
            single ? valid.basePredictions[i, best * k + valid.labels[i]] : P[i, valid.labels[i]]
        }
        let n = valid.count, half = n / 2, k = rows.classCount
        func weight(_ r: Range<Int>) -> Double {
            BestSingleMixture.fitWeight(learner: r.map { labelProbability($0, single: false) }, single: r.map { labelProbability($0, single: true) })
        }
        let w1 = weight(0..<half), w2 = weight(half..<n)
        var loss = 0.0
        for i in 0..<n {
            let w = i < half ? w2 : w1
            loss -= log(w * labelProbability(i, single: false) + (1 - w) * labelProbability(i, single: true))
        }
        let judged = try XCTUnwrap(outcome.score(mixed.name))
        XCTAssertEqual(judged.validation.logLoss, loss / Double(n), accuracy: 1e-9)
        XCTAssertEqual(served.learnerWeight, weight(0..<n), accuracy: 1e-12)
        XCTAssertGreaterThan(served.learnerWeight, 0)
        XCTAssertLessThan(served.learnerWeight, 1)

        // The live kernel: the learner's own output, then the mixture, in place.
        let inner = try served.inner.predictProbabilities(features: valid.features)
        let batch = try served.predictProbabilities(features: valid.features)
        var out = [Double](repeating: 0, count: k)
        for i in [0, 7, n - 1] {
            let f = valid.features.row(i), bp = valid.basePredictions.row(i)
            bp.withUnsafeBufferPointer { bb in f.withUnsafeBufferPointer { ff in out.withUnsafeMutableBufferPointer { o in
                served.combine(basePredictions: bb, features: ff, presentMask: 0b1111, into: o)
            } } }
            for c in 0..<k {
                let expected = served.learnerWeight * inner[i, c] + (1 - served.learnerWeight) * bp[best * k + c]
                XCTAssertEqual(out[c], expected, accuracy: 1e-15)
                XCTAssertEqual(batch[i, c], expected, accuracy: 1e-15)
            }
        }
    }

    /// A logistic fit on synthetic rows, served mixed with model `c` (w = 0.3).
    func mixedOutcome() throws -> (TrainingRows, TrainingOutcome) {
        let rows = ArtifactTests.syntheticRows(n: 2_000)
        let config = TrainingConfiguration(candidates: [.logistic(.basic)],
                                           regularisation: .fixed(LearnerHyperparameters(logisticC: 0.3, treeDepth: 2, treeEstimators: 20)),
                                           applyEnsembleMethodRule: false)
        var outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: config)
        let fitted = try XCTUnwrap(outcome.candidates.first?.combiner)
        outcome.chosen = BestSingleMixtureCombiner(inner: fitted, learnerWeight: 0.3, model: 2)
        return (rows, outcome)
    }

    func testTheArtifactRecordsTheMixtureAndReloadsIt() throws {
        let (rows, outcome) = try mixedOutcome()
        let chosen = try XCTUnwrap(outcome.chosen as? BestSingleMixtureCombiner)
        let dir = NSTemporaryDirectory() + "stackd-mixture-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ArtifactWriter.write(outcome, to: dir)
        let loaded = try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)
        XCTAssertEqual(loaded.config.bestSingleMixture?.model, rows.models[chosen.model])
        XCTAssertEqual(loaded.config.bestSingleMixture?.learnerWeight, chosen.learnerWeight)
        let reloaded = try XCTUnwrap(loaded.combiner as? BestSingleMixtureCombiner)
        let sample = rows.subset(Array(0..<100))
        XCTAssertEqual(try reloaded.predictProbabilities(features: sample.features), try chosen.predictProbabilities(features: sample.features))

        // A weight outside [0, 1] or a model not in the layout is refused with the key named.
        let path = dir + "/h5/meta_config.json"
        let original = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        for broken: [String: Any] in [["model": "c", "learner_weight": 1.5, "fitted_rows": 10],
                                      ["model": "zz", "learner_weight": 0.5, "fitted_rows": 10]] {
            var bad = original
            bad["best_single_mixture"] = broken
            try JSONSerialization.data(withJSONObject: bad).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)) { error in
                XCTAssertTrue("\(error)".contains("best_single_mixture"), "\(error)")
            }
        }
    }

    /// Named like the other sample writers so `tests/python/test_artifact_schemas.py` validates
    /// `mixture/h5/meta_config.json` (with `best_single_mixture`).
    func testWriteSamplesForSchemaValidation() throws {
        guard let dir = ProcessInfo.processInfo.environment["STACKD_ARTIFACT_SAMPLES"] else {
            throw XCTSkip("set STACKD_ARTIFACT_SAMPLES to write sample artifacts")
        }
        let (_, outcome) = try mixedOutcome()
        try ArtifactWriter.write(outcome, to: dir + "/mixture")
        try ArtifactWriter.writeSummary([outcome], to: dir + "/mixture")
    }
}
