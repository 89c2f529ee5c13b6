/// Where each block of an ``MLPClassifier``'s parameters lives in the flat vector the solver sees.
///
/// `θ = [W₁ (F×H, row-major: W₁[j, h] at j·H + h), b₁ (H), W₂ (H×K, row-major), b₂ (K)]`. The
/// weight blocks have scikit-learn's `coefs_[l]` shape (fan_in × fan_out), so its arrays map over
/// without transposing.
public struct MLPParameterLayout: Sendable, Equatable {
    /// Input features F.
    public let features: Int
    /// Hidden units H.
    public let hidden: Int
    /// Classes K (softmax outputs).
    public let classes: Int

    public init(features: Int, hidden: Int, classes: Int) {
        self.features = features
        self.hidden = hidden
        self.classes = classes
    }

    public var hiddenWeights: Range<Int> { 0..<(features * hidden) }
    public var hiddenBiases: Range<Int> { hiddenWeights.upperBound..<(hiddenWeights.upperBound + hidden) }
    public var outputWeights: Range<Int> { hiddenBiases.upperBound..<(hiddenBiases.upperBound + hidden * classes) }
    public var outputBiases: Range<Int> { outputWeights.upperBound..<(outputWeights.upperBound + classes) }
    /// Total number of parameters.
    public var count: Int { outputBiases.upperBound }
}
