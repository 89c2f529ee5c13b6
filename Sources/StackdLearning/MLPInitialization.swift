import StackdCore

/// The seeded starting weights of an ``MLPClassifier`` fit.
///
/// Same distribution as scikit-learn's `MLPClassifier._init_coef` (Glorot uniform: every weight
/// and bias of a layer drawn from U(−b, b), b = √(6 / (fan_in + fan_out))), but drawn from a
/// documented generator instead of NumPy's, so a seed gives the same weights on every platform
/// and Swift version. scikit-learn's own initial weights are therefore not reproduced; the
/// reference comparison hands the fit scikit-learn's initial weights explicitly instead.
///
/// Order of the draws (and of the parameter vector): W₁ (F×H, row-major), b₁ (H), W₂ (H×K), b₂ (K).
enum MLPInitialization {
    /// Glorot-uniform parameters in ``MLPParameterLayout`` order for `seed`.
    static func glorotUniform(layout: MLPParameterLayout, activation: MLPActivation, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)  // StackdCore's: fixed by definition, so a seed gives the same weights everywhere
        var theta = [Double](repeating: 0, count: layout.count)
        let hiddenBound = (activation.glorotFactor / Double(layout.features + layout.hidden)).squareRoot()
        let outputBound = (activation.glorotFactor / Double(layout.hidden + layout.classes)).squareRoot()
        func fill(_ range: Range<Int>, _ bound: Double) {
            for i in range { theta[i] = (2 * rng.nextUnitInterval() - 1) * bound }
        }
        fill(layout.hiddenWeights, hiddenBound)
        fill(layout.hiddenBiases, hiddenBound)
        fill(layout.outputWeights, outputBound)
        fill(layout.outputBiases, outputBound)
        return theta
    }
}
