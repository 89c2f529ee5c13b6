import XCTest
@testable import StackdTraining

/// The pure selection functions at their boundaries.
final class SelectionPolicyTests: XCTestCase {
    func testRegularisationBySampleSize() {
        let cases: [(Int, Double, Int, Int)] = [
            (0, 0.1, 2, 50), (4_999, 0.1, 2, 50), (5_000, 0.5, 3, 100), (19_999, 0.5, 3, 100),
            (20_000, 1.0, 4, 150), (1_000_000, 1.0, 4, 150),
        ]
        for (rows, c, depth, est) in cases {
            XCTAssertEqual(LearnerHyperparameters.logisticC(rows: rows), c, "C at \(rows)")
            XCTAssertEqual(LearnerHyperparameters.treeShape(rows: rows).depth, depth, "depth at \(rows)")
            XCTAssertEqual(LearnerHyperparameters.treeShape(rows: rows).estimators, est, "estimators at \(rows)")
            XCTAssertEqual(RegularisationChoice.bySampleSize.resolve(rows: rows), LearnerHyperparameters(logisticC: c, treeDepth: depth, treeEstimators: est))
        }
        let fixed = LearnerHyperparameters(logisticC: 1, treeDepth: 3, treeEstimators: 100)
        XCTAssertEqual(RegularisationChoice.fixed(fixed).resolve(rows: 10), fixed)
    }

    func testEnsembleMethodRule() {
        let cases: [(models: Int, rows: Int, diversity: Double?, expected: EnsembleMethod)] = [
            (2, 100_000, nil, .weightedAverage), (3, 999, nil, .weightedAverage), (3, 1_000, nil, .blending),
            (4, 4_999, 0.9, .blending), (4, 5_000, nil, .stacking), (4, 5_000, 0.1499, .blending),
            (4, 5_000, 0.15, .stacking), (4, 50_000, 0.4, .stacking), (1, 0, nil, .weightedAverage),
        ]
        for c in cases {
            let r = EnsembleMethodRule.choose(models: c.models, rows: c.rows, diversity: c.diversity)
            XCTAssertEqual(r.method, c.expected, "\(c)")
            XCTAssertFalse(r.reason.isEmpty)
        }
    }

    func testOverfittingCheck() {
        XCTAssertFalse(OverfittingCheck(method: "m", trainLogLoss: 1.0, validationLogLoss: 1.0499).isOverfitting)
        XCTAssertTrue(OverfittingCheck(method: "m", trainLogLoss: 1.0, validationLogLoss: 1.0501).isOverfitting)
        XCTAssertFalse(OverfittingCheck(method: "m", trainLogLoss: 1.1, validationLogLoss: 1.0).isOverfitting)
        XCTAssertTrue(OverfittingCheck(method: "m", trainLogLoss: 1.0, validationLogLoss: 1.02, threshold: 0.01).isOverfitting)
    }

    func testMetricDirections() {
        XCTAssertTrue(PromotionMetric.logLoss.isBetter(1.0, than: 1.1))
        XCTAssertTrue(PromotionMetric.brier.isBetter(0.6, than: 0.7))
        XCTAssertTrue(PromotionMetric.macroF1.isBetter(0.4, than: 0.3))
        XCTAssertTrue(PromotionMetric.sharpe.isBetter(0.8, than: 0.7))
        for m in PromotionMetric.allCases {
            XCTAssertFalse(m.isBetter(1, than: 1), "\(m): ties are not better")
            XCTAssertFalse(m.isBetter(.nan, than: 1), "\(m): NaN is never better")
        }
    }

