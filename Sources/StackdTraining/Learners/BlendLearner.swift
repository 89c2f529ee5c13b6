import Foundation
import StackdCore
import StackdLearning

/// The fitted blend (`learner.kind = "blend"`): non-negative weights summing to 1 over the base
/// models' probability vectors and the class prior, out = Σ_m w_m·p_m + w_prior·prior, fitted by
/// maximum likelihood (minimum log-loss) on meta-train.
///
/// The log-likelihood Σ_i ln(Σ_j w_j·q_ij) (q_ij: component j's probability of row i's label) is
/// concave in w, so the fixed point of the EM update w_j ← w_j · mean_i(q_ij / Σ_k w_k·q_ik) —
/// which stays on the simplex and never decreases the likelihood — is the global optimum. The
/// fit stops when the KKT conditions hold to `tolerance` (|mean_i(q_ij/p_i) − 1| where w_j > 0,
/// mean_i(q_ij/p_i) − 1 where w_j = 0). Nothing is chosen on validation: there are no hyper-parameters. Plain
/// averaging and the prior-shrinkage fallback are points of this family, so on meta-train the
/// blend is never worse than either.
public struct BlendLearner: MetaLearner {
    public static let name = "blend"
    /// KKT tolerance of the EM fit.
    public static let tolerance = 1e-7
    /// A weight below this is zero (a component EM is removing).
    static let negligible = 1e-10
    /// EM iteration cap (reached only near a degenerate optimum; the weights are then still
    /// feasible and within a hair of the optimum).
    public static let maxIterations = 5_000

    public init() {}
    public var name: String { Self.name }
    public var displayName: String { "fitted blend" }
    public var modelFormat: ModelFormat { .blend }
    public func featureSet(requested: MetaFeatureSet) -> MetaFeatureSet { .basic }

    /// Maximum-likelihood mixture weights for the row-by-component matrix of label probabilities
    /// `q` (N × J, row-major); returns J weights on the simplex and the iterations taken.
    public static func fitWeights(labelProbabilities q: [Double], rows n: Int, components j: Int) -> (weights: [Double], iterations: Int) {
        precondition(q.count == n * j && j > 0)
        var w = [Double](repeating: 1 / Double(j), count: j)
        guard n > 0 else { return (w, 0) }
        var g = [Double](repeating: 0, count: j)
        let floor = Metrics.logLossEpsilon
        var iterations = 0
        q.withUnsafeBufferPointer { q in
            while iterations < maxIterations {
                iterations += 1
                for c in 0..<j { g[c] = 0 }
                for i in 0..<n {
                    var p = 0.0
                    for c in 0..<j { p += w[c] * q[i * j + c] }
                    let inv = 1 / max(p, floor)
                    for c in 0..<j { g[c] += q[i * j + c] * inv }
                }
                // Stationary on the support, and nothing outside it would gain weight.
                var violation = 0.0
                for c in 0..<j {
                    g[c] /= Double(n)
                    violation = max(violation, w[c] > negligible ? abs(g[c] - 1) : g[c] - 1)
                }
                if violation < tolerance { break }
                var total = 0.0
                for c in 0..<j { w[c] *= g[c]; total += w[c] }
                for c in 0..<j { w[c] /= total }
            }
        }
        // Weights EM drove to (numerically) zero are zero.
        for c in 0..<j where w[c] <= negligible { w[c] = 0 }
        let total = w.reduce(0, +)
        return (w.map { $0 / total }, iterations)
    }

    public func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner {
        let rows = input.train, m = rows.models.count, k = rows.classCount, n = rows.count
        let prior = PriorShrinkageCombiner.smoothedPrior(labels: rows.labels, classCount: k)
        let j = m + 1
        var q = [Double](repeating: 0, count: n * j)
        for i in 0..<n {
            let y = rows.labels[i]
            for c in 0..<m { q[i * j + c] = rows.basePredictions[i, c * k + y] }
            q[i * j + m] = prior[y]
        }
        let (w, iterations) = Self.fitWeights(labelProbabilities: q, rows: n, components: j)
        var hyper: [String: Double] = ["prior_weight": w[m]]
        for c in 0..<m { hyper["weight_\(rows.models[c])"] = w[c] }
        return FittedBlendCombiner(modelWeights: Array(w[0..<m]), priorWeight: w[m], prior: prior, layout: input.layout,
                                   version: input.version,
                                   fitSummary: LearnerFitSummary(hyperparameters: hyper,
                                                                 selection: "simplex weights by meta-train log-loss (EM, \(iterations) iterations); none chosen on validation"))
    }

    public func load(_ input: MetaLearnerLoadInput) throws -> any FittedMetaLearner {
        let file = input.file, layout = input.layout
        try ArtifactCoding.checkSchemaVersion(input.modelBytes, file: file)
        let d = try ArtifactCoding.decode(BlendModelDocument.self, from: input.modelBytes, file: file)
        guard d.kind == .blend, d.horizon == input.horizon, d.models == layout.models, d.classCount == layout.classCount,
              d.weights.count == d.models.count, d.prior.count == d.classCount else {
            throw ArtifactError(file: file, message: "does not match \(ArtifactSchema.metaConfig) (kind, horizon, models, classes or weight count)")
        }
        try ArtifactLoader.checkMagnitudes(d.weights + [d.priorWeight] + d.prior, file: file, what: "weights and prior")
        let all = d.weights + [d.priorWeight]
        guard all.allSatisfy({ $0 >= 0 }), abs(all.reduce(0, +) - 1) < 1e-6,
              d.prior.allSatisfy({ $0 >= 0 }), abs(d.prior.reduce(0, +) - 1) < 1e-6 else {
            throw ArtifactError(file: file, message: "weights (with prior_weight) and prior must each be non-negative and sum to 1", reason: .values)
        }
        return FittedBlendCombiner(modelWeights: d.weights, priorWeight: d.priorWeight, prior: d.prior, layout: layout,
                                   version: input.version,
                                   fitSummary: LearnerFitSummary(hyperparameters: ["prior_weight": d.priorWeight], selection: "loaded"))
    }
}

/// `model.json` of the fitted blend.
public struct BlendModelDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var kind: ModelFormat
    public var horizon: Int
    public var models: [String]
    public var classCount: Int
    /// One weight per base model (`models` order).
    public var weights: [Double]
    /// Weight of the class prior; with `weights` it sums to 1.
    public var priorWeight: Double
    /// K probabilities (add-one smoothed meta-train label frequencies).
    public var prior: [Double]
}
