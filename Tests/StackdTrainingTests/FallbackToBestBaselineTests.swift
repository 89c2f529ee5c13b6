import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// The retrain gate when no candidate passes: the champion stays only while it beats every
/// baseline on the validation rows, and the fallback is the best baseline there — the best single
/// model included. And what a promoted candidate serves: the gated choice refitted on the whole
/// window.
final class FallbackToBestBaselineTests: XCTestCase {
    static let average = MetricScore(name: "simple average", value: 1.10)

    /// A champion that still beats averaging but loses to the best single model (or to the
    /// prior) on these rows is stale: it is not kept.
    func testAChampionThatLosesToAnyBaselineIsNotKept() {
        let champion = MetricScore(name: "champion v36", value: 1.06)
        let beatenBySingle = PromotionRule.decide(
            candidate: MetricScore(name: "LR", value: 1.12), averaging: Self.average,
            bestSingle: MetricScore(name: "best single (logreg)", value: 1.05), champion: champion, metric: .logLoss,
            classPrior: MetricScore(name: "class prior", value: 1.09))
        XCTAssertEqual(beatenBySingle.chosen, .averaging, beatenBySingle.reason)
        XCTAssertTrue(beatenBySingle.reason.contains("champion v36 no longer beats best single (logreg) (log_loss 1.0600 vs 1.0500)"),
                      beatenBySingle.reason)

        let beatenByPrior = PromotionRule.decide(
            candidate: MetricScore(name: "LR", value: 1.12), averaging: Self.average,
            bestSingle: MetricScore(name: "best single (logreg)", value: 1.08), champion: champion, metric: .logLoss,
            classPrior: MetricScore(name: "class prior", value: 1.06))
        XCTAssertEqual(beatenByPrior.chosen, .averaging, "a tie with the prior is not a win: \(beatenByPrior.reason)")
        XCTAssertTrue(beatenByPrior.reason.contains("champion v36 no longer beats class prior"), beatenByPrior.reason)

        let stillBest = PromotionRule.decide(
            candidate: MetricScore(name: "LR", value: 1.12), averaging: Self.average,
            bestSingle: MetricScore(name: "best single (logreg)", value: 1.08), champion: champion, metric: .logLoss,
            classPrior: MetricScore(name: "class prior", value: 1.07))
        XCTAssertEqual(stillBest.chosen, .champion, stillBest.reason)
        XCTAssertEqual(stillBest.chosenName, "champion v36")
    }

    /// One model is right 60 % sure on every row, the other is confidently random: serving the
    /// good model alone beats averaging, the prior and every blend of the two, so the fallback
    /// serves it alone (a one-hot fitted blend) and its vectors are exactly that model's.
    func testFallbackServesTheBestSingleModelWhenItIsTheBestBaseline() throws {
        let rows = Self.oneGoodModelRows(n: 3000)
        var configuration = TrainingConfiguration(metric: .logLoss)
        configuration.candidates = []
        configuration.modelVersion = 9
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration)
        XCTAssertEqual(outcome.bestSingleModel, "good")
        XCTAssertEqual(outcome.decision.chosen, .averaging)
        XCTAssertEqual(outcome.decision.chosenName, "best single (good)", outcome.decision.reason)
        XCTAssertTrue(outcome.decision.reason.contains("serving best single (good)"), outcome.decision.reason)
        let served = try XCTUnwrap(outcome.chosen as? FittedBlendCombiner, "served \(type(of: outcome.chosen))")
        XCTAssertEqual(served.modelWeights, [1, 0])
        XCTAssertEqual(served.priorWeight, 0)
        XCTAssertEqual(served.version, 9)
        // Independent truth: the served vector of every row is the good model's [0.2, 0.6, 0.2] rotated to the label.
        let p = MetaTrainer.evaluate(served, on: rows)
        for i in 0..<rows.count {
            for c in 0..<3 { XCTAssertEqual(p[i, c], c == rows.labels[i] ? 0.6 : 0.2, accuracy: 1e-15) }
        }

