import XCTest
@testable import StackdLearning

/// Conformance against the offline Python reference (`../shared/reference`): same split, same
/// objective minimum, same test probabilities and metrics.
final class ReferenceConformanceTests: XCTestCase {
    /// Relative objective slack: ours must be ≤ reference·(1 + 1e-6).
    let objectiveSlack = 1e-6

    func checkObjective(_ model: MultinomialLogisticRegression, X: Matrix, y: [Int], reference: Double,
                        _ label: String) {
        let ours = model.objective(X: X, y: y)
        XCTAssertEqual(ours, model.report!.objective, accuracy: 1e-6 * abs(ours), "\(label): reported objective")
        XCTAssertLessThanOrEqual(ours, reference * (1 + objectiveSlack), "\(label): objective above reference")
        XCTAssertEqual(ours, reference, accuracy: objectiveSlack * reference, "\(label): objective differs")
        XCTAssertTrue(model.report!.converged, "\(label): did not converge")
        print("[conformance] \(label): objective \(ours) reference \(reference) diff \(ours - reference) " +
              "rel \((ours - reference) / reference) iterations \(model.report!.iterations)")
    }

    func testBasicFeatureSetAllHorizons() throws {
        for h in [5, 10, 15, 20] {
            let ds = try SharedReference.dataset(horizon: h)
            XCTAssertEqual(ds.models, ["lgbm", "logreg", "mlp", "xgb"])
            let split = ChronologicalSplit(ds)
            let X = ds.basicFeatures(), y = ds.classIndices
            let Xtr = X.selectingRows(split.train), ytr = split.train.map { y[$0] }
            let Xte = X.selectingRows(split.test), yte = split.test.map { y[$0] }
            let allFwd = ds.forwardReturns
        let fwd = split.test.map { allFwd[$0] }
            let info = try SharedReference.json("reference/reference_results.json") as! [String: Any]
            let hinfo = (info["\(h)"] as! [String: Any])["info"] as! [String: Any]
            XCTAssertEqual(split.train.count, hinfo["n_train"] as? Int, "h=\(h) n_train")
            XCTAssertEqual(split.test.count, hinfo["n_test"] as? Int, "h=\(h) n_test")
            XCTAssertEqual(CivilDate.dateString(epochNanoseconds: split.cutTimestamp), hinfo["cut_timestamp"] as? String)

            let ref = try SharedReference.referenceLR(horizon: h, tag: "basic")
            let model = try MultinomialLogisticRegression.fit(X: Xtr, y: ytr, classes: 3, C: 1)
            checkObjective(model, X: Xtr, y: ytr, reference: ref.objective, "h=\(h) basic")

            let lr = EvaluationReport(probabilities: model.predictProbabilities(Xte), labels: yte,
                                      forwardReturns: fwd, horizon: h)
            assertMatchesReference(lr, try SharedReference.referenceMetrics(horizon: h, method: "LR meta (basic, F=12)"),
                                   "h=\(h) LR basic")
            let avg = EvaluationReport(probabilities: ds.averageProbabilities().selectingRows(split.test), labels: yte,
                                       forwardReturns: fwd, horizon: h)
            assertMatchesReference(avg, try SharedReference.referenceMetrics(horizon: h, method: "simple average"),
                                   "h=\(h) average")
            for (m, name) in ds.models.enumerated() {
                let r = EvaluationReport(probabilities: ds.probabilities(ofModel: m).selectingRows(split.test),
                                         labels: yte, forwardReturns: fwd, horizon: h)
                assertMatchesReference(r, try SharedReference.referenceMetrics(horizon: h, method: "single:\(name)"),
                                       "h=\(h) single:\(name)")
            }
        }
    }

    func testExtendedFeatureSetH5() throws {
        let h = 5
        let ds = try SharedReference.dataset(horizon: h, regimes: true)
        let golden = try SharedReference.keyedMatrix("reference/golden/features_ext_h5.csv")
        XCTAssertEqual(golden.X.rows, ds.events.count)
        XCTAssertEqual(golden.X.cols, 35)
        for (i, e) in ds.events.enumerated() where i % 997 == 0 || i == ds.events.count - 1 {
            XCTAssertEqual(golden.keys[i].0, CivilDate.dateString(epochNanoseconds: e.timestamp))
            XCTAssertEqual(golden.keys[i].1, e.symbol)
            XCTAssertEqual(golden.X[i, 33], Double(e.volRegime!))
            XCTAssertEqual(golden.X[i, 34], Double(e.trendRegime!))
        }
        let split = ChronologicalSplit(ds)
        let y = ds.classIndices
        let ytr = split.train.map { y[$0] }, yte = split.test.map { y[$0] }
        let allFwd = ds.forwardReturns
        let fwd = split.test.map { allFwd[$0] }
        let probsCSV = try SharedReference.keyedMatrix("reference/golden/meta_test_probs_h5.csv")
        XCTAssertEqual(probsCSV.X.rows, split.test.count)
        let extCols = Array(probsCSV.header.indices.filter { probsCSV.header[$0].hasPrefix("lr_ext_") }).map { $0 - 2 }
        XCTAssertEqual(extCols.count, 3)

        for (tag, cols) in [("ext", Array(0..<33)), ("ext+regime", Array(0..<35))] {
            let X = golden.X.selectingColumns(cols)
            let Xtr = X.selectingRows(split.train), Xte = X.selectingRows(split.test)
            let ref = try SharedReference.referenceLR(horizon: h, tag: tag)
            let model = try MultinomialLogisticRegression.fit(X: Xtr, y: ytr, classes: 3, C: 1)
            checkObjective(model, X: Xtr, y: ytr, reference: ref.objective, "h=5 \(tag)")
            let P = model.predictProbabilities(Xte)
            if tag == "ext" {
                var worst = 0.0
                for i in 0..<P.rows { for c in 0..<3 { worst = max(worst, abs(P[i, c] - probsCSV.X[i, extCols[c]])) } }
                XCTAssertLessThan(worst, 1e-4, "h=5 ext: worst test-probability difference")
                print("[conformance] h=5 ext: worst |Δp| on test rows = \(worst)")
                let r = EvaluationReport(probabilities: P, labels: yte, forwardReturns: fwd, horizon: h)
                assertMatchesReference(r, try SharedReference.referenceMetrics(horizon: h, method: "LR meta (ext, F=33)"),
                                       "h=5 LR ext")
            }
        }
        let avg = EvaluationReport(probabilities: ds.averageProbabilities().selectingRows(split.test), labels: yte,
                                   forwardReturns: fwd, horizon: h)
        assertMatchesReference(avg, try SharedReference.referenceMetrics(horizon: h, method: "simple average"), "h=5 average")
    }
}
