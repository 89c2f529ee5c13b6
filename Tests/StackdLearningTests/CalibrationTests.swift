import Foundation
@testable import StackdLearning
import StackdTestSupport
import XCTest

final class CalibrationTests: XCTestCase {
    // MARK: hand-computed PAV

    func testPoolAdjacentViolatorsByHand() {
        // y = [1, 3, 2, 4], unit weights: 3 > 2 violates → pool to (3 + 2)/2 = 2.5 → [1, 2.5, 2.5, 4].
        XCTAssertEqual(IsotonicRegression.poolAdjacentViolators([1, 3, 2, 4], weights: [1, 1, 1, 1]), [1, 2.5, 2.5, 4])
        // y = [3, 1, 2], w = [1, 3, 1]: pool (3·1 + 1·3)/4 = 1.5; 1.5 < 2 keeps → [1.5, 1.5, 2].
        XCTAssertEqual(IsotonicRegression.poolAdjacentViolators([3, 1, 2], weights: [1, 3, 1]), [1.5, 1.5, 2])
        // Backward merge: y = [2, 3, 0], w = [1, 1, 2]: pool (3·1 + 0·2)/3 = 1; now 2 > 1 → pool all
        // (2·1 + 3·1 + 0·2)/4 = 1.25 → [1.25, 1.25, 1.25].
        XCTAssertEqual(IsotonicRegression.poolAdjacentViolators([2, 3, 0], weights: [1, 1, 2]), [1.25, 1.25, 1.25])
    }