        // It is written and loaded back as a blend model with the one-hot weights.
        let dir = NSTemporaryDirectory() + "best-single-fallback-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ArtifactWriter.write(outcome, to: dir)
        let loaded = try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)
        XCTAssertEqual(loaded.config.modelFormat, .blend)
        XCTAssertEqual(try XCTUnwrap(loaded.combiner as? FittedBlendCombiner).modelWeights, [1, 0])
    }

    /// The h20 failure: a champion that beats averaging (it leans on the good model) but loses to
    /// the good model alone used to be kept for years; now the trainer falls back to the best
    /// baseline, the good model.
    func testAStaleChampionGivesWayToTheBestSingleModel() throws {
        let rows = Self.oneGoodModelRows(n: 3000)
        let lean = FittedBlendCombiner(modelWeights: [0.7, 0.3], priorWeight: 0, prior: [1.0 / 3, 1.0 / 3, 1.0 / 3], layout: rows.layout,
                                       version: 36, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "test"))
        var configuration = TrainingConfiguration(metric: .logLoss)
        configuration.candidates = []
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration,
                                            champion: Champion(name: "champion v36", combiner: lean))
        let champion = try XCTUnwrap(outcome.score("champion v36")).validation.logLoss
        let average = try XCTUnwrap(outcome.score(MetaTrainer.averagingName)).validation.logLoss
        let single = try XCTUnwrap(outcome.score("best single (good)")).validation.logLoss
        XCTAssertLessThan(champion, average, "the premise: the champion beats averaging")
        XCTAssertLessThan(single, champion, "the premise: the good model alone beats the champion")
        XCTAssertEqual(outcome.decision.chosen, .averaging, outcome.decision.reason)
        XCTAssertEqual(outcome.decision.chosenName, "best single (good)", outcome.decision.reason)
        XCTAssertTrue(outcome.decision.reason.contains("champion v36 no longer beats best single (good)"), outcome.decision.reason)
    }

    /// A champion that already serves the best single model alone ties it on every row, so the
    /// gate's fallback is the same predictor: it is kept, not installed again under a new version.
    func testAChampionServingTheBestSingleModelIsKeptAsItsFallback() throws {
        let rows = Self.oneGoodModelRows(n: 3000)
        let goodAlone = FittedBlendCombiner(modelWeights: [1, 0], priorWeight: 0, prior: [1.0 / 3, 1.0 / 3, 1.0 / 3], layout: rows.layout,
                                            version: 12, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "test"))
        var configuration = TrainingConfiguration(metric: .logLoss)
        configuration.candidates = []
        configuration.modelVersion = 13
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration,
                                            champion: Champion(name: "champion v12", combiner: goodAlone))
        XCTAssertEqual(outcome.decision.chosen, .champion, outcome.decision.reason)
        XCTAssertEqual(outcome.decision.chosenName, "champion v12")
        XCTAssertTrue(outcome.decision.reason.contains("champion v12 already serves it: kept"), outcome.decision.reason)
        XCTAssertEqual(outcome.chosen.version, 12)

        // A champion on the other model alone is not the fallback: the good model replaces it.
        let badAlone = FittedBlendCombiner(modelWeights: [0, 1], priorWeight: 0, prior: [1.0 / 3, 1.0 / 3, 1.0 / 3], layout: rows.layout,
                                           version: 12, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "test"))
        let replaced = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration,
                                             champion: Champion(name: "champion v12", combiner: badAlone))
        XCTAssertEqual(replaced.decision.chosen, .averaging, replaced.decision.reason)
        XCTAssertEqual(replaced.decision.chosenName, "best single (good)")
    }

    /// The promoted candidate is judged as fitted on meta-train, but served refitted on every row
    /// of the window: its predictions equal a fit of the same C on all rows (independent fit with
    /// the solver directly) and differ from the gated model's.
    func testThePromotedCandidateIsServedRefittedOnTheWholeWindow() throws {
        let rows = ArtifactTests.syntheticRows(n: 3000)
        var fixed = LearnerHyperparameters.forSampleSize(rows.count)
        fixed.logisticC = 0.5
        var configuration = TrainingConfiguration(metric: .logLoss, candidates: [.logistic(.basic)], regularisation: .fixed(fixed))
        configuration.calibrate = false
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration)
        XCTAssertEqual(outcome.decision.chosen, .candidate, outcome.decision.reason)
        XCTAssertTrue(outcome.decision.reason.contains("served refitted on all 3000 window rows"), outcome.decision.reason)
        let served = try XCTUnwrap(outcome.chosen as? LogisticCombiner)
        let gated = try XCTUnwrap(outcome.candidates.first?.combiner as? LogisticCombiner)
        XCTAssertTrue(outcome.chosenCandidate?.combiner === served, "the outcome's chosen candidate is what is served")

        let basic = rows.features.selectingColumns(Array(0..<MetaFeatureSet.basic.columnCount(rows.layout)))
        let onAllRows = try MultinomialLogisticRegression.fit(X: basic, y: rows.labels, classes: 3, C: 0.5)
        let want = onAllRows.predictProbabilities(basic)
        let got = MetaTrainer.evaluate(served, on: rows), before = MetaTrainer.evaluate(gated, on: rows)
        var largestGap = 0.0, largestDifferenceFromGated = 0.0
        for i in 0..<rows.count {
            for c in 0..<3 {
                largestGap = max(largestGap, abs(got[i, c] - want[i, c]))
                largestDifferenceFromGated = max(largestDifferenceFromGated, abs(got[i, c] - before[i, c]))
            }
        }
        XCTAssertLessThan(largestGap, 1e-9, "served = the fit on all rows")
        XCTAssertGreaterThan(largestDifferenceFromGated, 1e-4, "served ≠ the gated fit on meta-train only")
        // The gate's evidence stays that of the model fitted without the validation rows.
        let judged = try XCTUnwrap(outcome.score(outcome.decision.chosenName)).validation.logLoss
        let validation = rows.subset(Array((rows.count - outcome.validationRows)..<rows.count))
        XCTAssertEqual(judged, Metrics.logLoss(probabilities: MetaTrainer.evaluate(gated, on: validation), labels: validation.labels),
                       accuracy: 1e-12)
    }

    /// Model "good" puts 0.6 on the label and 0.2 elsewhere; model "noise" puts 0.8 on a
    /// pseudo-random class. Labels cycle 0, 1, 2, 2.
    static func oneGoodModelRows(n: Int) -> TrainingRows {
        let models = ["good", "noise"], k = 3
        let layout = StackingFeatureLayout(models: models, classCount: k, includesRegimes: false)
        var base = Matrix(rows: n, cols: 6), features = Matrix(rows: n, cols: layout.count)
        var labels: [Int] = []
        var state: UInt64 = 7
        for i in 0..<n {
            let y = [0, 1, 2, 2][i % 4]
            labels.append(y)
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noisy = Int((state >> 33) % 3)
            for c in 0..<k {
                base[i, c] = c == y ? 0.6 : 0.2
                base[i, 3 + c] = c == noisy ? 0.8 : 0.1
            }
            let row = base.row(i)
            row.withUnsafeBufferPointer { p in
                features.withUnsafeMutableStorage { out in
                    StackingFeatures.compute(probabilities: p, modelCount: 2, classCount: k, presentMask: 0b11,
                                             into: UnsafeMutableBufferPointer(rebasing: out[(i * layout.count)..<((i + 1) * layout.count)]))
                }
            }
        }
        let day: Int64 = 86_400_000_000_000
        return TrainingRows(horizon: 5, models: models, classCount: k, eventTimes: (0..<n).map { Int64($0) * day },
                            exitTimes: (0..<n).map { Int64($0 + 5) * day }, symbolIDs: [Int](repeating: 0, count: n), symbols: ["S"],
                            labels: labels, forwardReturns: (0..<n).map { _ in 0.001 }, basePredictions: base, features: features,
                            layout: layout)
    }
}
