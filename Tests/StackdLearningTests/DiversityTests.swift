import Foundation
@testable import StackdLearning
import StackdTestSupport
import XCTest

final class DiversityTests: XCTestCase {
    // MARK: reference conformance

    func testDiversityMatchesReferenceOnTestRowsEveryHorizon() throws {
        let root = try SharedData.json("reference/reference_results.json") as! [String: Any]
        var maxDiff = 0.0
        for h in [5, 10, 15, 20] {
            let ds = try SharedData.dataset(horizon: h)
            let split = ChronologicalSplit(ds)
            let X = ds.basicFeatures().selectingRows(split.test)
            let classes = ds.classIndices
            let y = split.test.map { classes[$0] }
            let analysis = DiversityAnalysis(X, labels: y, models: ds.models)
            let ref = (root["\(h)"] as! [String: Any])["diversity"] as! [[String: Any]]
            XCTAssertEqual(analysis.pairs.map(\.pair), ref.map { $0["pair"] as! String }, "h\(h)")
            for (mine, want) in zip(analysis.pairs, ref) {
                let pairs: [(Double, String)] = [(mine.disagreement, "disagreement"), (mine.doubleFault, "double_fault"),
                                                 (mine.rhoCorrect, "rho_correct"), (mine.scoreCorrelation, "score_corr")]
                for (v, k) in pairs {
                    let r = want[k] as! Double
                    maxDiff = max(maxDiff, abs(v - r))
                    XCTAssertEqual(v, r, accuracy: 1e-4, "h\(h) \(mine.pair) \(k)")
                }
            }
            XCTAssertTrue(analysis.score.composite >= 0 && analysis.score.composite <= 1)
            print("h\(h): composite \(analysis.score.composite) (\(analysis.score.grade.rawValue))")
            if h == 5 {
                for line in analysis.recommendations { print("  - \(line)") }
                XCTAssertTrue(analysis.recommendations.contains { $0.hasPrefix("lgbm and xgb agree on 85% of rows and their scores correlate 0.92") },
                              "\(analysis.recommendations)")
            }
        }
        print("diversity max |Swift − reference| = \(maxDiff)")
    }

    func testGreedySelectionOnReferenceIsMonotoneAndSeededByBestSingle() throws {
        let ds = try SharedData.dataset(horizon: 5)
        let split = ChronologicalSplit(ds)
        let y = ds.classIndices
        let trainF1 = ds.models.indices.map { m in
            Metrics.macroF1(predicted: Metrics.predictedClasses(ds.probabilities(ofModel: m).selectingRows(split.train)),
                            actual: split.train.map { y[$0] })
        }
        let X = ds.basicFeatures().selectingRows(split.test)
        let analysis = DiversityAnalysis(X, labels: split.test.map { y[$0] }, models: ds.models, seedScores: trainF1)
        let sel = try XCTUnwrap(analysis.selection)
        XCTAssertEqual(sel.selected.first, "logreg")  // the reference's best single (meta-train macro F1) at h = 5
        // The seed's objective is its own test log-loss, which the reference reports independently.
        let ref = try SharedData.referenceMetrics(horizon: 5, method: "single:logreg")
        XCTAssertEqual(sel.steps[0].ensembleLogLoss, ref["log_loss"]!, accuracy: 1e-9)
        for (a, b) in zip(sel.steps, sel.steps.dropFirst()) { XCTAssertLessThan(b.ensembleLogLoss, a.ensembleLogLoss) }
        print("h5 greedy selection: \(sel.steps.map { "\($0.model) \($0.ensembleLogLoss)" }) (\(sel.stopReason))")
        let decoded = try JSONDecoder().decode(DiversityAnalysis.self, from: JSONEncoder().encode(analysis))
        XCTAssertEqual(decoded, analysis)
        let json = String(decoding: try JSONEncoder().encode(analysis.pairs[0]), as: UTF8.self)
        XCTAssertTrue(json.contains("\"double_fault\"") && json.contains("\"score_corr\""), json)
    }

    // MARK: hand-computed cases

