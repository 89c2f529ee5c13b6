import StackdLearning
import XCTest
@testable import StackdTraining

/// The rolling-origin (purged) validation of the gate: the folds' rows against hand-computed
/// indices, and the gate over pooled folds against the single-slice gate.
final class RollingOriginValidationTests: XCTestCase {
    /// Ten events one per time step, labels known two steps later (exit = t + 2), train
    /// fraction 0.8, two folds. Hand-computed: the newest cut is event 8 (⌊0.8·10⌋): it trains on
    /// t ≤ 5 (t + 2 < 8; 6 and 7 purged) and predicts 8, 9. The older cut is event 6 (⌊0.6·10⌋):
    /// it trains on t ≤ 3 (4 and 5 purged) and predicts 6, 7 — up to the newest cut only.
    func testTwoFoldsArePurgedAndOrderedOldestFirst() {
        let t = (0..<10).map { Int64($0) }
        let folds = RollingOriginFolds(timestamps: t, exitTimestamps: t.map { $0 + 2 }, trainFraction: 0.8, requested: 2)
        XCTAssertEqual(folds.folds.map(\.train), [[0, 1, 2, 3], [0, 1, 2, 3, 4, 5]])
        XCTAssertEqual(folds.folds.map(\.validation), [[6, 7], [8, 9]])
        XCTAssertEqual(folds.folds.map(\.split.purged), [2, 2])
        XCTAssertEqual(folds.pooledValidation, [6, 7, 8, 9])
        XCTAssertEqual(folds.newest.split, ChronologicalSplit(timestamps: t, exitTimestamps: t.map { $0 + 2 }, trainFraction: 0.8))
    }

