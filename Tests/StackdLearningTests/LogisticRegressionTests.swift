import Foundation
import StackdCore
import XCTest
@testable import StackdLearning

final class LogisticRegressionTests: XCTestCase {
    /// Deterministic synthetic 3-class data with features on very different scales.
    func synthetic(rows: Int = 300, features: Int = 5) -> (Matrix, [Int]) {
        var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        func u() -> Double { rng.nextUnitInterval() }
        var X = Matrix(rows: rows, cols: features)
        var y = [Int](repeating: 0, count: rows)
        for i in 0..<rows {
            var s = 0.0
            for j in 0..<features {
                let v = (u() - 0.5) * Double(1 << (2 * j))  // scales 1, 4, 16, …
                X[i, j] = v
                s += v / Double(1 << (2 * j)) * Double(j % 2 == 0 ? 1 : -1)
            }
            let noise = u() - 0.5
            y[i] = s + noise < -0.3 ? 0 : (s + noise > 0.3 ? 2 : 1)
        }
        return (X, y)
    }

    func testGradientMatchesFiniteDifferences() {
        let (X, y) = synthetic(rows: 40, features: 4)
        let logits = UnsafeMutablePointer<Double>.allocate(capacity: 3)
        defer { logits.deallocate() }
        let scale: [Double] = [0.5, 2, 1, 3]
        X.storage.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                scale.withUnsafeBufferPointer { sb in
                    var obj = SoftmaxCrossEntropy(x: xb.baseAddress!, y: yb.baseAddress!, rows: 40, features: 4,
                                                  classes: 3, inverseC: 0.7, penaltyScale: sb.baseAddress, logits: logits)
                    var theta = (0..<15).map { sin(Double($0)) * 0.3 }
                    var g = [Double](repeating: 0, count: 15), gd = g
                    _ = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                    for i in 0..<15 {
                        let h = 1e-6
                        theta[i] += h
                        let fp = theta.withUnsafeBufferPointer { t in gd.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                        theta[i] -= 2 * h
                        let fm = theta.withUnsafeBufferPointer { t in gd.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                        theta[i] += h
                        XCTAssertEqual(g[i], (fp - fm) / (2 * h), accuracy: 1e-7, "component \(i)")
                    }
                }
            }
        }
    }

    /// The blocked BLAS objective on raw X (coordinates folded into θ) equals the scalar reference
    /// on the explicitly standardised copy, for block sizes that do and do not divide the rows.
    func testBlockedObjectiveMatchesScalarReference() {
        let (X, y) = synthetic(rows: 103, features: 5)
        let std = FeatureStandardization(fitting: X)
        let Xs = std.transform(X)
        let inv = std.scales.map { 1 / $0 }
        let n = 3 * 6
        let theta = (0..<n).map { cos(Double($0) * 1.3) * 0.4 }
        let logits = UnsafeMutablePointer<Double>.allocate(capacity: 3)
        defer { logits.deallocate() }
        for (precondition, standardize) in [(true, false), (false, false), (true, true)] {
            let ref = Xs.storage.withUnsafeBufferPointer { xs in
                X.storage.withUnsafeBufferPointer { xr in
                    y.withUnsafeBufferPointer { yb in
                        inv.withUnsafeBufferPointer { ib in
                            var g = [Double](repeating: 0, count: n)
                            var obj = SoftmaxCrossEntropy(x: precondition ? xs.baseAddress! : xr.baseAddress!,
                                                          y: yb.baseAddress!, rows: X.rows, features: 5, classes: 3,
                                                          inverseC: 0.7, penaltyScale: precondition && !standardize ? ib.baseAddress : nil,
                                                          logits: logits)
                            let v = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                            return (v, g)
                        }
                    }
                }
            }
            for block in [1, 7, 64, 103, 4096] {
                let got = X.storage.withUnsafeBufferPointer { xr in
                    y.withUnsafeBufferPointer { yb in
                        std.means.withUnsafeBufferPointer { mb in
                            inv.withUnsafeBufferPointer { ib in
                                var g = [Double](repeating: 0, count: n)
                                var obj = BlockedSoftmaxCrossEntropy(
                                    x: xr.baseAddress!, y: yb.baseAddress!, rows: X.rows, features: 5, classes: 3,
                                    inverseC: 0.7, means: precondition ? mb.baseAddress : nil,
                                    inverseScales: precondition ? ib.baseAddress : nil,
                                    penaltyScale: precondition && !standardize ? ib.baseAddress : nil, blockRows: block)
                                defer { obj.deallocate() }
                                // Twice: buffers are reused across evaluations.
                                _ = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                                let v = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                                return (v, g)
                            }
                        }
                    }
                }
                XCTAssertEqual(got.0, ref.0, accuracy: 1e-13 * abs(ref.0), "value, block \(block)")
                for i in 0..<n { XCTAssertEqual(got.1[i], ref.1[i], accuracy: 1e-12, "gradient \(i), block \(block)") }
            }
        }
    }