    /// Two models, four rows, labels [short, neutral, short, long]:
    ///   A = [.7,.2,.1] [.1,.8,.1] [.2,.2,.6] [.5,.3,.2] → pred 0 1 2 0, correct 1 1 0 0
    ///   B = [.6,.3,.1] [.2,.3,.5] [.1,.3,.6] [.2,.5,.3] → pred 0 2 2 1, correct 1 0 0 0
    private let A: [[Double]] = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.3, 0.2]]
    private let B: [[Double]] = [[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]]
    private let labels = [0, 1, 0, 2]

    func testPairStatisticsAndCompositeByHand() {
        let X = Matrix(rowArrays: zip(A, B).map { $0 + $1 })
        let d = PairDiversity(X, labels: labels, models: ["a", "b"], 0, 1)
        XCTAssertEqual(d.pair, "a-b")
        XCTAssertEqual(d.disagreement, 0.5)  // rows 1 (1 vs 2) and 3 (0 vs 1)
        XCTAssertEqual(d.doubleFault, 0.5)   // rows 2 and 3
        // corr([1,1,0,0], [1,0,0,0]): deviations [.5,.5,−.5,−.5]·[.75,−.25,−.25,−.25] = .5; Saa = 1, Sbb = .75 → 1/√3
        XCTAssertEqual(d.rhoCorrect, 1 / 3.0.squareRoot(), accuracy: 1e-15)
        // scores A = [−.6, 0, .4, −.3] (mean −.125), B = [−.5, .3, .5, .1] (mean .1):
        // Sab = .285 + .025 + .21 + 0 = .52, Saa = .5475, Sbb = .56
        let sc = 0.52 / (0.5475 * 0.56).squareRoot()
        XCTAssertEqual(d.scoreCorrelation, sc, accuracy: 1e-12)
        // Error rates .5 and .75: shared-error share = .5/.5 = 1 → term 0.
        // composite = (0.5 + 0 + (1 − 1/√3)/2 + (1 − sc)/2)/4 = (0.5 + 0.211325 + 0.030449)/4 ≈ 0.185443 → low
        let analysis = DiversityAnalysis(X, labels: labels, models: ["a", "b"])
        XCTAssertEqual(analysis.errorRates, [0.5, 0.75])
        let want = (0.5 + 0 + (1 - 1 / 3.0.squareRoot()) / 2 + (1 - sc) / 2) / 4
        XCTAssertEqual(analysis.score.composite, want, accuracy: 1e-12)
        XCTAssertEqual(want, 0.185443, accuracy: 1e-6)
        XCTAssertEqual(analysis.score.grade, .low)
        XCTAssertEqual(analysis.pairs.count, 2)  // the pair and "mean"
        XCTAssertEqual(analysis.mean, PairDiversity(pair: "mean", disagreement: d.disagreement, doubleFault: d.doubleFault,
                                                    rhoCorrect: d.rhoCorrect, scoreCorrelation: d.scoreCorrelation))
        // a and b: scores correlate 0.94 ≥ 0.8 → flagged redundant (agree on 50% of rows).
        XCTAssertEqual(analysis.recommendations.first, "a and b agree on 50% of rows and their scores correlate 0.94: keep one or diversify features")
    }

    func testCompositeTermsAndGradesByHand() {
        // disagreement .3; shared = .2/min(.4, .5) = .5 → 1 − .5 = .5; (1 − .5)/2 = .25; (1 − .6)/2 = .2
        // → (.3 + .5 + .25 + .2)/4 = 1.25/4 = 0.3125 → moderate
        let p = PairDiversity(pair: "x-y", disagreement: 0.3, doubleFault: 0.2, rhoCorrect: 0.5, scoreCorrelation: 0.6)
        XCTAssertEqual(DiversityScore.pairScore(p, errorRates: (0.4, 0.5)), 0.3125, accuracy: 1e-15)
        XCTAssertEqual(DiversityScore(pairs: [p], errorRates: [(0.4, 0.5)]).grade, .moderate)
        // Identical models: disagreement 0, shared share 1, ρ = 1, corr = 1 → 0 → low.
        let X = Matrix(rowArrays: A.map { $0 + $0 })
        let same = DiversityAnalysis(X, labels: labels, models: ["a", "a2"])
        XCTAssertEqual(same.score.composite, 0, accuracy: 1e-15)
        XCTAssertEqual(same.score.grade, .low)
        // Anti-correlated independent-ish pair: (.66 + (1 − .36/.6) + .5 + .5)/4 = (.66 + .4 + 1)/4 = .515 → high
        let indep = PairDiversity(pair: "x-y", disagreement: 0.66, doubleFault: 0.36, rhoCorrect: 0, scoreCorrelation: 0)
        XCTAssertEqual(DiversityScore.pairScore(indep, errorRates: (0.6, 0.6)), 0.515, accuracy: 1e-12)
        XCTAssertEqual(DiversityScore.grade(0.515), .high)
        XCTAssertEqual(DiversityScore.grade(0.2), .moderate)
        XCTAssertEqual(DiversityScore.grade(0.1999), .low)
    }

    func testGreedySelectionByHand() {
        // Rows labelled [short, neutral]. A = B (a copy), C is different:
        //   A: [.6,.2,.2] [.2,.6,.2] → log-loss −ln .6 = 0.510826
        //   A+B = A (no gain);  A+C: p_true = (.6+.9)/2 = .75, (.6+.4)/2 = .5 → (0.287682 + 0.693147)/2 = 0.490415
        //   A+C+B: p_true = 2.1/3 = .7, 1.6/3 = .5333 → (0.356675 + 0.628609)/2 = 0.492642 > 0.490415 → stop.
        let a: [Double] = [0.6, 0.2, 0.2], a1: [Double] = [0.2, 0.6, 0.2]
        let X = Matrix(rowArrays: [a + a + [0.9, 0.05, 0.05], a1 + a1 + [0.3, 0.4, 0.3]])
        let sel = GreedyDiverseSelection(X, labels: [0, 1], models: ["A", "B", "C"], seedScores: [1, 0.5, 0.2])
        XCTAssertEqual(sel.selected, ["A", "C"])
        XCTAssertEqual(sel.stopReason, "no improvement")
        XCTAssertEqual(sel.steps[0].ensembleLogLoss, -log(0.6), accuracy: 1e-15)
        XCTAssertEqual(sel.steps[1].ensembleLogLoss, -(log(0.75) + log(0.5)) / 2, accuracy: 1e-15)
        let capped = GreedyDiverseSelection(X, labels: [0, 1], models: ["A", "B", "C"], seedScores: [1, 0.5, 0.2], maxModels: 1)
        XCTAssertEqual(capped.selected, ["A"])
        XCTAssertEqual(capped.stopReason, "reached k")
    }
}
