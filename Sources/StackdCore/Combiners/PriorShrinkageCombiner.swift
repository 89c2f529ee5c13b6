/// The fallback when no learned model passes the gate: averaging shrunk towards a fixed class
/// prior, out = w · mean(base vectors) + (1 − w) · prior.
///
/// w = 1 is plain averaging, w = 0 the class prior alone (the no-skill forecast). The trainer
/// picks w from `PriorShrinkageCombiner.weightGrid` by the promotion metric on the validation rows
/// and the prior from the meta-train labels (add-one smoothed), so the served fallback is the best
/// of averaging, the prior and their blends on those rows — never averaging when averaging is
/// worse than knowing nothing. It reports `method` weighted_average on the wire: a fixed-weight
/// combination with nothing learned beyond label frequencies.
public final class PriorShrinkageCombiner: MetaCombiner {
    public let method = CombinationMethod.weightedAverage
    public let version: UInt32
    public let modelCount: Int
    public let classCount: Int
    /// Weight of averaging, in [0, 1].
    public let averagingWeight: Double
    /// K class probabilities, summing to 1.
    public let prior: [Double]

    /// The weights the trainer tries: the prior alone, three blends, averaging alone.
    public static let weightGrid: [Double] = [0, 0.25, 0.5, 0.75, 1]

    public init(modelCount: Int, classCount: Int, averagingWeight: Double, prior: [Double], version: UInt32) {
        precondition(prior.count == classCount, "one prior probability per class")
        precondition(averagingWeight >= 0 && averagingWeight <= 1, "averaging weight in [0, 1]")
        self.modelCount = modelCount
        self.classCount = classCount
        self.averagingWeight = averagingWeight
        self.prior = prior
        self.version = version
    }

    /// Add-one smoothed label frequencies, (n_c + 1) / (n + K): uniform with no labels, never 0.
    public static func smoothedPrior(labels: [Int], classCount: Int) -> [Double] {
        var n = [Double](repeating: 0, count: classCount)
        for y in labels where y >= 0 && y < classCount { n[y] += 1 }
        let total = Double(labels.count + classCount)
        return n.map { ($0 + 1) / total }
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        let w = averagingWeight / Double(modelCount)
        for c in 0..<classCount { out[c] = (1 - averagingWeight) * prior[c] }
        for m in 0..<modelCount {
            for c in 0..<classCount { out[c] += w * basePredictions[m * classCount + c] }
        }
    }
}