    /// A strided objective (every k-th row, read in place) equals the objective on a copy of
    /// exactly those rows.
    func testStridedObjectiveEqualsTheObjectiveOfTheCopiedRows() {
        let (X, y) = synthetic(rows: 103, features: 5)
        let std = FeatureStandardization(fitting: X)
        let inv = std.scales.map { 1 / $0 }
        let n = 3 * 6
        let theta = (0..<n).map { cos(Double($0) * 0.7) * 0.3 }
        func evaluate(_ x: Matrix, _ labels: [Int], rows: Int, stride: Int, block: Int) -> (Double, [Double]) {
            x.storage.withUnsafeBufferPointer { xr in
                labels.withUnsafeBufferPointer { yb in
                    std.means.withUnsafeBufferPointer { mb in
                        inv.withUnsafeBufferPointer { ib in
                            var g = [Double](repeating: 0, count: n)
                            var obj = BlockedSoftmaxCrossEntropy(
                                x: xr.baseAddress!, y: yb.baseAddress!, rows: rows, features: 5, classes: 3,
                                inverseC: 0.3, means: mb.baseAddress, inverseScales: ib.baseAddress,
                                penaltyScale: ib.baseAddress, blockRows: block, rowStride: stride)
                            defer { obj.deallocate() }
                            let v = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                            return (v, g)
                        }
                    }
                }
            }
        }
        for stride in [2, 3, 10] {
            let picked = Array(Swift.stride(from: 0, to: X.rows, by: stride))
            var copy = Matrix(rows: picked.count, cols: 5)
            for (r, i) in picked.enumerated() { for j in 0..<5 { copy[r, j] = X[i, j] } }
            let want = evaluate(copy, picked.map { y[$0] }, rows: picked.count, stride: 1, block: 4096)
            for block in [1, 4, 4096] {
                let got = evaluate(X, y, rows: picked.count, stride: stride, block: block)
                XCTAssertEqual(got.0, want.0, accuracy: 1e-14 * abs(want.0), "value, stride \(stride) block \(block)")
                for i in 0..<n { XCTAssertEqual(got.1[i], want.1[i], accuracy: 1e-13, "gradient \(i), stride \(stride) block \(block)") }
            }
        }
    }

    func testWarmStartStagesFollowTheRowCount() {
        let options = MultinomialLogisticRegression.Options()
        XCTAssertEqual(options.warmStartStrides(rows: 1_000_000), [512, 64, 8])
        XCTAssertEqual(options.warmStartStrides(rows: 100_000), [64, 8])
        XCTAssertEqual(options.warmStartStrides(rows: 10_000), [8])
        XCTAssertEqual(options.warmStartStrides(rows: 9_999), [])
        XCTAssertEqual(MultinomialLogisticRegression.Options(warmStartMinimumRows: 0).warmStartStrides(rows: 1_000_000), [])
    }

