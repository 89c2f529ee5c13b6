#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fitted one-hidden-layer perceptron with a softmax output: the MLP stacking meta-learner.
///
/// The fit minimises exactly scikit-learn's `MLPClassifier(hidden_layer_sizes=(H,),
/// solver="lbfgs")` objective, mean cross-entropy + α/(2N)·(‖W₁‖² + ‖W₂‖²) (see
/// ``MLPCrossEntropy``), full batch with the project's ``LBFGS``, so a fit can be checked against
/// scikit-learn from the same starting weights. Two differences from scikit-learn, both
/// deliberate: with K = 2 classes the output is a two-unit softmax (scikit-learn uses one
/// logistic unit: the same family of models, a different parameterisation), and the fit can stop
/// early on held-out rows (scikit-learn's lbfgs solver ignores `early_stopping`).
///
/// Parameters are stored in raw feature units (any standardisation is folded into the first
/// layer), so serving one row is two small matrix–vector products, one activation and one
/// softmax, with no allocation (``predictProbabilities(row:hiddenScratch:into:)``).
public struct MLPClassifier: Sendable, Equatable, Codable {
    /// Fit settings. Defaults follow scikit-learn's `MLPClassifier(solver="lbfgs")` except where noted.
    public struct Options: Sendable, Equatable, Codable {
        /// Hidden units H (scikit-learn's default is 100; a meta-learner on tens of features needs far fewer).
        public var hiddenUnits: Int
        /// Hidden non-linearity.
        public var activation: MLPActivation
        /// L2 strength α (penalty α/(2N)·‖W‖²).
        public var alpha: Double
        /// Fit in standardised coordinates (the penalty then measures W₁ in standard units); the
        /// result is folded back to raw units. Off by default, as in scikit-learn.
        public var standardize: Bool
        /// Seed of the Glorot-uniform initial weights (``MLPInitialization``).
        public var seed: UInt64
        /// Optimiser settings. `maxIterations` caps the whole fit (scikit-learn's `max_iter`,
        /// default 200); `gradientTolerance` is scikit-learn's `tol` (1e-4); the relative-decrease
        /// test is SciPy's L-BFGS-B default `ftol` = 10⁷·ε.
        public var optimizer: LBFGS.Options
        /// With validation rows: L-BFGS iterations between two validation log-loss checks.
        public var validationInterval: Int
        /// With validation rows: stop after this many consecutive checks without a new best.
        public var validationPatience: Int

        public init(hiddenUnits: Int = 16, activation: MLPActivation = .relu, alpha: Double = 1e-4,
                    standardize: Bool = false, seed: UInt64 = 0,
                    optimizer: LBFGS.Options = LBFGS.Options(gradientTolerance: 1e-4,
                                                             relativeDecreaseTolerance: 1e7 * Double.ulpOfOne,
                                                             maxIterations: 200),
                    validationInterval: Int = 10, validationPatience: Int = 5) {
            self.hiddenUnits = hiddenUnits
            self.activation = activation
            self.alpha = alpha
            self.standardize = standardize
            self.seed = seed
            self.optimizer = optimizer
            self.validationInterval = validationInterval
            self.validationPatience = validationPatience
        }
    }

    /// How the fit went; the artifact keeps it.
    public struct FitReport: Sendable, Equatable, Codable {
        /// L-BFGS iterations taken in all.
        public var iterations: Int
        /// Objective/gradient evaluations on the training rows.
        public var evaluations: Int
        /// Why the last optimiser run stopped (`maxIterations` also when early stopping ended the fit).
        public var termination: LBFGS.Termination
        /// True when a tolerance stopped the optimiser.
        public var converged: Bool
        /// The mean penalised objective at the returned weights (scikit-learn's `loss_`), in the fit's
        /// coordinates: with `standardize` the penalty measures W₁ in standard units.
        public var objective: Double
        /// Training rows.
        public var rows: Int
        /// Validation rows used for early stopping (0: none).
        public var validationRows: Int
        /// Best validation log-loss seen (the returned weights'), if there were validation rows.
        public var validationLogLoss: Double?
        /// Iteration at which the returned weights were reached, if there were validation rows.
        public var bestIteration: Int?
        /// True when the validation patience ran out before the optimiser stopped.
        public var stoppedEarly: Bool
    }

