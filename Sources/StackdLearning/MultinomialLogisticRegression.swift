#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fitted multinomial (softmax) logistic regression: the logistic stacking meta-learner.
///
/// The fit minimises exactly scikit-learn's `LogisticRegression(solver="lbfgs")` objective,
/// `Σ_i −ln p_{y_i} + ½·(1/C)·‖W‖²_F` with unpenalised intercepts, so a model trained here can be
/// checked number-for-number against the offline research code. Coefficients are stored in raw
/// feature units (any standardisation is folded in), which keeps live prediction one dot product
/// per class and allocation-free.
public struct MultinomialLogisticRegression: Sendable, Equatable, Codable {
    /// Fit settings.
    public struct Options: Sendable, Equatable, Codable {
        /// Standardise features on the training rows before fitting and penalise the weights in
        /// standard units (a different objective from scikit-learn's raw-feature one).
        public var standardize: Bool
        /// Solve in centred, scaled coordinates while keeping the penalty in raw units: the same
        /// objective and minimiser, but far better conditioned for L-BFGS (an order of magnitude
        /// fewer iterations on the mixed-scale stacking features). The gradient tolerance then
        /// applies to the gradient in those coordinates.
        public var precondition: Bool
        /// Optimiser settings (defaults: history 10, gtol 1e-8, 10 000 iterations).
        public var optimizer: LBFGS.Options
        /// Warm start on strided subsamples when there are at least this many rows (0 = never).
        ///
        /// The fit first solves the same penalised objective on every `warmStartFactor`-th row
        /// (then every `warmStartFactor`²-th, … down to about `minimumStageRows`), coarsest first,
        /// with the penalty scaled to the subsample so its minimiser estimates the full one. Each
        /// stage hands the next its solution and its L-BFGS curvature pairs, so the full-data run
        /// starts near the optimum with a good Hessian model and needs a few passes over X instead
        /// of ten. The minimiser and the stopping rule are those of the full objective: only the
        /// route there changes. Strided (not leading) rows keep every period of a time-ordered
        /// window in each stage.
        public var warmStartMinimumRows: Int
        /// Row stride between consecutive warm-start stages (≥ 2).
        public var warmStartFactor: Int
        /// Smallest warm-start stage, in rows.
        public var minimumStageRows: Int

        public init(standardize: Bool = false, precondition: Bool = true,
                    optimizer: LBFGS.Options = LBFGS.Options(),
                    warmStartMinimumRows: Int = 10_000, warmStartFactor: Int = 8, minimumStageRows: Int = 1_000) {
            self.standardize = standardize
            self.precondition = precondition
            self.optimizer = optimizer
            self.warmStartMinimumRows = warmStartMinimumRows
            self.warmStartFactor = warmStartFactor
            self.minimumStageRows = minimumStageRows
        }

        /// Row strides of the warm-start stages for `rows` rows, coarsest first (empty: none).
        public func warmStartStrides(rows: Int) -> [Int] {
            guard warmStartMinimumRows > 0, rows >= warmStartMinimumRows, warmStartFactor >= 2 else { return [] }
            var strides: [Int] = []
            var stride = warmStartFactor
            while rows / stride >= max(1, minimumStageRows) {
                strides.append(stride)
                stride *= warmStartFactor
            }
            return strides.reversed()
        }
    }

    /// How the fit went: the artifact keeps it so a bad retrain is visible later.
    public struct FitReport: Sendable, Equatable, Codable {
        /// L-BFGS iterations taken.
        public var iterations: Int
        /// Objective/gradient evaluations on all rows.
        public var evaluations: Int
        /// Evaluations on the warm-start subsamples, per stage coarsest first (nil: no warm start).
        public var warmStartEvaluations: [Int]?
        /// True when a tolerance stopped the optimiser (not the iteration cap or a line-search failure).
        public var converged: Bool
        /// Why the optimiser stopped.
        public var termination: LBFGS.Termination
        /// Un-normalised objective `Σ −ln p_y + ½(1/C)‖W‖²` at the solution (in the fitted feature units).
        public var objective: Double
        /// Largest component of the gradient of the mean objective at the solution.
        public var gradientMaxAbs: Double
        /// Training rows.
        public var rows: Int
    }

