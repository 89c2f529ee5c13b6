import Foundation
import XCTest
@testable import StackdLearning

final class MetricsTests: XCTestCase {
    func testArgmaxTiesGoToLowestIndex() {
        let P = Matrix(rowArrays: [[0.4, 0.4, 0.2], [0.3, 0.35, 0.35], [1.0 / 3, 1.0 / 3, 1.0 / 3], [0.1, 0.2, 0.7]])
        XCTAssertEqual(Metrics.predictedClasses(P), [0, 1, 0, 2])
    }

    func testMacroF1CountsAbsentClassAsZero() {
        // actual    = [long, short, short, short, long], predicted = [long, long, short, long, short]
        // short: tp=1 fp=1 fn=2 -> F1 = 2/(2+1+2) = 0.4; neutral: never predicted nor true -> 0;
        // long:  tp=1 fp=2 fn=1 -> F1 = 2/(2+2+1) = 0.4; macro = (0.4+0+0.4)/3 = 0.26666…
        let f1 = Metrics.macroF1(predicted: [2, 2, 0, 2, 0], actual: [2, 0, 0, 0, 2])
        XCTAssertEqual(f1, 0.8 / 3, accuracy: 1e-15)
        XCTAssertEqual(Metrics.accuracy(predicted: [2, 2, 0, 2, 0], actual: [2, 0, 0, 0, 2]), 0.4)
    }

