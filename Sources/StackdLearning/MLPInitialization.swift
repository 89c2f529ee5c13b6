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
        var rng = MLPSplitMix64(seed: seed)
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

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator whose output is fixed by its
/// definition, so initial weights never change with the platform's random source.
struct MLPSplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1) from the top 53 bits.
    mutating func nextUnitInterval() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
