import StackdCore
import StackdLearning

/// A fitted MLP meta-learner served as a `MetaCombiner` (`method` = `mlp` on the wire).
///
/// Reads the first `featureCount` stacking features of the live row. `combine` keeps the hidden
/// layer in a `withUnsafeTemporaryAllocation` buffer (on the stack for the few dozen units a
/// meta-learner has), so it allocates nothing and the combiner stays immutable and thread-safe.
public final class MLPCombiner: FittedMetaLearner {
    public let method = CombinationMethod.mlp
    public let version: UInt32
    /// The fitted network (raw feature units).
    public let model: MLPClassifier
    public let featureSet: MetaFeatureSet
    public let layout: StackingFeatureLayout
    public let fitSummary: LearnerFitSummary
    public var learnerName: String { MLPLearner.name }
    public var featureCount: Int { model.features }

    public init(model: MLPClassifier, featureSet: MetaFeatureSet, layout: StackingFeatureLayout, version: UInt32,
                fitSummary: LearnerFitSummary? = nil) {
        precondition(model.features == featureSet.columnCount(layout),
                     "MLPCombiner: model has \(model.features) features, set \(featureSet.rawValue) has \(featureSet.columnCount(layout))")
        precondition(model.classes == layout.classCount, "MLPCombiner: class count mismatch")
        self.model = model
        self.featureSet = featureSet
        self.layout = layout
        self.version = version
        self.fitSummary = fitSummary
            ?? LearnerFitSummary(hyperparameters: ["alpha": model.alpha, "hidden_units": Double(model.hiddenUnits)], selection: "given")
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: model.hiddenUnits) { hidden in
            model.predictProbabilities(row: UnsafeBufferPointer(rebasing: features[0..<model.features]), hiddenScratch: hidden, into: out)
        }
    }

    public func predictProbabilities(features X: Matrix) -> Matrix {
        model.predictProbabilities(X.cols == model.features ? X : X.selectingColumns(Array(0..<model.features)))
    }

    public func encodeModel(horizon: Int, models: [String]) throws -> [UInt8] {
        let F = model.features, H = model.hiddenUnits, K = model.classes
        return try ArtifactCoding.encode(MLPModelDocument(
            schemaVersion: ArtifactSchema.version, kind: .mlp, horizon: horizon, models: models,
            featureNames: featureSet.names(layout), featureCount: F, classCount: K, hiddenUnits: H,
            activation: model.activation, alpha: model.alpha,
            hiddenWeights: (0..<F).map { Array(model.hiddenWeights[($0 * H)..<(($0 + 1) * H)]) },
            hiddenBiases: model.hiddenBiases,
            outputWeights: (0..<H).map { Array(model.outputWeights[($0 * K)..<(($0 + 1) * K)]) },
            outputBiases: model.outputBiases))
    }

    /// sd_j · Σ_h |W₁[j,h]| · Σ_k |W₂[h,k]|: the weight of every path from feature j to the
    /// outputs, for a typical move of the feature (Olden's connection weights, in absolute
    /// value so opposite-signed paths do not cancel). A summary of the weights, not of the data.
    public func featureImportance(trainFeatures X: Matrix) -> LearnerImportance {
        let sd = FeatureStandardization(fitting: X).scales
        let H = model.hiddenUnits, K = model.classes
        let outMass = (0..<H).map { h in (0..<K).reduce(0.0) { $0 + abs(model.outputWeights[h * K + $1]) } }
        return LearnerImportance(type: "abs_path_weight_times_sd", values: (0..<model.features).map { j in
            sd[j] * (0..<H).reduce(0.0) { $0 + abs(model.hiddenWeights[j * H + $1]) * outMass[$1] }
        })
    }

    public var contributionSpace: ContributionSpace { .logit }

    /// Exact logit decomposition through each hidden unit's secant: with z_h the pre-activation
    /// and r_h = act(z_h)/z_h (ReLU: 1 if active, else 0; tanh: tanh(z)/z, 1 at z = 0),
    /// logit_k = b₂ₖ + Σ_h W₂[h,k]·r_h·(b₁ₕ + Σ_j x_j·W₁[j,h]); feature j's share is
    /// x_j·Σ_h W₁[j,h]·r_h·W₂[h,k], the bias column b₂ₖ + Σ_h W₂[h,k]·r_h·b₁ₕ. Each class's row
    /// sums to its logit. Allocation-free (stack scratch).
    public func contributions(features: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        let F = model.features, H = model.hiddenUnits, K = model.classes
        precondition(features.count >= F && out.count >= K * (F + 1), "contributions: buffer too small")
        withUnsafeTemporaryAllocation(of: Double.self, capacity: H) { ratio in
            for h in 0..<H {
                var z = model.hiddenBiases[h]
                for j in 0..<F { z += features[j] * model.hiddenWeights[j * H + h] }
                switch model.activation {
                case .relu: ratio[h] = z > 0 ? 1 : 0
                case .tanh: ratio[h] = z == 0 ? 1 : tanhOf(z) / z
                }
            }
            for k in 0..<K {
                let row = k * (F + 1)
                var bias = model.outputBiases[k]
                for h in 0..<H { bias += model.outputWeights[h * K + k] * ratio[h] * model.hiddenBiases[h] }
                for j in 0..<F {
                    var w = 0.0
                    for h in 0..<H { w += model.hiddenWeights[j * H + h] * ratio[h] * model.outputWeights[h * K + k] }
                    out[row + j] = features[j] * w
                }
                out[row + F] = bias
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libm's tanh (the activation enum has a case of that name).
@inline(__always) private func tanhOf(_ x: Double) -> Double { tanh(x) }