    func testIsotonicTiesTrimmingAndClippingByHand() throws {
        // x = [0, 0, 1, 2], y = [0, 1, 0, 1]: tie at x = 0 → (0.5, w 2); then [0.5, 0, 1] with w [2, 1, 1]:
        // 0.5 > 0 → pool (0.5·2 + 0·1)/3 = 1/3 → fitted [1/3, 1/3, 1] at x [0, 1, 2] (all kept: the middle
        // point ends the flat run). predict(1.5) = 1/3 + 0.5·(1 − 1/3) = 2/3; outside → clipped ends.
        let f = try IsotonicRegression(fitting: [0, 0, 1, 2], [0, 1, 0, 1])
        XCTAssertEqual(f.xThresholds, [0, 1, 2])
        XCTAssertEqual(f.yThresholds[0], 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(f.predict(0.5), 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(f.predict(1.5), 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(f.predict(-1), 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(f.predict(5), 1)
        // Flat interior points are trimmed: x = 0…4, y = [1, 1, 1, 1, 2] keeps x = 0, 3, 4.
        let g = try IsotonicRegression(fitting: [0, 1, 2, 3, 4], [1, 1, 1, 1, 2])
        XCTAssertEqual(g.xThresholds, [0, 3, 4])
        XCTAssertEqual(g.yThresholds, [1, 1, 2])
        XCTAssertThrowsError(try IsotonicRegression(fitting: [1, 2], [1, 2], weights: [0, 0]))
        XCTAssertThrowsError(try IsotonicRegression(fitting: [1, .nan], [1, 2]))
    }

    // MARK: fixtures from scripts/fixtures/calibration/make_calibration_fixtures.py

    private func fixtures() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/fixtures/calibration/calibration_fixtures.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    private func hex(_ a: Any?) -> [Double]? { (a as? [String])?.map { Double($0)! } }
    private func hexMatrix(_ a: Any?) -> Matrix { Matrix(rowArrays: (a as! [[String]]).map { $0.map { Double($0)! } }) }

    func testIsotonicMatchesScikitLearn() throws {
        let cases = try fixtures()["isotonic"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 6)
        var maxDiff = 0.0
        for c in cases {
            let name = c["name"] as! String
            let f = try IsotonicRegression(fitting: hex(c["x_hex"])!, hex(c["y_hex"])!, weights: hex(c["w_hex"]))
            let xt = c["x_thresholds"] as! [Double], yt = c["y_thresholds"] as! [Double]
            // Expected values are decimal JSON, which Foundation may round 1 ulp off: compare at 1e-15.
            XCTAssertEqual(f.xThresholds.count, xt.count, name)
            for (a, b) in zip(f.xThresholds, xt) { XCTAssertEqual(a, b, accuracy: 1e-15, name) }
            XCTAssertEqual(f.yThresholds.count, yt.count, name)
            for (a, b) in zip(f.yThresholds, yt) { maxDiff = max(maxDiff, abs(a - b)) }
            for (t, want) in zip(hex(c["t_hex"])!, c["predictions"] as! [Double]) {
                let got = f.predict(t)
                maxDiff = max(maxDiff, abs(got - want))
                XCTAssertEqual(got, want, accuracy: 1e-12, "\(name) at \(t)")
            }
        }
        print("isotonic max |Swift − sklearn| = \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-12)
    }

    func testIsotonicCalibratorMatchesScikitLearn() throws {
        let c = try fixtures()["isotonic_calibrator"] as! [String: Any]
        let cal = try IsotonicCalibrator(fitting: hexMatrix(c["P_hex"]), labels: c["labels"] as! [Int])
        let out = cal.apply(hexMatrix(c["test_hex"]))
        let want = c["calibrated"] as! [[Double]]
        var maxDiff = 0.0
        for r in 0..<out.rows { for k in 0..<3 { maxDiff = max(maxDiff, abs(out[r, k] - want[r][k])) } }
        print("isotonic calibrator max |Swift − sklearn| = \(maxDiff)")
        XCTAssertLessThan(maxDiff, 1e-12)
    }

    func testTemperatureMatchesScipy() throws {
        let root = try fixtures()
        let cases = root["temperature"] as! [[String: Any]]
        XCTAssertEqual(root["temperature_bounds"] as! [Double],
                       [TemperatureScaling.minimumTemperature, TemperatureScaling.maximumTemperature])
        var maxRelT = 0.0, maxLoss = 0.0, maxProb = 0.0
        for c in cases {
            let name = c["name"] as! String
            let P = hexMatrix(c["P_hex"]), y = c["labels"] as! [Int], w = hex(c["w_hex"])
            let ts = try TemperatureScaling(fitting: P, labels: y, weights: w)
            let T = c["temperature"] as! Double
            maxRelT = max(maxRelT, abs(ts.temperature - T) / T)
            XCTAssertEqual(ts.temperature, T, accuracy: 1e-10 * T, name)
            let loss = TemperatureScaling.logLoss(temperature: ts.temperature, probabilities: P, labels: y, weights: w)
            maxLoss = max(maxLoss, abs(loss - (c["log_loss"] as! Double)))
            XCTAssertEqual(loss, c["log_loss"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(TemperatureScaling.logLoss(temperature: 1, probabilities: P, labels: y, weights: w),
                           c["log_loss_at_1"] as! Double, accuracy: 1e-12, name)
            let out = ts.apply(hexMatrix(c["test_hex"]))
            let want = c["applied"] as! [[Double]]
            for r in 0..<out.rows { for k in 0..<3 { maxProb = max(maxProb, abs(out[r, k] - want[r][k])) } }
        }
        print("temperature max rel |T − scipy| = \(maxRelT), log-loss \(maxLoss), probabilities \(maxProb)")
        XCTAssertLessThan(maxProb, 1e-12)
    }

    // MARK: invariants

    func testOutputsAreAlwaysFiniteAndNormalised() throws {
        var g = SystemRandomNumberGenerator()
        var rows: [[Double]] = [[0, 0, 1], [1, 0, 0], [0, 0, 0], [1.0 / 3, 1.0 / 3, 1.0 / 3], [.nan, 0.5, 0.5],
                                [2, -1, 0], [.infinity, 0, 0], [1e-300, 1e-300, 1]]
        for _ in 0..<200 {
            let a = Double.random(in: 0...1, using: &g), b = Double.random(in: 0...(1 - a), using: &g)
            rows.append([a, b, 1 - a - b])
        }
        let P = Matrix(rowArrays: Array(rows[8...]))
        let labels = (0..<P.rows).map { $0 % 3 }
        let cals: [any ProbabilityCalibrator] = [
            try IsotonicCalibrator(fitting: P, labels: labels), try TemperatureScaling(fitting: P, labels: labels),
            TemperatureScaling(temperature: 0.01, classCount: 3), TemperatureScaling(temperature: 100, classCount: 3),
        ]
        for cal in cals {
            for r in rows {
                let q = cal.apply(r)
                XCTAssertTrue(q.allSatisfy { $0.isFinite && $0 >= 0 }, "\(cal) \(r) → \(q)")
                XCTAssertEqual(q.reduce(0, +), 1, accuracy: 1e-12, "\(cal) \(r)")
            }
        }
        // All-zero guard: every class map is 0 below 0.5, so [0.2, 0.3, 0.5]… maps to zeros → uniform.
        let zeroLow = try IsotonicRegression(fitting: [0.0, 0.49, 0.5, 1], [0, 0, 1, 1])
        let cal = IsotonicCalibrator(classMaps: [zeroLow, zeroLow, zeroLow])
        XCTAssertEqual(cal.apply([0.2, 0.3, 0.4]), [1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    func testCodableRoundTripAndModelwise() throws {
        let P = Matrix(rowArrays: [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4]])
        let y = [0, 1, 2, 1, 2]
        let iso = try IsotonicCalibrator(fitting: P, labels: y)
        let ts = try TemperatureScaling(fitting: P, labels: y)
        XCTAssertEqual(try JSONDecoder().decode(IsotonicCalibrator.self, from: JSONEncoder().encode(iso)), iso)
        XCTAssertEqual(try JSONDecoder().decode(TemperatureScaling.self, from: JSONEncoder().encode(ts)), ts)
        // Model-wise on a 2-model stacked row equals the per-block calibrators.
        let X = Matrix(rowArrays: (0..<P.rows).map { P.row($0) + P.row(($0 + 1) % P.rows) })
        let mw = try ModelwiseCalibration(fitting: X, models: 2, labels: y) { try TemperatureScaling(fitting: $0, labels: $1) }
        let out = mw.apply(X)
        let second = try TemperatureScaling(fitting: X.selectingColumns([3, 4, 5]), labels: y)
        for r in 0..<X.rows {
            XCTAssertEqual(Array(out.row(r)[0..<3]), ts.apply(X.row(r).prefix(3).map { $0 }))
            XCTAssertEqual(Array(out.row(r)[3..<6]), second.apply(Array(X.row(r)[3..<6])))
        }
        XCTAssertEqual(try JSONDecoder().decode(ModelwiseCalibration<TemperatureScaling>.self,
                                                from: JSONEncoder().encode(mw)), mw)
    }

    // MARK: reference data

    /// Mean over classes of the reference ECE.
    private func meanECE(_ P: Matrix, _ y: [Int]) -> Double {
        (0..<3).map { Metrics.expectedCalibrationError(probabilities: P, labels: y, class: $0) }.reduce(0, +) / 3
    }

    func testCalibrationOnMetaTrainLowersTestECEOfOverconfidentModel() throws {
        let ds = try SharedData.dataset(horizon: 5)
        let split = ChronologicalSplit(ds)
        let m = ds.models.firstIndex(of: "lgbm")!
        let P = ds.probabilities(ofModel: m), y = ds.classIndices
        let Ptr = P.selectingRows(split.train), ytr = split.train.map { y[$0] }
        let Pte = P.selectingRows(split.test), yte = split.test.map { y[$0] }
        let before = meanECE(Pte, yte)
        let ts = try TemperatureScaling(fitting: Ptr, labels: ytr)
        let iso = try IsotonicCalibrator(fitting: Ptr, labels: ytr)
        let afterT = meanECE(ts.apply(Pte), yte), afterI = meanECE(iso.apply(Pte), yte)
        print("h5 lgbm test mean ECE: raw \(before), temperature (T=\(ts.temperature)) \(afterT), isotonic \(afterI); "
              + "log-loss raw \(Metrics.logLoss(probabilities: Pte, labels: yte)) T \(Metrics.logLoss(probabilities: ts.apply(Pte), labels: yte)) "
              + "iso \(Metrics.logLoss(probabilities: iso.apply(Pte), labels: yte))")
        // Measured (h = 5, lgbm, 10 bins): raw 0.0851 → temperature 0.0528 (T = 6.51) → isotonic 0.0258.
        XCTAssertGreaterThan(ts.temperature, 1, "lgbm is over-confident: T must soften it")
        XCTAssertLessThan(afterT, before - 0.025)
        XCTAssertLessThan(afterI, before - 0.05)
        XCTAssertLessThan(Metrics.logLoss(probabilities: ts.apply(Pte), labels: yte),
                          Metrics.logLoss(probabilities: Pte, labels: yte))
    }
}
