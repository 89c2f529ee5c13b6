import StackdLearning

extension ModelFormat {
    /// `MLPModelDocument`: a one-hidden-layer perceptron (`learner.kind = "mlp"`).
    public static let mlp = ModelFormat(rawValue: "stackd-mlp")
}

/// `model.json` of the MLP meta-learner (schemas/artifacts/model_mlp.schema.json).
///
/// Weights are in raw feature units (the fit's standardisation is folded into the first layer),
/// so serving needs nothing else: p = softmax(act(x·W₁ + b₁)·W₂ + b₂).
public struct MLPModelDocument: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var kind: ModelFormat
    public var horizon: Int
    public var models: [String]
    public var featureNames: [String]
    public var featureCount: Int
    public var classCount: Int
    public var hiddenUnits: Int
    /// `relu` or `tanh`.
    public var activation: MLPActivation
    /// L2 strength α of the fit (penalty α/(2N)·‖W‖², scikit-learn's convention).
    public var alpha: Double
    /// F × H: row j holds feature j's weights into every hidden unit.
    public var hiddenWeights: [[Double]]
    /// H.
    public var hiddenBiases: [Double]
    /// H × K: row h holds hidden unit h's weights into every class.
    public var outputWeights: [[Double]]
    /// K.
    public var outputBiases: [Double]
}
