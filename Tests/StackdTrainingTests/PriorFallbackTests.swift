import StackdCore
import StackdLearning
import XCTest
@testable import StackdTraining

/// The fallback when no learned model passes: the best of averaging, the class prior and their
/// blends on the validation rows, served by `PriorShrinkageCombiner` and stored as a
/// `stackd-prior-shrinkage` model.
final class PriorFallbackTests: XCTestCase {
    func testCombinerBlendsAveragingWithThePrior() {
        let c = PriorShrinkageCombiner(modelCount: 2, classCount: 3, averagingWeight: 0.25, prior: [0.2, 0.3, 0.5], version: 7)
        let base: [Double] = [0.6, 0.2, 0.2, 0.2, 0.2, 0.6]   // mean [0.4, 0.2, 0.4]
        var out = [Double](repeating: -1, count: 3)
        base.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                c.combine(basePredictions: b, features: UnsafeBufferPointer(start: nil, count: 0), presentMask: 0b11, into: o)
            }
        }
        // 0.25 · [0.4, 0.2, 0.4] + 0.75 · [0.2, 0.3, 0.5] = [0.25, 0.275, 0.475].
        for (got, want) in zip(out, [0.25, 0.275, 0.475]) { XCTAssertEqual(got, want, accuracy: 1e-15) }
        XCTAssertEqual(c.method, .weightedAverage)
        XCTAssertEqual(c.version, 7)
        // (n_c + 1) / (n + K): labels 0, 2, 2 → [2, 1, 3] / 6.
        XCTAssertEqual(PriorShrinkageCombiner.smoothedPrior(labels: [0, 2, 2], classCount: 3), [2.0 / 6, 1.0 / 6, 3.0 / 6])
        XCTAssertEqual(PriorShrinkageCombiner.smoothedPrior(labels: [], classCount: 3), [1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    func testThePriorIsPartOfThePromotionGate() {
        let d = PromotionRule.decide(candidate: MetricScore(name: "LR", value: 1.05), averaging: MetricScore(name: "simple average", value: 1.10),
                                     bestSingle: MetricScore(name: "best single (x)", value: 1.08), champion: nil, metric: .logLoss,
                                     classPrior: MetricScore(name: "class prior", value: 1.04))
        XCTAssertEqual(d.chosen, .averaging)
        XCTAssertTrue(d.reason.contains("LR does not beat class prior: log_loss 1.0500 vs 1.0400"), d.reason)
        let pass = PromotionRule.decide(candidate: MetricScore(name: "LR", value: 1.03), averaging: MetricScore(name: "simple average", value: 1.10),
                                        bestSingle: MetricScore(name: "best single (x)", value: 1.08), champion: nil, metric: .logLoss,
                                        classPrior: MetricScore(name: "class prior", value: 1.04))
        XCTAssertEqual(pass.chosen, .candidate)
        XCTAssertTrue(pass.reason.contains("class prior (1.0400)"), pass.reason)
    }

    /// Two models that are confidently wrong half the time: averaging is worse than the label
    /// frequencies, so the fallback must not be averaging.
    func testFallbackServesThePriorWhenAveragingIsWorseThanKnowingNothing() throws {
        let rows = Self.noSkillRows(n: 3000)
        var configuration = TrainingConfiguration(metric: .logLoss)
        configuration.candidates = []          // nothing learned: the fallback decides
        configuration.modelVersion = 5
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration)
        XCTAssertEqual(outcome.decision.chosen, .averaging)
        let served = try XCTUnwrap(outcome.chosen as? PriorShrinkageCombiner, "served \(type(of: outcome.chosen))")
        XCTAssertLessThan(served.averagingWeight, 1)
        XCTAssertEqual(served.version, 5)
        XCTAssertTrue(outcome.decision.reason.contains("serving \(outcome.decision.chosenName)"), outcome.decision.reason)
        XCTAssertFalse(outcome.decision.reason.contains("falling back to simple average"), outcome.decision.reason)
        // Independent truth: on the validation rows, the served vectors score no worse than the
        // prior and strictly better than averaging.
        let valid = try XCTUnwrap(outcome.score(MetaTrainer.classPriorName)).validation.logLoss
        let avg = try XCTUnwrap(outcome.score(MetaTrainer.averagingName)).validation.logLoss
        let servedLoss = try XCTUnwrap(outcome.score(outcome.decision.chosenName)).validation.logLoss
        XCTAssertLessThanOrEqual(servedLoss, valid)
        XCTAssertLessThan(servedLoss, avg)
        // The prior is the smoothed meta-train label frequencies (labels cycle 0, 1, 2, 2: 1/4, 1/4, 1/2).
        XCTAssertEqual(served.prior[2], 0.5, accuracy: 0.01)

        // It is written and loaded back as a stackd-prior-shrinkage model.
        let dir = NSTemporaryDirectory() + "prior-fallback-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ArtifactWriter.write(outcome, to: dir)
        let loaded = try ArtifactLoader.load(root: dir, horizon: 5, layout: rows.layout)
        XCTAssertEqual(loaded.config.modelFormat, .priorShrinkage)
        let back = try XCTUnwrap(loaded.combiner as? PriorShrinkageCombiner)
        XCTAssertEqual(back.averagingWeight, served.averagingWeight)
        XCTAssertEqual(back.prior, served.prior)
    }

    /// Labels cycle 0, 1, 2, 2; model a always says class (y + 1) % 3 with 0.8, model b (y + 2) % 3.
    static func noSkillRows(n: Int) -> TrainingRows {
        let models = ["a", "b"], k = 3
        let layout = StackingFeatureLayout(models: models, classCount: k, includesRegimes: false)
        var base = Matrix(rows: n, cols: 6), features = Matrix(rows: n, cols: layout.count)
        var labels: [Int] = []
        for i in 0..<n {
            let y = [0, 1, 2, 2][i % 4]
            labels.append(y)
            for (j, shift) in [1, 2].enumerated() {
                for c in 0..<k { base[i, 3 * j + c] = c == (y + shift) % 3 ? 0.8 : 0.1 }
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