    /// (metric, candidate, averaging, best single, champion?, overfit, expected chosen, reason fragment)
    func testPromotionRuleTable() {
        typealias Case = (PromotionMetric, Double, Double, Double, Double?, Bool, PromotedMethod, String)
        let cases: [Case] = [
            (.logLoss, 1.00, 1.10, 1.05, nil, false, .candidate, "better (lower)"),
            (.logLoss, 1.00, 1.10, 1.05, 1.02, false, .candidate, "best single (x) (1.0500), champion v1 (1.0200)"),
            (.logLoss, 1.10, 1.10, 1.20, nil, false, .averaging, "does not beat simple average"),
            (.logLoss, 1.12, 1.10, 1.20, 1.08, false, .champion, "; keeping champion v1"),
            // A stale champion (worse than averaging on these rows) is not kept when the candidate fails.
            (.logLoss, 1.12, 1.10, 1.20, 1.30, false, .averaging, "; champion v1 no longer beats simple average"),
            (.logLoss, 1.06, 1.10, 1.05, nil, false, .averaging, "LR does not beat best single (x): "),
            (.logLoss, 1.04, 1.10, 1.05, 1.03, false, .champion, "LR does not beat champion v1: "),
            (.logLoss, 1.00, 1.10, 1.05, nil, true, .averaging, "overfitting"),
            (.brier, 0.60, 0.65, 0.62, nil, false, .candidate, "better (lower)"),
            (.brier, 0.66, 0.65, 0.70, nil, false, .averaging, "does not beat simple average"),
            (.macroF1, 0.40, 0.35, 0.36, nil, false, .candidate, "better (higher)"),
            (.macroF1, 0.30, 0.35, 0.20, nil, false, .averaging, "does not beat simple average"),
            (.macroF1, 0.36, 0.35, 0.37, 0.38, false, .champion, "does not beat best single (x)"),
            (.macroF1, 0.36, 0.35, 0.37, 0.30, false, .averaging, "no longer beats"),
            (.sharpe, 0.90, 0.20, 0.50, 0.80, false, .candidate, "better (higher)"),
            (.sharpe, 0.70, 0.20, 0.50, 0.80, false, .champion, "does not beat champion v1"),
        ]
        for (i, c) in cases.enumerated() {
            let d = PromotionRule.decide(
                candidate: MetricScore(name: "LR", value: c.1), averaging: MetricScore(name: "simple average", value: c.2),
                bestSingle: MetricScore(name: "best single (x)", value: c.3), champion: c.4.map { MetricScore(name: "champion v1", value: $0) },
                metric: c.0, candidateOverfitting: c.5)
            XCTAssertEqual(d.chosen, c.6, "case \(i): \(d.reason)")
            XCTAssertTrue(d.reason.contains(c.7), "case \(i): reason '\(d.reason)' lacks '\(c.7)'")
            // Display names already say what they are ("champion v1", "best single (x)").
            XCTAssertFalse(d.reason.contains("champion champion") || d.reason.contains("the best single model best single"), d.reason)
            XCTAssertEqual(d.chosenName, c.6 == .candidate ? "LR" : c.6 == .champion ? "champion v1" : "simple average")
        }
        let none = PromotionRule.decide(candidate: nil, averaging: MetricScore(name: "simple average", value: 1),
                                        bestSingle: MetricScore(name: "b", value: 1), champion: nil, metric: .logLoss)
        XCTAssertEqual(none.chosen, .averaging)
        XCTAssertTrue(none.reason.contains("no candidate"))
    }

    func testDiagnosis() {
        func codes(_ x: DiagnosisInput) -> Set<DiagnosisFinding.Code> { Set(FailureDiagnosis.diagnose(x).map(\.code)) }
        let healthy = DiagnosisInput(trainRows: 10_000, modelCount: 4, diversity: 0.4,
                                     overfitting: [OverfittingCheck(method: "LR", trainLogLoss: 1.0, validationLogLoss: 1.01)],
                                     candidateLogLoss: 1.0, candidateF1: 0.40, candidateClassShares: [0.2, 0.3, 0.5],
                                     averagingLogLoss: 1.05, averagingF1: 0.35, bestSingleLogLoss: 1.04, bestSingleF1: 0.36)
        XCTAssertEqual(codes(healthy), [])
        var x = healthy; x.trainRows = 4_999
        XCTAssertEqual(codes(x), [.tooFewRows])
        x = healthy; x.overfitting = [OverfittingCheck(method: "XGB", trainLogLoss: 0.9, validationLogLoss: 1.0)]
        XCTAssertEqual(codes(x), [.overfitting])
        x = healthy; x.diversity = 0.1
        XCTAssertEqual(codes(x), [.lowDiversity])
        x = healthy; x.candidateF1 = 0.30
        XCTAssertEqual(codes(x), [.winsLogLossLosesF1])
        x = healthy; x.candidateLogLoss = 1.06
        XCTAssertEqual(codes(x), [.losesToAveraging, .losesToBestSingle])
        x = healthy; x.candidateLogLoss = 1.045
        XCTAssertEqual(codes(x), [.losesToBestSingle])
        x = healthy; x.candidateClassShares = [0.004, 0.3, 0.696]
        XCTAssertEqual(codes(x), [.collapsedClass])
        XCTAssertTrue(FailureDiagnosis.diagnose(x).allSatisfy { !$0.recommendation.isEmpty && !$0.message.isEmpty })
    }
}

final class ImprovementSignificanceTests: XCTestCase {
    func testPairedZOfTheLogLossGain() {
        // Gains 0.1, 0.3, 0.2, 0.2: mean 0.2, sample sd = sqrt(0.02/3), se = sd/2 → z = 0.2/0.0408248 = 4.89898.
        let z = PromotionRule.improvementZ(candidateLosses: [0.9, 0.7, 0.8, 0.8], averagingLosses: [1.0, 1.0, 1.0, 1.0])
        XCTAssertEqual(z, 0.2 / ((0.02 / 3).squareRoot() / 2), accuracy: 1e-12)
        // A gain that is as often negative as positive is not significant.
        XCTAssertEqual(PromotionRule.improvementZ(candidateLosses: [0.9, 1.1], averagingLosses: [1.0, 1.0]), 0, accuracy: 1e-12)
        XCTAssertEqual(PromotionRule.improvementZ(candidateLosses: [0.5], averagingLosses: [1.0]), 0, "one row proves nothing")
    }
}
