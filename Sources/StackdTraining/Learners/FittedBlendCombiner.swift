import StackdCore
import StackdLearning

/// The served fitted blend: out = Σ_m w_m·p_m + w_prior·prior (weights on the simplex, see
/// `BlendLearner`). Allocation-free. A missing model arrives imputed with the mean of the present
/// ones, so the fixed weights stay meaningful. Reports `weighted_average` on the wire: a fixed
/// weighted combination of probability vectors.
public final class FittedBlendCombiner: FittedMetaLearner {
    public let method = CombinationMethod.weightedAverage
    public let version: UInt32
    /// One weight per base model.
    public let modelWeights: [Double]
    /// Weight of the class prior.
    public let priorWeight: Double
    /// K class probabilities.
    public let prior: [Double]
    public let layout: StackingFeatureLayout
    public let fitSummary: LearnerFitSummary
    public var learnerName: String { BlendLearner.name }
    public var featureSet: MetaFeatureSet { .basic }
    public var featureCount: Int { layout.basicCount }

    public init(modelWeights: [Double], priorWeight: Double, prior: [Double], layout: StackingFeatureLayout, version: UInt32,
                fitSummary: LearnerFitSummary) {
        precondition(modelWeights.count == layout.models.count && prior.count == layout.classCount, "FittedBlendCombiner: shape mismatch")
        self.modelWeights = modelWeights
        self.priorWeight = priorWeight
        self.prior = prior
        self.layout = layout
        self.version = version
        self.fitSummary = fitSummary
    }

    @inline(__always) private func blend(_ p: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let k = layout.classCount
        for c in 0..<k { out[c] = priorWeight * prior[c] }
        for m in 0..<modelWeights.count {
            let w = modelWeights[m]
            for c in 0..<k { out[c] += w * p[m * k + c] }
        }
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        blend(basePredictions, into: out)
    }

    /// The basic columns of the features are the base probabilities.
    public func predictProbabilities(features X: Matrix) -> Matrix {
        let k = layout.classCount, f = X.cols
        var out = Matrix(rows: X.rows, cols: k)
        out.withUnsafeMutableStorage { o in
            X.storage.withUnsafeBufferPointer { x in
                for i in 0..<X.rows {
                    blend(UnsafeBufferPointer(rebasing: x[(i * f)..<(i * f + featureCount)]),
                          into: UnsafeMutableBufferPointer(rebasing: o[(i * k)..<((i + 1) * k)]))
                }
            }
        }
        return out
    }

    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] {
        try ArtifactCoding.encode(BlendModelDocument(schemaVersion: ArtifactSchema.version, kind: .blend, horizon: horizon,
                                                     models: models, classCount: layout.classCount, weights: modelWeights,
                                                     priorWeight: priorWeight, prior: prior))
    }

    /// A model's weight, spread evenly over its K probability columns (so per-model sums are the weights).
    public func featureImportance(trainFeatures: Matrix) -> LearnerImportance {
        let k = layout.classCount
        return LearnerImportance(type: "blend_weight", values: (0..<featureCount).map { modelWeights[$0 / k] / Double(k) })
    }

    public var contributionSpace: ContributionSpace { .probability }

    /// Weight × probability: class c's row holds w_m·p_{m,c} in column (m, c), 0 elsewhere, and
    /// w_prior·prior_c as the bias; each row sums to the served probability.
    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let k = layout.classCount, f = featureCount
        precondition(features.count >= f && out.count >= k * (f + 1), "contributions: buffer too small")
        for c in 0..<k {
            for col in 0..<f { out[c * (f + 1) + col] = col % k == c ? modelWeights[col / k] * features[col] : 0 }
            out[c * (f + 1) + f] = priorWeight * prior[c]
        }
    }
}