    /// Inputs that cannot be fitted.
    public enum FitError: Error, Equatable, Sendable {
        case labelCountMismatch(rows: Int, labels: Int)
        case labelOutOfRange(row: Int, label: Int, classes: Int)
        case invalidParameter(String)
        case nonFiniteFeature(row: Int, column: Int)
    }

    /// Number of classes K.
    public let classes: Int
    /// Number of input features F.
    public let features: Int
    /// Hidden units H.
    public let hiddenUnits: Int
    /// Hidden non-linearity.
    public let activation: MLPActivation
    /// L2 strength used in the fit.
    public let alpha: Double
    /// F×H first-layer weights in raw feature units, row-major (scikit-learn's `coefs_[0]`).
    public let hiddenWeights: [Double]
    /// H first-layer biases in raw feature units (`intercepts_[0]`).
    public let hiddenBiases: [Double]
    /// H×K output weights, row-major (`coefs_[1]`).
    public let outputWeights: [Double]
    /// K output biases (`intercepts_[1]`).
    public let outputBiases: [Double]
    /// The standardisation the fit ran in, if any (already folded into the first layer).
    public let standardization: FeatureStandardization?
    /// Diagnostics of the fit (nil for models built from given weights).
    public let report: FitReport?

    /// Where the parameter blocks sit in a flat parameter vector.
    public var layout: MLPParameterLayout { MLPParameterLayout(features: features, hidden: hiddenUnits, classes: classes) }

    /// A model from known weights (a reference, an artifact), shapes checked.
    public init(hiddenWeights: [Double], hiddenBiases: [Double], outputWeights: [Double], outputBiases: [Double],
                features: Int, activation: MLPActivation, alpha: Double = 0,
                standardization: FeatureStandardization? = nil, report: FitReport? = nil) throws {
        let h = hiddenBiases.count, k = outputBiases.count
        guard features >= 0, h >= 1, k >= 2 else {
            throw FitError.invalidParameter("an MLP needs ≥ 1 hidden unit and ≥ 2 classes (got H = \(h), K = \(k))")
        }
        guard hiddenWeights.count == features * h, outputWeights.count == h * k else {
            throw FitError.invalidParameter("weight shapes do not match F = \(features), H = \(h), K = \(k) "
                + "(first layer \(hiddenWeights.count), output layer \(outputWeights.count))")
        }
        guard (hiddenWeights + hiddenBiases + outputWeights + outputBiases).allSatisfy(\.isFinite) else {
            throw FitError.invalidParameter("MLP weights must be finite")
        }
        self.classes = k; self.features = features; self.hiddenUnits = h
        self.activation = activation; self.alpha = alpha
        self.hiddenWeights = hiddenWeights; self.hiddenBiases = hiddenBiases
        self.outputWeights = outputWeights; self.outputBiases = outputBiases
        self.standardization = standardization; self.report = report
    }

    /// A model from a flat parameter vector in ``MLPParameterLayout`` order (raw units).
    public init(parameters: [Double], layout: MLPParameterLayout, activation: MLPActivation, alpha: Double = 0,
                standardization: FeatureStandardization? = nil, report: FitReport? = nil) throws {
        guard parameters.count == layout.count else {
            throw FitError.invalidParameter("expected \(layout.count) parameters, got \(parameters.count)")
        }
        try self.init(hiddenWeights: Array(parameters[layout.hiddenWeights]), hiddenBiases: Array(parameters[layout.hiddenBiases]),
                      outputWeights: Array(parameters[layout.outputWeights]), outputBiases: Array(parameters[layout.outputBiases]),
                      features: layout.features, activation: activation, alpha: alpha,
                      standardization: standardization, report: report)
    }

    /// The flat parameter vector (raw units) in ``MLPParameterLayout`` order.
    public var parameters: [Double] { hiddenWeights + hiddenBiases + outputWeights + outputBiases }