    /// One fold is exactly the single split; more folds than the fraction allows are clipped to
    /// 0.8/0.2 = 4 (cuts at events 2, 4, 6, 8); with exit = t + 1 the oldest fits on event 0
    /// alone (1 purged).
    func testOneFoldIsTheSingleSplitAndTooManyAreClipped() {
        let t = (0..<10).map { Int64($0) }, exit = t.map { $0 + 2 }
        let one = RollingOriginFolds(timestamps: t, exitTimestamps: exit, trainFraction: 0.8, requested: 1)
        let split = ChronologicalSplit(timestamps: t, exitTimestamps: exit, trainFraction: 0.8)
        XCTAssertEqual(one.folds.count, 1)
        XCTAssertEqual(one.newest.train, split.train)
        XCTAssertEqual(one.pooledValidation, split.test)

        let many = RollingOriginFolds(timestamps: t, exitTimestamps: t.map { $0 + 1 }, trainFraction: 0.8, requested: 9)
        XCTAssertEqual(RollingOriginFolds.maximumFolds(trainFraction: 0.8), 4)
        XCTAssertEqual(RollingOriginFolds.maximumFolds(trainFraction: 0.7), 2)
        XCTAssertEqual(many.folds.map(\.validation), [[2, 3], [4, 5], [6, 7], [8, 9]])
        XCTAssertEqual(many.folds.map(\.train), [[0], [0, 1, 2], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]])
    }

    /// Events sharing a time stay on one side of every cut; a fold with nothing to fit on is dropped.
    func testSameTimeEventsStayTogetherAndEmptyFoldsAreDropped() {
        // Times 0,0,1,1,2,2,3,3,4,4 (two symbols), exit = t + 1.
        let t: [Int64] = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
        let folds = RollingOriginFolds(timestamps: t, exitTimestamps: t.map { $0 + 1 }, trainFraction: 0.8, requested: 4)
        // Cuts: events 2 (t = 1), 4 (t = 2), 6 (t = 3), 8 (t = 4). The oldest (cut t = 1) would fit on
        // t + 1 < 1: nothing, so it is dropped.
        XCTAssertEqual(folds.folds.map(\.train), [[0, 1], [0, 1, 2, 3], [0, 1, 2, 3, 4, 5]])
        XCTAssertEqual(folds.folds.map(\.validation), [[4, 5], [6, 7], [8, 9]])
        XCTAssertEqual(folds.pooledValidation, [4, 5, 6, 7, 8, 9])
    }

    static let pooledWin = GateScores(candidate: MetricScore(name: "LR", value: 1.05), averaging: MetricScore(name: "simple average", value: 1.08),
                                      bestSingle: MetricScore(name: "best single (logreg)", value: 1.07),
                                      classPrior: MetricScore(name: "class prior", value: 1.09))
    static let newestLoss = GateScores(candidate: MetricScore(name: "LR", value: 1.06), averaging: MetricScore(name: "simple average", value: 1.08),
                                       bestSingle: MetricScore(name: "best single (logreg)", value: 1.05),
                                       classPrior: MetricScore(name: "class prior", value: 1.09))

    /// A candidate that beats every baseline on the pooled folds but not the best single model on
    /// the newest slice: promoted over pooled folds, not by the single-slice gate (F = 1).
    func testAPooledWinnerIsPromotedOnlyOverPooledFolds() {
        let pooled = PromotionRule.decideOverFolds(pooled: Self.pooledWin, newestFold: Self.newestLoss, champion: nil, metric: .logLoss)
        XCTAssertEqual(pooled.chosen, .candidate, pooled.reason)
        XCTAssertEqual(pooled.chosenName, "LR")
        let n = Self.newestLoss
        let single = PromotionRule.decide(candidate: n.candidate, averaging: n.averaging, bestSingle: n.bestSingle, champion: nil,
                                          metric: .logLoss, classPrior: n.classPrior)
        XCTAssertEqual(single.chosen, .averaging, single.reason)
        XCTAssertTrue(single.reason.contains("does not beat best single (logreg)"), single.reason)
    }

    /// The champion is judged on the newest fold only: the pooled winner must beat it there, and
    /// when it does not, the champion is kept while it beats the newest fold's baselines.
    func testTheChampionIsJudgedOnTheNewestFold() {
        let newest = GateScores(candidate: MetricScore(name: "LR", value: 1.04), averaging: MetricScore(name: "simple average", value: 1.08),
                                bestSingle: MetricScore(name: "best single (logreg)", value: 1.07),
                                classPrior: MetricScore(name: "class prior", value: 1.09))
        let beaten = PromotionRule.decideOverFolds(pooled: Self.pooledWin, newestFold: newest,
                                                   champion: MetricScore(name: "champion v3", value: 1.045), metric: .logLoss)
        XCTAssertEqual(beaten.chosen, .candidate, beaten.reason)
        XCTAssertTrue(beaten.reason.contains("champion v3 on the newest fold (1.0400 vs 1.0450)"), beaten.reason)

        let kept = PromotionRule.decideOverFolds(pooled: Self.pooledWin, newestFold: newest,
                                                 champion: MetricScore(name: "champion v3", value: 1.03), metric: .logLoss)
        XCTAssertEqual(kept.chosen, .champion, kept.reason)
        XCTAssertTrue(kept.reason.contains("keeping champion v3"), kept.reason)

        // The champion loses to the newest fold's best single model: fall back.
        let stale = PromotionRule.decideOverFolds(pooled: Self.pooledWin, newestFold: Self.newestLoss,
                                                  champion: MetricScore(name: "champion v3", value: 1.055), metric: .logLoss)
        XCTAssertEqual(stale.chosen, .averaging, stale.reason)
        XCTAssertTrue(stale.reason.contains("champion v3 no longer beats best single (logreg)"), stale.reason)
    }

    /// Through the trainer: 3000 daily rows, three folds validate on rows 1200..<3000 (cuts at
    /// ⌊0.4·3000⌋ and ⌊0.6·3000⌋, the newest at ⌊0.8·3000⌋), the champion on the newest 600 only;
    /// one fold validates on the newest 600 as before.
    func testTheTrainerPoolsTheFoldsRows() throws {
        let rows = FallbackToBestBaselineTests.oneGoodModelRows(n: 3000)
        var configuration = TrainingConfiguration(metric: .logLoss, candidates: [CandidateKind(learner: "logistic", featureSet: .basic)])
        let single = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration)
        XCTAssertEqual(single.validationRows, 600)
        XCTAssertFalse(single.decision.reason.contains("rolling-origin"), single.decision.reason)

        configuration.validationFolds = 3
        let lean = FittedBlendCombiner(modelWeights: [0.7, 0.3], priorWeight: 0, prior: [1.0 / 3, 1.0 / 3, 1.0 / 3], layout: rows.layout,
                                       version: 2, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "test"))
        let pooled = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration,
                                           champion: Champion(name: "champion v2", combiner: lean))
        XCTAssertEqual(pooled.validationRows, 1800)
        XCTAssertEqual(pooled.trainRows, single.trainRows)
        XCTAssertTrue(pooled.decision.reason.hasPrefix("over 3 rolling-origin folds (1800 validation rows)"), pooled.decision.reason)
        let champion = try XCTUnwrap(pooled.comparison.first { $0.role == .champion })
        XCTAssertEqual(champion.validation.rows, 600, "the champion is judged on the newest fold only")
    }

    /// A champion that serves one model alone (a fallback: nothing fitted on the rows) is scored on
    /// the pooled rows like the baselines.
    func testAFallbackChampionIsJudgedOnThePooledRows() throws {
        let rows = FallbackToBestBaselineTests.oneGoodModelRows(n: 3000)
        var configuration = TrainingConfiguration(metric: .logLoss, candidates: [CandidateKind(learner: "logistic", featureSet: .basic)])
        configuration.validationFolds = 3
        let alone = FittedBlendCombiner(modelWeights: [1, 0], priorWeight: 0, prior: [1.0 / 3, 1.0 / 3, 1.0 / 3], layout: rows.layout,
                                        version: 2, fitSummary: LearnerFitSummary(hyperparameters: [:], selection: "test"))
        XCTAssertTrue(MetaTrainer.servesAFallback(alone, modelCount: 2))
        let outcome = try MetaTrainer.train(rows: rows, horizon: 5, configuration: configuration,
                                            champion: Champion(name: "champion v2", combiner: alone))
        let champion = try XCTUnwrap(outcome.comparison.first { $0.role == .champion })
        XCTAssertEqual(champion.validation.rows, 1800)
    }
}
