import Foundation
import XCTest
import StackdCore
@testable import StackdLearning

/// The MLP meta-learner against scikit-learn's `MLPClassifier(solver="lbfgs")`
/// (fixture: scripts/fixtures/learning/make_mlp.py), finite differences and its own contracts.
///
/// Stated tolerances: at given weights the objective and probabilities agree with scikit-learn to
/// 1e-12 (same formula, different summation order). On the smooth, well-regularised cases
/// (`same_minimum`) a fit started from scikit-learn's starting weights reaches scikit-learn's
/// minimum to 1e-9 in the objective and 1e-5 in every probability (two L-BFGS implementations stop
/// at slightly different points of the same flat basin). On the others (ReLU's kinks, a weak
/// penalty) the objective has several stationary points and which one a solver reaches depends on
/// its line search; there the fit must reach a point as good as scikit-learn's to 1e-3.
final class MLPClassifierTests: XCTestCase {
    struct Weights: Decodable {
        let hidden_weights: [[Double]], hidden_biases: [Double], output_weights: [[Double]], output_biases: [Double]
        /// Flat parameter vector in `MLPParameterLayout` order.
        var parameters: [Double] { hidden_weights.flatMap { $0 } + hidden_biases + output_weights.flatMap { $0 } + output_biases }
    }
    struct Case: Decodable {
        let name: String, same_minimum: Bool, activation: String, hidden: Int, alpha: Double
        let initial: Weights, initial_objective: Double, fitted: Weights, loss: Double, iterations: Int
        let proba_train: [[Double]], proba_test: [[Double]]
        var mlpActivation: MLPActivation { MLPActivation(rawValue: activation)! }
    }
    struct Rows: Decodable { let X: [[Double]], y: [Int] }
    struct Fixture: Decodable { let train: Rows, test: Rows, cases: [Case] }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/fixtures/learning/mlp_fixture.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()
    var fx: Fixture { Self.fixture }
    var Xtr: Matrix { Matrix(rowArrays: fx.train.X) }
    var Xte: Matrix { Matrix(rowArrays: fx.test.X) }

    func model(_ w: Weights, _ c: Case) throws -> MLPClassifier {
        try MLPClassifier(parameters: w.parameters, layout: MLPParameterLayout(features: 5, hidden: c.hidden, classes: 3),
                          activation: c.mlpActivation, alpha: c.alpha)
    }

    static func maxAbsDifference(_ P: Matrix, _ Q: [[Double]]) -> Double {
        var m = 0.0
        for i in 0..<P.rows { for k in 0..<P.cols { m = max(m, abs(P[i, k] - Q[i][k])) } }
        return m
    }

    // MARK: against scikit-learn

    func testFixtureHasThreeCasesOnThreeClasses() {
        XCTAssertEqual(fx.cases.map(\.name), ["tanh_h6_alpha1", "tanh_h10_alpha3", "relu_h8_alpha3", "tanh_h4_alpha0.01"])
        XCTAssertEqual(fx.cases.map(\.same_minimum), [true, true, false, false])
        XCTAssertEqual(Set(fx.train.y), [0, 1, 2])
        XCTAssertEqual(fx.train.X.count, 240)
    }

    func testObjectiveAtStartingWeightsMatchesNumpy() throws {
        for c in fx.cases {
            let value = try model(c.initial, c).objective(X: Xtr, y: fx.train.y).value
            XCTAssertEqual(value, c.initial_objective, accuracy: 1e-12 * c.initial_objective, c.name)
        }
    }

    func testObjectivePredictionsAndStationarityAtScikitLearnSolution() throws {
        for c in fx.cases {
            let m = try model(c.fitted, c)
            let (value, gradient) = m.objective(X: Xtr, y: fx.train.y)
            XCTAssertEqual(value, c.loss, accuracy: 1e-12 * c.loss, c.name)
            // scikit-learn ran to gtol 1e-10 (its line search ends a little earlier, ~1e-8): its point is stationary for our gradient too
            // (ReLU's is a kink, where neither gradient vanishes).
            if c.activation == "tanh" { XCTAssertLessThan(gradient.map(abs).max()!, 1e-7, c.name) }
            XCTAssertLessThan(Self.maxAbsDifference(m.predictProbabilities(Xtr), c.proba_train), 1e-12, c.name)
            XCTAssertLessThan(Self.maxAbsDifference(m.predictProbabilities(Xte), c.proba_test), 1e-12, c.name)
        }
    }

