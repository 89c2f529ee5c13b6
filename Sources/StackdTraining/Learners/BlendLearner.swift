import Foundation
import StackdCore
import StackdLearning

/// The fitted blend (`learner.kind = "blend"`): non-negative weights summing to 1 over the base
/// models' probability vectors and the class prior, out = Σ_m w_m·p_m + w_prior·prior, fitted by
/// maximum likelihood (minimum log-loss) on meta-train.
///
/// The log-likelihood Σ_i ln(Σ_j w_j·q_ij) (q_ij: component j's probability of row i's label) is
/// concave in w; `SimplexMixtureFit` finds its maximum on the simplex (active-set Newton, KKT to
/// `tolerance`). Nothing is chosen on validation: there are no hyper-parameters. Plain
/// averaging and the prior-shrinkage fallback are points of this family, so on meta-train the
/// blend is never worse than either.
public struct BlendLearner: MetaLearner {
    public static let name = "blend"
    /// KKT tolerance of the fit (on the gradient mean_i(q_ij/p_i), which is 1 on the support).
    public static let tolerance = 1e-9
    /// Newton iteration cap (the weights are feasible and no worse than uniform even if reached).
    public static let maxIterations = 200

    public init() {}
    public var name: String { Self.name }
    public var displayName: String { "fitted blend" }
    public var modelFormat: ModelFormat { .blend }
    public func featureSet(requested: MetaFeatureSet) -> MetaFeatureSet { .basic }

    /// Maximum-likelihood mixture weights for the row-by-component matrix of label probabilities
    /// `q` (N × J, row-major): J weights on the simplex, the iterations taken, and whether the
    /// KKT conditions were met to `tolerance` (see `SimplexMixtureFit`).
    public static func fitWeights(labelProbabilities q: [Double], rows n: Int, components j: Int)
        -> (weights: [Double], iterations: Int, converged: Bool) {
        let r = SimplexMixtureFit.solve(q: q, rows: n, components: j, tolerance: tolerance, maxIterations: maxIterations)
        return (r.weights, r.iterations, r.converged)
    }

    public func fit(_ input: MetaLearnerFitInput) throws -> any FittedMetaLearner {
        let rows = input.finalRows, m = rows.models.count, k = rows.classCount, n = rows.count
        let prior = PriorShrinkageCombiner.smoothedPrior(labels: rows.labels, classCount: k)
        let j = m + 1
        var q = [Double](repeating: 0, count: n * j)
        for i in 0..<n {
            let y = rows.labels[i]
            for c in 0..<m { q[i * j + c] = rows.basePredictions[i, c * k + y] }
            q[i * j + m] = prior[y]
        }
        let (w, iterations, converged) = Self.fitWeights(labelProbabilities: q, rows: n, components: j)
        var hyper: [String: Double] = ["prior_weight": w[m]]
        for c in 0..<m { hyper["weight_\(rows.models[c])"] = w[c] }
        return FittedBlendCombiner(modelWeights: Array(w[0..<m]), priorWeight: w[m], prior: prior, layout: input.layout,
                                   version: input.version,
                                   fitSummary: LearnerFitSummary(hyperparameters: hyper,
                                                                 selection: "simplex weights by meta-train log-loss (Newton, \(iterations) iterations\(converged ? "" : ", not converged")); none chosen on validation"))
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
