/// What the contributions of an ensemble output add up to (the `scale` byte of the binary
/// contributions block, `schemas/wire.md` §4.3.1; `space` in JSON).
public enum ContributionScale: UInt8, Sendable, CaseIterable {
    /// The groups plus the bias sum to the served class's logit (margin); the probabilities are
    /// the softmax of the logits (logistic, XGBoost, MLP).
    case logit = 0
    /// The groups plus the bias sum to the served class's probability (averaging, fixed weights,
    /// the prior fallback, blend).
    case probability = 1

    public var name: String {
        switch self {
        case .logit: return "logit"
        case .probability: return "probability"
        }
    }
}

/// A combiner that can say how much each base model contributed to the class it served, so an
/// output can carry the explanation beside the prediction (`outputs.contributions`).
///
/// Exact decompositions only: the M per-model values, the shared value (cross-model and regime
/// columns) and the bias sum to the served class's logit or probability (`contributionScale`).
/// Called on the ingest thread for every output when contributions are on, after `combine`.
public protocol ContributingCombiner: MetaCombiner {
    var contributionScale: ContributionScale { get }
    /// Writes M + 2 values to `out` (`ContributionGroups` order: each model, shared, bias) for
    /// class `servedClass` of the row `combine` just combined. `scratch` holds at least
    /// `ContributionGroups.scratchCount` doubles and is the combiner's to overwrite. Returns
    /// false when it cannot (a library failure): the output then carries no contributions.
    /// Must not allocate where the combiner's `combine` does not.
    func writeContributions(servedClass: Int, basePredictions: UnsafeBufferPointer<Double>,
                            features: UnsafeBufferPointer<Double>, presentMask: UInt64,
                            scratch: UnsafeMutableBufferPointer<Double>,
                            into out: UnsafeMutableBufferPointer<Double>) -> Bool
}