    func testFitFromScikitLearnStartReachesItsMinimum() throws {
        for c in fx.cases {
            let options = MLPClassifier.Options(
                hiddenUnits: c.hidden, activation: c.mlpActivation, alpha: c.alpha,
                optimizer: LBFGS.Options(gradientTolerance: 1e-10, relativeDecreaseTolerance: 0, maxIterations: 20_000))
            let m = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options,
                                          initialParameters: c.initial.parameters)
            let report = try XCTUnwrap(m.report)
            XCTAssertEqual(m.objective(X: Xtr, y: fx.train.y).value, report.objective, accuracy: 1e-14, c.name)
            guard c.same_minimum else {
                XCTAssertEqual(report.objective, c.loss, accuracy: 1e-3, c.name)
                continue
            }
            XCTAssertTrue(report.converged, c.name)
            XCTAssertEqual(report.objective, c.loss, accuracy: 1e-9, c.name)
            XCTAssertLessThan(Self.maxAbsDifference(m.predictProbabilities(Xtr), c.proba_train), 1e-5, c.name)
            XCTAssertLessThan(Self.maxAbsDifference(m.predictProbabilities(Xte), c.proba_test), 1e-5, c.name)
        }
    }

    // MARK: gradient

    /// Central differences of the mean objective, with and without the standardisation folding.
    func testGradientMatchesFiniteDifferences() throws {
        let X = Xtr, y = fx.train.y
        let std = FeatureStandardization(fitting: X)
        let inverse = std.scales.map { 1 / $0 }
        for c in fx.cases {
            for standardized in [false, true] {
                let layout = MLPParameterLayout(features: 5, hidden: c.hidden, classes: 3)
                let theta = c.initial.parameters
                let (analytic, numeric) = X.storage.withUnsafeBufferPointer { xb in
                    y.withUnsafeBufferPointer { yb in
                        std.means.withUnsafeBufferPointer { mb in
                            inverse.withUnsafeBufferPointer { sb in
                                var obj = MLPCrossEntropy(x: xb.baseAddress!, y: yb.baseAddress!, rows: X.rows, layout: layout,
                                                          activation: c.mlpActivation, alpha: c.alpha,
                                                          means: standardized ? mb.baseAddress : nil,
                                                          inverseScales: standardized ? sb.baseAddress : nil, blockRows: 64)
                                defer { obj.deallocate() }
                                var g = [Double](repeating: 0, count: layout.count), scratch = g
                                func f(_ t: [Double]) -> Double {
                                    t.withUnsafeBufferPointer { tb in scratch.withUnsafeMutableBufferPointer { obj.evaluate(tb, gradient: $0) } }
                                }
                                _ = theta.withUnsafeBufferPointer { tb in g.withUnsafeMutableBufferPointer { obj.evaluate(tb, gradient: $0) } }
                                var n = g
                                let h = 1e-6
                                for i in 0..<layout.count {
                                    var p = theta, m = theta
                                    p[i] += h; m[i] -= h
                                    n[i] = (f(p) - f(m)) / (2 * h)
                                }
                                return (g, n)
                            }
                        }
                    }
                }
                for i in analytic.indices {
                    XCTAssertEqual(analytic[i], numeric[i], accuracy: 1e-7 * max(1, abs(numeric[i])),
                                   "\(c.name) standardized=\(standardized) parameter \(i)")
                }
            }
        }
    }

    /// Block size changes only the order of summation.
    func testBlockSizeDoesNotChangeTheObjective() throws {
        let c = fx.cases[0], X = Xtr, y = fx.train.y
        let layout = MLPParameterLayout(features: 5, hidden: c.hidden, classes: 3)
        var values: [Double] = []
        for block in [1, 7, 64, 4096] {
            values.append(X.storage.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    var obj = MLPCrossEntropy(x: xb.baseAddress!, y: yb.baseAddress!, rows: X.rows, layout: layout,
                                              activation: .tanh, alpha: c.alpha, means: nil, inverseScales: nil, blockRows: block)
                    defer { obj.deallocate() }
                    var g = [Double](repeating: 0, count: layout.count)
                    return c.initial.parameters.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { obj.evaluate(t, gradient: $0) } }
                }
            })
        }
        for v in values { XCTAssertEqual(v, c.initial_objective, accuracy: 1e-12) }
    }

    // MARK: determinism, standardisation, early stopping

    func testSameSeedGivesIdenticalModelAndSeedsDiffer() throws {
        let options = MLPClassifier.Options(hiddenUnits: 5, activation: .relu, alpha: 1, standardize: true, seed: 7)
        let a = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options)
        let b = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options)
        XCTAssertEqual(a, b)
        var other = options
        other.seed = 8
        let c = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: other)
        XCTAssertNotEqual(a.parameters, c.parameters)
    }

    /// The first draws of SplitMix64 from seed 0 (published reference values) and the Glorot bound.
    func testInitialisationIsSplitMix64GlorotUniform() {
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        let layout = MLPParameterLayout(features: 4, hidden: 2, classes: 3)
        let theta = MLPInitialization.glorotUniform(layout: layout, activation: .tanh, seed: 0)
        XCTAssertEqual(theta.count, 4 * 2 + 2 + 2 * 3 + 3)
        // First weight: (2u − 1)·√(6/6) with u the top 53 bits of 0xE220A8397B1DCDAF.
        let u = Double(UInt64(0xE220_A839_7B1D_CDAF) >> 11) / 9_007_199_254_740_992
        XCTAssertEqual(theta[0], 2 * u - 1, accuracy: 1e-15)
        for v in theta[layout.outputWeights] { XCTAssertLessThanOrEqual(abs(v), (6.0 / 5).squareRoot()) }
    }

    /// Standardising is the same fit on a standardised copy of X, folded back into raw units.
    func testStandardizedFitEqualsFitOnStandardizedCopy() throws {
        let X = Xtr, std = FeatureStandardization(fitting: X)
        var Xs = X
        Xs.withUnsafeMutableStorage { s in
            for i in 0..<X.rows { for j in 0..<X.cols { s[i * X.cols + j] = (s[i * X.cols + j] - std.means[j]) / std.scales[j] } }
        }
        let base = MLPClassifier.Options(hiddenUnits: 4, activation: .tanh, alpha: 0.5, seed: 3,
                                         optimizer: LBFGS.Options(gradientTolerance: 1e-9, maxIterations: 2000))
        var folded = base
        folded.standardize = true
        let a = try MLPClassifier.fit(X: X, y: fx.train.y, classes: 3, options: folded)
        let b = try MLPClassifier.fit(X: Xs, y: fx.train.y, classes: 3, options: base)
        XCTAssertEqual(a.report!.objective, b.report!.objective, accuracy: 1e-10)
        let pa = a.predictProbabilities(Xte)
        var Xtes = Xte
        Xtes.withUnsafeMutableStorage { s in
            for i in 0..<Xte.rows { for j in 0..<Xte.cols { s[i * Xte.cols + j] = (s[i * Xte.cols + j] - std.means[j]) / std.scales[j] } }
        }
        let pb = b.predictProbabilities(Xtes)
        for i in 0..<pa.rows { for k in 0..<3 { XCTAssertEqual(pa[i, k], pb[i, k], accuracy: 1e-6) } }
    }

    /// With unlimited patience, checking every iteration keeps the best point of the very same
    /// L-BFGS path the un-checked fit takes (the chunked runs share the curvature history).
    func testEarlyStoppingKeepsTheBestValidationPointOfTheSamePath() throws {
        let c = fx.cases[3]
        var options = MLPClassifier.Options(hiddenUnits: c.hidden, activation: .tanh, alpha: c.alpha,
                                            optimizer: LBFGS.Options(gradientTolerance: 1e-8, maxIterations: 300))
        let plain = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options, initialParameters: c.initial.parameters)
        options.validationInterval = 1
        options.validationPatience = 1_000_000
        let checked = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options,
                                            validation: (Xte, fx.test.y), initialParameters: c.initial.parameters)
        let r = try XCTUnwrap(checked.report)
        XCTAssertEqual(r.iterations, plain.report!.iterations)
        XCTAssertFalse(r.stoppedEarly)
        XCTAssertEqual(r.validationRows, fx.test.y.count)
        let checkedLoss = Metrics.logLoss(probabilities: checked.predictProbabilities(Xte), labels: fx.test.y)
        let plainLoss = Metrics.logLoss(probabilities: plain.predictProbabilities(Xte), labels: fx.test.y)
        XCTAssertEqual(try XCTUnwrap(r.validationLogLoss), checkedLoss, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(checkedLoss, plainLoss)
        // Tiny alpha overfits on 240 rows: the best validation point comes before the end.
        XCTAssertLessThan(try XCTUnwrap(r.bestIteration), r.iterations)
        XCTAssertLessThan(checkedLoss, plainLoss)
    }

    func testEarlyStoppingStopsAfterPatienceRunsOut() throws {
        let c = fx.cases[3]
        var options = MLPClassifier.Options(hiddenUnits: c.hidden, activation: .tanh, alpha: c.alpha,
                                            optimizer: LBFGS.Options(gradientTolerance: 1e-8, maxIterations: 2000))
        options.validationInterval = 5
        options.validationPatience = 3
        let m = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: options,
                                      validation: (Xte, fx.test.y), initialParameters: c.initial.parameters)
        let r = try XCTUnwrap(m.report)
        XCTAssertTrue(r.stoppedEarly)
        XCTAssertEqual(r.iterations, try XCTUnwrap(r.bestIteration) + 3 * 5)
    }

    // MARK: contracts

    func testRowPredictionEqualsMatrixPredictionAndSumsToOne() throws {
        let m = try model(fx.cases[2].fitted, fx.cases[2])
        let P = m.predictProbabilities(Xte)
        var out = [Double](repeating: 0, count: 3), scratch = [Double](repeating: .nan, count: m.hiddenUnits)
        for i in 0..<Xte.rows {
            Xte.withRow(i) { row in
                scratch.withUnsafeMutableBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { m.predictProbabilities(row: row, hiddenScratch: s, into: $0) }
                }
            }
            XCTAssertEqual(out, P.row(i))
            XCTAssertEqual(out.reduce(0, +), 1, accuracy: 1e-15)
        }
    }

    func testCodableRoundTripAndDamagedArtifactsAreErrors() throws {
        let c = fx.cases[0]
        let m = try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3,
                                      options: .init(hiddenUnits: c.hidden, activation: .tanh, alpha: c.alpha, standardize: true))
        let data = try JSONEncoder().encode(m)
        XCTAssertEqual(try JSONDecoder().decode(MLPClassifier.self, from: data), m)

        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["outputBiases"] = [0.1, 0.2]  // K = 2 disagrees with the 6×3 output weights
        XCTAssertThrowsError(try JSONDecoder().decode(MLPClassifier.self, from: JSONSerialization.data(withJSONObject: object))) {
            XCTAssertTrue($0 is DecodingError, "\($0)")
        }
        object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["hiddenUnits"] = 7
        XCTAssertThrowsError(try JSONDecoder().decode(MLPClassifier.self, from: JSONSerialization.data(withJSONObject: object)))
        object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["activation"] = "sigmoid"
        XCTAssertThrowsError(try JSONDecoder().decode(MLPClassifier.self, from: JSONSerialization.data(withJSONObject: object)))
    }

    /// A fit under a cancelled token (the daemon is stopping) ends before its first step.
    func testCancelledTokenEndsTheFit() throws {
        let token = TrainingCancellation()
        token.cancel()
        let m = try token.withCurrent {
            try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, validation: (Xte, fx.test.y))
        }
        XCTAssertEqual(m.report?.termination, .cancelled)
        XCTAssertEqual(m.report?.iterations, 0)
    }

    func testBadInputIsAnError() {
        var X = Xtr
        X[3, 2] = .nan
        XCTAssertThrowsError(try MLPClassifier.fit(X: X, y: fx.train.y, classes: 3)) {
            XCTAssertEqual($0 as? MLPClassifier.FitError, .nonFiniteFeature(row: 3, column: 2))
        }
        var y = fx.train.y
        y[5] = 3
        XCTAssertThrowsError(try MLPClassifier.fit(X: Xtr, y: y, classes: 3)) {
            XCTAssertEqual($0 as? MLPClassifier.FitError, .labelOutOfRange(row: 5, label: 3, classes: 3))
        }
        XCTAssertThrowsError(try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: .init(hiddenUnits: 0)))
        XCTAssertThrowsError(try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, options: .init(alpha: -1)))
        XCTAssertThrowsError(try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, initialParameters: [1, 2]))
        XCTAssertThrowsError(try MLPClassifier.fit(X: Xtr, y: fx.train.y, classes: 3, validation: (Xte.selectingColumns([0]), fx.test.y)))
        XCTAssertThrowsError(try MLPClassifier.fit(X: Matrix(rows: 2, cols: 0), y: [0, 1], classes: 3))
    }
}