    /// Errors for inputs that cannot be fitted.
    public enum FitError: Error, Equatable, Sendable {
        case labelCountMismatch(rows: Int, labels: Int)
        case labelOutOfRange(row: Int, label: Int, classes: Int)
        case invalidParameter(String)
        case nonFiniteFeature(row: Int, column: Int)
    }

    /// Number of classes K.
    public let classes: Int
    /// Number of features F.
    public let features: Int
    /// Inverse regularisation strength used in the fit.
    public let C: Double
    /// K×F weights in raw feature units, row-major by class.
    public let weights: [Double]
    /// K intercepts in raw feature units.
    public let biases: [Double]
    /// The standardisation the penalty was applied in, if any (already folded into `weights`).
    public let standardization: FeatureStandardization?
    /// Diagnostics of the fit that produced this model (nil for models built from coefficients).
    public let report: FitReport?

    /// Builds a model from known coefficients (e.g. loaded from a reference or an artifact).
    public init(coefficients: [[Double]], intercepts: [Double], C: Double = 1,
                standardization: FeatureStandardization? = nil, report: FitReport? = nil) {
        precondition(!coefficients.isEmpty && coefficients.count == intercepts.count, "K mismatch")
        let f = coefficients[0].count
        precondition(coefficients.allSatisfy { $0.count == f }, "ragged coefficient rows")
        self.classes = coefficients.count
        self.features = f
        self.C = C
        self.weights = coefficients.flatMap { $0 }
        self.biases = intercepts
        self.standardization = standardization
        self.report = report
    }

    /// K×F coefficients (raw feature units), one array per class.
    public var coefficients: [[Double]] {
        (0..<classes).map { k in Array(weights[(k * features)..<((k + 1) * features)]) }
    }

    /// K intercepts (raw feature units).
    public var intercepts: [Double] { biases }

    // MARK: fitting