    func testLogLossAndBrierByHand() {
        let P = Matrix(rowArrays: [[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
        // row 0 true long: −ln 0.5 = 0.693147…; row 1 true short: p = 0 → −ln 1e-15 = 34.538776…
        // mean = (0.6931471805599453 + 34.538776394910684)/2
        XCTAssertEqual(Metrics.logLoss(probabilities: P, labels: [2, 0]),
                       (0.6931471805599453 + 34.538776394910684) / 2, accuracy: 1e-12)
        // Brier: row 0: 0.04 + 0.09 + 0.25 = 0.38; row 1: 1 + 1 + 0 = 2; mean = 1.19
        XCTAssertEqual(Metrics.brierScore(probabilities: P, labels: [2, 0]), 1.19, accuracy: 1e-15)
    }

    func testSharpeWinRateByHand() {
        // predicted [long, short, neutral, long], fwd [0.02, 0.01, 0.5, -0.01]
        // pnl = [0.02, −0.01, 0, −0.01]; mean = 0; → Sharpe 0. Win rate: traded 3, won 1 → 1/3.
        XCTAssertEqual(Metrics.sharpe(predicted: [2, 0, 1, 2], forwardReturns: [0.02, 0.01, 0.5, -0.01], horizon: 5), 0,
                       accuracy: 1e-15)
        XCTAssertEqual(Metrics.winRate(predicted: [2, 0, 1, 2], forwardReturns: [0.02, 0.01, 0.5, -0.01]), 1.0 / 3)
        // pnl = [0.01, 0.03]: mean 0.02, std(ddof=1) = 0.0141421356…; × √(252/20) = 3.5496478…
        // Sharpe = 0.02/0.014142135623730952·3.5496478698597698 = 5.019960159204453
        XCTAssertEqual(Metrics.sharpe(predicted: [2, 0], forwardReturns: [0.01, -0.03], horizon: 20),
                       5.019960159204453, accuracy: 1e-12)
        // All flat: std 0 → 0; no position → win rate 0.
        XCTAssertEqual(Metrics.sharpe(predicted: [1, 1], forwardReturns: [0.01, 0.02], horizon: 5), 0)
        XCTAssertEqual(Metrics.winRate(predicted: [1, 1], forwardReturns: [0.01, 0.02]), 0)
    }

    func testAverageRanksAndIC() {
        // [3, 1, 3, 2] → ranks [3.5, 1, 3.5, 2]
        XCTAssertEqual(Metrics.averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
        // score = p_long − p_short = [0.5, −0.5, 0.0]; returns [0.1, −0.2, 0.0] → same order → IC = 1
        let P = Matrix(rowArrays: [[0.2, 0.1, 0.7], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3]])
        XCTAssertEqual(Metrics.informationCoefficient(probabilities: P, forwardReturns: [0.1, -0.2, 0.0]), 1, accuracy: 1e-15)
        XCTAssertEqual(Metrics.informationCoefficient(probabilities: P, forwardReturns: [0.1, 0.1, 0.1]), 0)
    }

    /// A perfect linear relation must not round past ±1: b = 0.97·a + 0.01 on these two values
    /// gives 1.0000000000000002 without the clamp (and `score_corr`'s schema maximum is 1).
    func testPearsonStaysWithinMinusOneAndOne() {
        let a = [0.0, 22.0 / 101.0], b = a.map { 0.97 * $0 + 0.01 }
        XCTAssertLessThanOrEqual(Metrics.pearson(a, b), 1)
        XCTAssertEqual(Metrics.pearson(a, b), 1, accuracy: 1e-15)
        XCTAssertGreaterThanOrEqual(Metrics.pearson(a, b.map { -$0 }), -1)
    }

    func testECEBinsByHand() {
        // class long, p = [0.05, 0.95, 1.0, 0.35]; bins [0, 9, 9 (1.0 clamps to 9), 3]; y_long = [0, 1, 1, 0]
        // bin 0: n=1 |0 − 0.05| = 0.05; bin 9: n=2 |1 − 0.975| = 0.025; bin 3: n=1 |0 − 0.35| = 0.35
        // ECE = (0.05 + 2·0.025 + 0.35)/4 = 0.1125
        let P = Matrix(rowArrays: [[0.9, 0.05, 0.05], [0.0, 0.05, 0.95], [0, 0, 1.0], [0.3, 0.35, 0.35]])
        let y = [0, 2, 2, 1]
        XCTAssertEqual(Metrics.expectedCalibrationError(probabilities: P, labels: y, class: 2), 0.1125, accuracy: 1e-15)
        let curve = Metrics.reliabilityCurve(probabilities: P, labels: y, class: 2)
        XCTAssertEqual(curve.map(\.count), [1, 0, 0, 1, 0, 0, 0, 0, 0, 2])
        XCTAssertEqual(curve[9].meanPredicted, 0.975, accuracy: 1e-15)
        XCTAssertEqual(curve[9].observedFrequency, 1)
    }

    // MARK: fixtures from scripts/fixtures/learning/make_metric_fixtures.py (numpy/scikit-learn/scipy)

    func testAgainstPythonFixtures() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/fixtures/learning/metric_fixtures.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = root["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let name = c["name"] as! String
            // Inputs come as hex floats so they are bit-exact (see the script).
            let P = Matrix(rowArrays: (c["probabilities_hex"] as! [[String]]).map { $0.map { Double($0)! } })
            let y = c["labels"] as! [Int]
            let fwd = (c["forward_returns_hex"] as! [String]).map { Double($0)! }
            let h = c["horizon"] as! Int
            let pred = Metrics.predictedClasses(P)
            XCTAssertEqual(pred, c["predicted"] as! [Int], name)
            let r = EvaluationReport(probabilities: P, labels: y, forwardReturns: fwd, horizon: h)
            XCTAssertEqual(r.f1Macro, c["f1_macro"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(r.accuracy, c["accuracy"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(r.logLoss, c["log_loss"] as! Double, accuracy: 1e-12, name)
            if let sk = c["log_loss_sklearn"] as? Double { XCTAssertEqual(r.logLoss, sk, accuracy: 1e-9, name) }
            XCTAssertEqual(r.brier, c["brier"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(r.sharpe, c["sharpe"] as! Double, accuracy: 1e-10, name)
            XCTAssertEqual(r.winRate, c["win_rate"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(r.informationCoefficient, c["ic"] as! Double, accuracy: 1e-12, name)
            let ece = c["ece"] as! [Double]
            let curves = c["reliability"] as! [[[String: Any]]]
            for k in 0..<3 {
                XCTAssertEqual(r.ece[k], ece[k], accuracy: 1e-12, "\(name) ece[\(k)]")
                for (b, bin) in curves[k].enumerated() {
                    XCTAssertEqual(r.reliability[k][b].count, bin["count"] as! Int, "\(name) class \(k) bin \(b)")
                    XCTAssertEqual(r.reliability[k][b].meanPredicted, bin["mean_predicted"] as! Double, accuracy: 1e-12)
                    XCTAssertEqual(r.reliability[k][b].observedFrequency, bin["observed"] as! Double, accuracy: 1e-12)
                }
            }
        }
    }
}
