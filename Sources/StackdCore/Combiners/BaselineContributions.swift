/// The fixed combiners are linear in the base probabilities, so each model's share of the served
/// probability is exact: its weight × its probability of the served class. A missing model's
/// slot holds the imputed vector (the mean of the present ones) and is reported under that
/// model, as the combiner saw it; the shared group is 0 (no cross-model column is read).

extension AveragingCombiner: ContributingCombiner {
    public var contributionScale: ContributionScale { .probability }

    public func writeContributions(servedClass c: Int, basePredictions: UnsafeBufferPointer<Double>,
                                   features: UnsafeBufferPointer<Double>, presentMask: UInt64,
                                   scratch: UnsafeMutableBufferPointer<Double>,
                                   into out: UnsafeMutableBufferPointer<Double>) -> Bool {
        let inv = 1.0 / Double(modelCount)
        for m in 0..<modelCount { out[m] = basePredictions[m * classCount + c] * inv }
        out[modelCount] = 0
        out[modelCount + 1] = 0
        return true
    }
}

extension WeightedAverageCombiner: ContributingCombiner {
    public var contributionScale: ContributionScale { .probability }

    /// Weights are normalised over the present models, so a missing model contributes 0.
    public func writeContributions(servedClass c: Int, basePredictions: UnsafeBufferPointer<Double>,
                                   features: UnsafeBufferPointer<Double>, presentMask: UInt64,
                                   scratch: UnsafeMutableBufferPointer<Double>,
                                   into out: UnsafeMutableBufferPointer<Double>) -> Bool {
        var total = 0.0
        for m in 0..<weights.count where presentMask & (UInt64(1) << UInt64(m)) != 0 { total += weights[m] }
        let inv = total > 0 ? 1.0 / total : 0
        for m in 0..<weights.count {
            out[m] = presentMask & (UInt64(1) << UInt64(m)) != 0 ? weights[m] * inv * basePredictions[m * classCount + c] : 0
        }
        out[weights.count] = 0
        out[weights.count + 1] = 0
        return true
    }
}

extension PriorShrinkageCombiner: ContributingCombiner {
    public var contributionScale: ContributionScale { .probability }

    /// w/M × each model's probability; the bias is the prior's share, (1 − w) × prior.
    public func writeContributions(servedClass c: Int, basePredictions: UnsafeBufferPointer<Double>,
                                   features: UnsafeBufferPointer<Double>, presentMask: UInt64,
                                   scratch: UnsafeMutableBufferPointer<Double>,
                                   into out: UnsafeMutableBufferPointer<Double>) -> Bool {
        let w = averagingWeight / Double(modelCount)
        for m in 0..<modelCount { out[m] = w * basePredictions[m * classCount + c] }
        out[modelCount] = 0
        out[modelCount + 1] = (1 - averagingWeight) * prior[c]
        return true
    }
}