    /// Fits on `X` (rows × F) with labels `y` ∈ 0..<classes, starting from zero coefficients as
    /// scikit-learn does (which also keeps intercepts and weight columns summing to zero).
    public static func fit(X: Matrix, y: [Int], classes: Int, C: Double = 1,
                           options: Options = Options()) throws -> MultinomialLogisticRegression {
        guard X.rows == y.count else { throw FitError.labelCountMismatch(rows: X.rows, labels: y.count) }
        guard classes >= 2 else { throw FitError.invalidParameter("classes must be ≥ 2, got \(classes)") }
        guard C > 0 && C.isFinite else { throw FitError.invalidParameter("C must be positive and finite, got \(C)") }
        guard X.rows > 0 else { throw FitError.invalidParameter("no training rows") }
        for (i, v) in y.enumerated() where v < 0 || v >= classes {
            throw FitError.labelOutOfRange(row: i, label: v, classes: classes)
        }
        if let bad = X.storage.withUnsafeBufferPointer({ firstNonFinite($0) }) {
            throw FitError.nonFiniteFeature(row: bad / X.cols, column: bad % X.cols)
        }
        let F = X.cols
        let std = options.standardize ? FeatureStandardization(fitting: X) : nil
        // Solver coordinates x̃ = (x − μ)/σ, folded into the objective's coefficients (no copy of X).
        let coordinates = std ?? (options.precondition ? FeatureStandardization(fitting: X) : nil)
        let inverseScales: [Double]? = coordinates.map { $0.scales.map { 1 / $0 } }
        // Penalty factor per feature in the solver's coordinates: raw-unit weights are θ/σ.
        let penaltyScale: [Double]? = (std == nil) ? inverseScales : nil

        var theta = [Double](repeating: 0, count: classes * (F + 1))
        let strides = options.warmStartStrides(rows: X.rows)
        var stageEvaluations: [Int] = []
        let result: LBFGS.Result
        let objectiveValue: Double
        (result, objectiveValue) = X.storage.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                (coordinates?.means ?? []).withUnsafeBufferPointer { mb in
                    (inverseScales ?? []).withUnsafeBufferPointer { sb in
                        (penaltyScale ?? []).withUnsafeBufferPointer { ps in
                            var obj = BlockedSoftmaxCrossEntropy(
                                x: xb.baseAddress!, y: yb.baseAddress!, rows: X.rows, features: F, classes: classes,
                                inverseC: 1 / C,
                                means: coordinates == nil ? nil : mb.baseAddress,
                                inverseScales: inverseScales == nil ? nil : sb.baseAddress,
                                penaltyScale: penaltyScale == nil ? nil : ps.baseAddress)
                            defer { obj.deallocate() }
                            var history = LBFGS.CorrectionHistory()
                            for stride in strides {
                                let n = (X.rows + stride - 1) / stride
                                var stage = BlockedSoftmaxCrossEntropy(
                                    x: xb.baseAddress!, y: yb.baseAddress!, rows: n, features: F, classes: classes,
                                    inverseC: Double(n) / Double(X.rows) / C,
                                    means: coordinates == nil ? nil : mb.baseAddress,
                                    inverseScales: inverseScales == nil ? nil : sb.baseAddress,
                                    penaltyScale: penaltyScale == nil ? nil : ps.baseAddress, rowStride: stride)
                                defer { stage.deallocate() }
                                let r = LBFGS(options: options.optimizer).minimize(&stage, x: &theta, history: &history)
                                stageEvaluations.append(r.evaluations)
                            }
                            let r = LBFGS(options: options.optimizer).minimize(&obj, x: &theta, history: &history)
                            return (r, r.value * Double(X.rows))
                        }
                    }
                }
            }
        }
        // Unpack (K, F+1) and fold the standardisation back into raw units.
        var w = [Double](repeating: 0, count: classes * F)
        var b = [Double](repeating: 0, count: classes)
        for k in 0..<classes {
            var bias = theta[k * (F + 1) + F]
            for j in 0..<F {
                var wkj = theta[k * (F + 1) + j]
                if let s = coordinates {
                    wkj /= s.scales[j]
                    bias -= wkj * s.means[j]
                }
                w[k * F + j] = wkj
            }
            b[k] = bias
        }
        let report = FitReport(iterations: result.iterations, evaluations: result.evaluations,
                               warmStartEvaluations: strides.isEmpty ? nil : stageEvaluations,
                               converged: result.converged, termination: result.termination,
                               objective: objectiveValue, gradientMaxAbs: result.gradientMaxAbs, rows: X.rows)
        return MultinomialLogisticRegression(classes: classes, features: F, C: C, weights: w, biases: b,
                                             standardization: std, report: report)
    }

    /// Index of the first non-finite element, scanning in blocks with a vectorisable test.
    private static func firstNonFinite(_ s: UnsafeBufferPointer<Double>) -> Int? {
        let n = s.count, p = s.baseAddress!
        var start = 0
        while start < n {
            let end = min(n, start + 4096)
            // NaN and ±inf are exactly the values whose exponent bits are all ones (an OR-reduction).
            var bad: UInt64 = 0
            var i = start
            while i < end { bad |= (p[i].bitPattern & 0x7FF0_0000_0000_0000) == 0x7FF0_0000_0000_0000 ? 1 : 0; i += 1 }
            if bad != 0 { for i in start..<end where !p[i].isFinite { return i } }
            start = end
        }
        return nil
    }

    private init(classes: Int, features: Int, C: Double, weights: [Double], biases: [Double],
                 standardization: FeatureStandardization?, report: FitReport?) {
        self.classes = classes; self.features = features; self.C = C
        self.weights = weights; self.biases = biases
        self.standardization = standardization; self.report = report
    }

    // MARK: prediction

    /// Class probabilities for one feature row, written into `out` (count ≥ `classes`).
    /// Allocates nothing: this is the live hot path.
    @inlinable
    public func predictProbabilities(row: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == features && out.count >= classes, "predictProbabilities: bad buffer sizes")
        let F = features, K = classes
        weights.withUnsafeBufferPointer { wb in
            biases.withUnsafeBufferPointer { bb in
                let x = row.baseAddress!, w = wb.baseAddress!, o = out.baseAddress!
                var zmax = -Double.infinity
                var k = 0
                while k < K {
                    let wk = w + k * F
                    var z = bb[k]
                    var j = 0
                    while j < F { z += wk[j] * x[j]; j += 1 }
                    o[k] = z
                    if z > zmax { zmax = z }
                    k += 1
                }
                var sum = 0.0
                k = 0
                while k < K { let e = exp(o[k] - zmax); o[k] = e; sum += e; k += 1 }
                let inv = 1 / sum
                k = 0
                while k < K { o[k] *= inv; k += 1 }
            }
        }
    }

    /// Class probabilities for every row of `X` (rows × classes).
    public func predictProbabilities(_ X: Matrix) -> Matrix {
        precondition(X.cols == features, "expected \(features) columns, got \(X.cols)")
        var out = Matrix(rows: X.rows, cols: classes)
        let K = classes, F = features
        X.storage.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableStorage { ob in
                for r in 0..<X.rows {
                    predictProbabilities(row: UnsafeBufferPointer(rebasing: xb[(r * F)..<((r + 1) * F)]),
                                         into: UnsafeMutableBufferPointer(rebasing: ob[(r * K)..<((r + 1) * K)]))
                }
            }
        }
        return out
    }

    /// The training objective `Σ_i −ln p_{y_i} + ½(1/C)‖W‖²` at these coefficients on (X, y).
    /// With standardisation the penalty is measured in standard units, as during the fit.
    public func objective(X: Matrix, y: [Int]) -> Double {
        precondition(X.rows == y.count && X.cols == features, "objective: shape mismatch")
        let P = predictProbabilities(X)
        var nll = 0.0
        for i in 0..<X.rows { nll -= log(P[i, y[i]]) }
        var pen = 0.0
        for k in 0..<classes {
            for j in 0..<features {
                let w = weights[k * features + j] * (standardization?.scales[j] ?? 1)
                pen += w * w
            }
        }
        return nll + 0.5 / C * pen
    }

    // MARK: attribution

    /// Relative importance of each base model: mean |coefficient| over its columns (all classes),
    /// normalised to sum to 1. `featureGroups[m]` lists model m's probability columns. Uniform if
    /// every group's coefficients are zero. With standardisation, coefficients are taken in
    /// standard units so columns of different scale compare fairly.
    public func modelWeights(featureGroups: [[Int]]) -> [Double] {
        guard !featureGroups.isEmpty else { return [] }
        var raw = featureGroups.map { cols -> Double in
            guard !cols.isEmpty else { return 0 }
            var s = 0.0
            for k in 0..<classes {
                for j in cols {
                    precondition(j >= 0 && j < features, "feature group column \(j) out of range")
                    s += abs(weights[k * features + j] * (standardization?.scales[j] ?? 1))
                }
            }
            return s / Double(cols.count * classes)
        }
        let total = raw.reduce(0, +)
        if total > 0 { for i in raw.indices { raw[i] /= total } } else {
            raw = [Double](repeating: 1 / Double(raw.count), count: raw.count)
        }
        return raw
    }

    /// Per-base-model logit contributions for one row: `out[g·K + k] = Σ_{j ∈ group g} W[k,j]·x_j`.
    /// Together with the intercepts and ungrouped columns these sum to the logits. Allocation-free.
    public func contributions(row: UnsafeBufferPointer<Double>, featureGroups: [[Int]],
                              into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == features && out.count >= featureGroups.count * classes, "contributions: bad sizes")
        for (g, cols) in featureGroups.enumerated() {
            for k in 0..<classes {
                var s = 0.0
                for j in cols { s += weights[k * features + j] * row[j] }
                out[g * classes + k] = s
            }
        }
    }

    /// Convenience form of `contributions(row:featureGroups:into:)`: one K-vector per group.
    public func contributions(row: [Double], featureGroups: [[Int]]) -> [[Double]] {
        var flat = [Double](repeating: 0, count: featureGroups.count * classes)
        row.withUnsafeBufferPointer { r in
            flat.withUnsafeMutableBufferPointer { contributions(row: r, featureGroups: featureGroups, into: $0) }
        }
        return (0..<featureGroups.count).map { Array(flat[($0 * classes)..<(($0 + 1) * classes)]) }
    }
}