    /// Decoding re-checks every shape and value, so a damaged artifact is an error, never a crash.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let features = try c.decode(Int.self, forKey: .features)
        do {
            try self.init(hiddenWeights: try c.decode([Double].self, forKey: .hiddenWeights),
                          hiddenBiases: try c.decode([Double].self, forKey: .hiddenBiases),
                          outputWeights: try c.decode([Double].self, forKey: .outputWeights),
                          outputBiases: try c.decode([Double].self, forKey: .outputBiases),
                          features: features, activation: try c.decode(MLPActivation.self, forKey: .activation),
                          alpha: try c.decode(Double.self, forKey: .alpha),
                          standardization: try c.decodeIfPresent(FeatureStandardization.self, forKey: .standardization),
                          report: try c.decodeIfPresent(FitReport.self, forKey: .report))
        } catch let error as FitError {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "MLP: \(error)"))
        }
        let hidden = try c.decode(Int.self, forKey: .hiddenUnits), k = try c.decode(Int.self, forKey: .classes)
        guard hidden == hiddenUnits, k == classes else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                debugDescription: "MLP: hidden_units/classes (\(hidden), \(k)) disagree with the weights (\(hiddenUnits), \(classes))"))
        }
    }

    // MARK: fitting

    /// Fits on `X` (rows × F) with labels `y` ∈ 0..<classes.
    ///
    /// - Parameters:
    ///   - validation: held-out rows for early stopping. Every `validationInterval` iterations
    ///     the validation log-loss (unpenalised) is measured; the weights with the lowest value so
    ///     far are kept, and the fit stops after `validationPatience` checks without a new best or
    ///     when the optimiser stops. The returned model carries the best weights, not the last.
    ///     They should be purged rows (no label window overlapping the training rows), or the
    ///     check rewards memorisation.
    ///   - initialParameters: starting point in ``MLPParameterLayout`` order in the fit's
    ///     coordinates (standardised if `standardize`); nil draws Glorot-uniform weights from `seed`.
    public static func fit(X: Matrix, y: [Int], classes: Int, options: Options = Options(),
                           validation: (X: Matrix, y: [Int])? = nil,
                           initialParameters: [Double]? = nil) throws -> MLPClassifier {
        try validate(X: X, y: y, classes: classes, what: "training")
        guard X.rows > 0 else { throw FitError.invalidParameter("no training rows") }
        guard X.cols > 0 else { throw FitError.invalidParameter("no feature columns") }
        guard options.hiddenUnits >= 1 else { throw FitError.invalidParameter("hiddenUnits must be ≥ 1, got \(options.hiddenUnits)") }
        guard options.alpha >= 0 && options.alpha.isFinite else {
            throw FitError.invalidParameter("alpha must be finite and ≥ 0, got \(options.alpha)")
        }
        guard options.validationInterval >= 1, options.validationPatience >= 1 else {
            throw FitError.invalidParameter("validationInterval and validationPatience must be ≥ 1")
        }
        if let v = validation {
            guard v.X.cols == X.cols else {
                throw FitError.invalidParameter("validation rows have \(v.X.cols) columns, training rows \(X.cols)")
            }
            try validate(X: v.X, y: v.y, classes: classes, what: "validation")
        }
        let layout = MLPParameterLayout(features: X.cols, hidden: options.hiddenUnits, classes: classes)
        var theta = initialParameters
            ?? MLPInitialization.glorotUniform(layout: layout, activation: options.activation, seed: options.seed)
        guard theta.count == layout.count, theta.allSatisfy(\.isFinite) else {
            throw FitError.invalidParameter("initialParameters must be \(layout.count) finite values")
        }
        let std = options.standardize ? FeatureStandardization(fitting: X) : nil
        let inverseScales = std.map { $0.scales.map { 1 / $0 } }
        let validationRows = validation.map { $0.X.rows } ?? 0

        var iterations = 0, evaluations = 0
        var termination = LBFGS.Termination.maxIterations
        var stoppedEarly = false
        var bestTheta: [Double]? = nil, bestLoss = Double.infinity, bestIteration = 0
        var objective = 0.0
        X.storage.withUnsafeBufferPointer { xb in
        y.withUnsafeBufferPointer { yb in
        (std?.means ?? []).withUnsafeBufferPointer { mb in
        (inverseScales ?? []).withUnsafeBufferPointer { sb in
        (validation?.X.storage ?? []).withUnsafeBufferPointer { vxb in
        (validation?.y ?? []).withUnsafeBufferPointer { vyb in
            let means = std == nil ? nil : mb.baseAddress, scales = std == nil ? nil : sb.baseAddress
            var train = MLPCrossEntropy(x: xb.baseAddress!, y: yb.baseAddress!, rows: X.rows, layout: layout,
                                        activation: options.activation, alpha: options.alpha,
                                        means: means, inverseScales: scales)
            defer { train.deallocate() }
            var held: MLPCrossEntropy? = validationRows == 0 ? nil
                : MLPCrossEntropy(x: vxb.baseAddress!, y: vyb.baseAddress!, rows: validationRows, layout: layout,
                                  activation: options.activation, alpha: 0, means: means, inverseScales: scales)
            defer { held?.deallocate() }
            var history = LBFGS.CorrectionHistory()
            let cap = max(0, options.optimizer.maxIterations)
            var checksWithoutBest = 0
            if let held {  // the starting point is a candidate too
                bestLoss = theta.withUnsafeBufferPointer { held.meanLogLoss($0.baseAddress!) }
                bestTheta = theta
            }
            repeat {
                var chunk = options.optimizer
                chunk.maxIterations = held == nil ? cap - iterations : min(options.validationInterval, cap - iterations)
                let r = LBFGS(options: chunk).minimize(&train, x: &theta, history: &history)
                iterations += r.iterations
                evaluations += r.evaluations
                termination = r.termination
                if let held {
                    let loss = theta.withUnsafeBufferPointer { held.meanLogLoss($0.baseAddress!) }
                    if loss < bestLoss {
                        bestLoss = loss; bestTheta = theta; bestIteration = iterations; checksWithoutBest = 0
                    } else {
                        checksWithoutBest += 1
                    }
                }
                if r.termination != .maxIterations || r.iterations == 0 || iterations >= cap { break }
                if checksWithoutBest >= options.validationPatience { stoppedEarly = true; break }
            } while true
            if let bestTheta { theta = bestTheta }
            var gradient = [Double](repeating: 0, count: layout.count)
            objective = theta.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { train.evaluate(t, gradient: $0) }
            }
            evaluations += 1
        }}}}}}
        // Fold the standardisation into the first layer: W₁ᵣ[j,h] = W₁[j,h]/σ_j, b₁ᵣ = b₁ − Σ_j μ_j·W₁ᵣ[j,h].
        if let std {
            let H = layout.hidden, b1 = layout.hiddenBiases.lowerBound
            for j in 0..<layout.features {
                for h in 0..<H {
                    let v = theta[j * H + h] / std.scales[j]
                    theta[j * H + h] = v
                    theta[b1 + h] -= v * std.means[j]
                }
            }
        }
        let report = FitReport(iterations: iterations, evaluations: evaluations, termination: termination,
                               converged: termination == .gradientTolerance || termination == .relativeDecrease,
                               objective: objective, rows: X.rows, validationRows: validationRows,
                               validationLogLoss: validationRows > 0 ? bestLoss : nil,
                               bestIteration: validationRows > 0 ? bestIteration : nil, stoppedEarly: stoppedEarly)
        return try MLPClassifier(parameters: theta, layout: layout, activation: options.activation, alpha: options.alpha,
                                 standardization: std, report: report)
    }

    private static func validate(X: Matrix, y: [Int], classes: Int, what: String) throws {
        guard X.rows == y.count else { throw FitError.labelCountMismatch(rows: X.rows, labels: y.count) }
        guard classes >= 2 else { throw FitError.invalidParameter("classes must be ≥ 2, got \(classes)") }
        for (i, v) in y.enumerated() where v < 0 || v >= classes {
            throw FitError.labelOutOfRange(row: i, label: v, classes: classes)
        }
        if let bad = X.storage.firstIndex(where: { !$0.isFinite }) {
            throw FitError.nonFiniteFeature(row: bad / X.cols, column: bad % X.cols)
        }
    }

    // MARK: prediction

    /// Class probabilities for one row, written into `out` (count ≥ `classes`), using
    /// `hiddenScratch` (count ≥ `hiddenUnits`) for the hidden layer. Allocates nothing: this runs
    /// once per served row.
    public func predictProbabilities(row: UnsafeBufferPointer<Double>, hiddenScratch: UnsafeMutableBufferPointer<Double>,
                                     into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == features && out.count >= classes && hiddenScratch.count >= hiddenUnits,
                     "MLPClassifier.predictProbabilities: bad buffer sizes")
        let F = features, H = hiddenUnits, K = classes
        hiddenWeights.withUnsafeBufferPointer { w1b in
        hiddenBiases.withUnsafeBufferPointer { b1b in
        outputWeights.withUnsafeBufferPointer { w2b in
        outputBiases.withUnsafeBufferPointer { b2b in
            let x = row.baseAddress, a = hiddenScratch.baseAddress!, o = out.baseAddress!
            let w1 = w1b.baseAddress, w2 = w2b.baseAddress!
            var h = 0
            while h < H { a[h] = b1b[h]; h += 1 }
            var j = 0
            while j < F {
                let xj = x![j], wj = w1! + j * H
                h = 0
                while h < H { a[h] += xj * wj[h]; h += 1 }
                j += 1
            }
            activation.apply(a, count: H)
            var k = 0
            while k < K { o[k] = b2b[k]; k += 1 }
            h = 0
            while h < H {
                let ah = a[h], wh = w2 + h * K
                k = 0
                while k < K { o[k] += ah * wh[k]; k += 1 }
                h += 1
            }
            var zmax = -Double.infinity
            k = 0
            while k < K { if o[k] > zmax { zmax = o[k] }; k += 1 }
            var sum = 0.0
            k = 0
            while k < K { let e = exp(o[k] - zmax); o[k] = e; sum += e; k += 1 }
            let inv = 1 / sum
            k = 0
            while k < K { o[k] *= inv; k += 1 }
        }}}}
    }

    /// Class probabilities for every row of `X` (rows × classes).
    public func predictProbabilities(_ X: Matrix) -> Matrix {
        precondition(X.cols == features, "expected \(features) columns, got \(X.cols)")
        var out = Matrix(rows: X.rows, cols: classes)
        var scratch = [Double](repeating: 0, count: hiddenUnits)
        let K = classes, F = features
        X.storage.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableStorage { ob in
                scratch.withUnsafeMutableBufferPointer { sb in
                    for r in 0..<X.rows {
                        predictProbabilities(row: UnsafeBufferPointer(rebasing: xb[(r * F)..<((r + 1) * F)]), hiddenScratch: sb,
                                             into: UnsafeMutableBufferPointer(rebasing: ob[(r * K)..<((r + 1) * K)]))
                    }
                }
            }
        }
        return out
    }

    /// scikit-learn's `loss_` at these weights on (X, y): mean cross-entropy + α/(2N)·‖W‖² with the
    /// weights as stored (raw units), and its gradient in ``MLPParameterLayout`` order.
    public func objective(X: Matrix, y: [Int]) -> (value: Double, gradient: [Double]) {
        precondition(X.rows == y.count && X.cols == features && X.rows > 0, "objective: shape mismatch")
        var theta = parameters
        var gradient = [Double](repeating: 0, count: theta.count)
        let value = X.storage.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                var obj = MLPCrossEntropy(x: xb.baseAddress!, y: yb.baseAddress!, rows: X.rows, layout: layout,
                                          activation: activation, alpha: alpha, means: nil, inverseScales: nil)
                defer { obj.deallocate() }
                return theta.withUnsafeMutableBufferPointer { t in
                    gradient.withUnsafeMutableBufferPointer { obj.evaluate(UnsafeBufferPointer(t), gradient: $0) }
                }
            }
        }
        return (value, gradient)
    }
}