    /// Warm-starting from strided subsamples changes the route, not the destination: the same
    /// minimum (to far below the tolerance the reference comparisons use) with fewer passes over
    /// all rows.
    func testWarmStartReachesTheSameMinimumWithFewerFullPasses() throws {
        let (X, y) = synthetic(rows: 24_000, features: 6)
        var cold = MultinomialLogisticRegression.Options(warmStartMinimumRows: 0)
        cold.optimizer.gradientTolerance = 1e-9
        var warm = MultinomialLogisticRegression.Options(warmStartMinimumRows: 10_000, warmStartFactor: 4, minimumStageRows: 1_000)
        warm.optimizer.gradientTolerance = 1e-9
        let a = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 0.5, options: cold)
        let b = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 0.5, options: warm)
        XCTAssertTrue(a.report!.converged)
        XCTAssertTrue(b.report!.converged)
        XCTAssertNil(a.report!.warmStartEvaluations)
        XCTAssertEqual(b.report!.warmStartEvaluations?.count, 2, "stages at every 16th and every 4th row")
        let fa = a.objective(X: X, y: y), fb = b.objective(X: X, y: y)
        XCTAssertEqual(fb, fa, accuracy: 1e-10 * fa)
        XCTAssertLessThan(b.report!.evaluations, a.report!.evaluations, "fewer evaluations on all rows")
        let Pa = a.predictProbabilities(X), Pb = b.predictProbabilities(X)
        for i in Swift.stride(from: 0, to: X.rows, by: 97) { for c in 0..<3 { XCTAssertEqual(Pa[i, c], Pb[i, c], accuracy: 1e-6) } }
        print("warm start: \(a.report!.evaluations) full evaluations cold, \(b.report!.evaluations) warm after stages \(b.report!.warmStartEvaluations!)")
    }

    func testInterceptOnlyFitGivesClassFrequencies() throws {
        let y = [0, 0, 1, 2, 2, 2, 1, 0, 2, 2]
        let model = try MultinomialLogisticRegression.fit(X: Matrix(rows: y.count, cols: 0), y: y, classes: 3)
        XCTAssertTrue(model.report!.converged)
        let e = model.intercepts.map { Foundation.exp($0) }
        let p = e.map { $0 / e.reduce(0, +) }
        XCTAssertEqual(p[0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(p[1], 0.2, accuracy: 1e-6)
        XCTAssertEqual(p[2], 0.5, accuracy: 1e-6)
    }

    func testPreconditionedAndRawFitsReachTheSameMinimum() throws {
        let (X, y) = synthetic()
        let pre = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 0.5)
        let raw = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, C: 0.5,
                                                       options: .init(precondition: false))
        XCTAssertTrue(pre.report!.converged)
        XCTAssertTrue(raw.report!.converged)
        XCTAssertEqual(pre.objective(X: X, y: y), raw.objective(X: X, y: y), accuracy: 1e-8 * raw.objective(X: X, y: y))
        XCTAssertEqual(pre.report!.objective, pre.objective(X: X, y: y), accuracy: 1e-8 * pre.report!.objective)
        // Starting from zero keeps the softmax gauge: intercepts and weight columns sum to zero.
        XCTAssertEqual(pre.intercepts.reduce(0, +), 0, accuracy: 1e-9)
        let Pp = pre.predictProbabilities(X), Pr = raw.predictProbabilities(X)
        for i in 0..<X.rows { for c in 0..<3 { XCTAssertEqual(Pp[i, c], Pr[i, c], accuracy: 1e-5) } }
    }

    func testStandardizeOptionPenalisesStandardUnits() throws {
        let (X, y) = synthetic()
        let std = FeatureStandardization(fitting: X)
        let folded = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3, options: .init(standardize: true))
        let manual = try MultinomialLogisticRegression.fit(X: std.transform(X), y: y, classes: 3)
        let Pf = folded.predictProbabilities(X), Pm = manual.predictProbabilities(std.transform(X))
        for i in 0..<X.rows { for c in 0..<3 { XCTAssertEqual(Pf[i, c], Pm[i, c], accuracy: 1e-6) } }
        XCTAssertEqual(folded.objective(X: X, y: y), manual.objective(X: std.transform(X), y: y),
                       accuracy: 1e-7 * manual.objective(X: std.transform(X), y: y))
    }

    func testRowPredictionMatchesBatchAndIsStable() throws {
        let model = MultinomialLogisticRegression(coefficients: [[1000, 0], [0, 0], [-1000, 1]], intercepts: [0, 5, 0])
        var out = [Double](repeating: 0, count: 3)
        let row: [Double] = [2, 1]  // logits 2000, 5, -1999: exp would overflow without the max shift
        row.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { model.predictProbabilities(row: r, into: $0) } }
        XCTAssertEqual(out[0], 1, accuracy: 1e-15)
        XCTAssertTrue(out.allSatisfy { $0.isFinite })
        let batch = model.predictProbabilities(Matrix(rowArrays: [row, [0, 0]]))
        XCTAssertEqual(batch.row(0), out)
        XCTAssertEqual(batch.row(1).reduce(0, +), 1, accuracy: 1e-15)
        XCTAssertEqual([0.2, 0.5, 0.3].withUnsafeBufferPointer { Metrics.argmax($0) }, 1)
    }

    func testCodableRoundTrip() throws {
        let (X, y) = synthetic(rows: 60, features: 3)
        let model = try MultinomialLogisticRegression.fit(X: X, y: y, classes: 3)
        let data = try JSONEncoder().encode(model)
        let back = try JSONDecoder().decode(MultinomialLogisticRegression.self, from: data)
        XCTAssertEqual(back.classes, 3)
        XCTAssertEqual(back.report?.iterations, model.report?.iterations)
        let a = model.predictProbabilities(X), b = back.predictProbabilities(X)
        for i in 0..<X.rows { for c in 0..<3 { XCTAssertEqual(a[i, c], b[i, c], accuracy: 1e-12) } }
    }

    func testModelWeightsAndContributions() {
        // Two base models of 2 columns each plus one extra column.
        // model A mean|coef| = (1+1+0+0+2+2)/6 = 1; model B = (0+0+3+3+0+0)/6 = 1 → [0.5, 0.5]
        let model = MultinomialLogisticRegression(
            coefficients: [[1, 1, 0, 0, 9], [0, 0, 3, 3, 9], [2, 2, 0, 0, 9]], intercepts: [0.1, 0.2, 0.3])
        let groups = [[0, 1], [2, 3]]
        XCTAssertEqual(model.modelWeights(featureGroups: groups), [0.5, 0.5])
        let zero = MultinomialLogisticRegression(coefficients: [[0, 0], [0, 0]], intercepts: [0, 0])
        XCTAssertEqual(zero.modelWeights(featureGroups: [[0], [1]]), [0.5, 0.5])
        // Contributions of x = [1, 2, 3, 4, 5]: A → class k: W[k,0]+2W[k,1] = [3, 0, 6]; B → [0, 21, 0]
        let c = model.contributions(row: [1, 2, 3, 4, 5], featureGroups: groups)
        XCTAssertEqual(c, [[3, 0, 6], [0, 21, 0]])
    }

    func testFitRejectsBadInput() {
        let X = Matrix(rowArrays: [[1], [2]])
        XCTAssertThrowsError(try MultinomialLogisticRegression.fit(X: X, y: [0, 3], classes: 3)) {
            XCTAssertEqual($0 as? MultinomialLogisticRegression.FitError, .labelOutOfRange(row: 1, label: 3, classes: 3))
        }
        XCTAssertThrowsError(try MultinomialLogisticRegression.fit(X: X, y: [0], classes: 3))
        XCTAssertThrowsError(try MultinomialLogisticRegression.fit(X: X, y: [0, 1], classes: 3, C: 0))
    }
}
