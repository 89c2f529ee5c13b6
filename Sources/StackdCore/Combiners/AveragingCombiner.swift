/// Simple averaging: the baseline every learned combiner must beat.
///
/// Averages all M vectors; because missing models carry the mean of the present ones, this
/// equals the mean over the present models.
public final class AveragingCombiner: MetaCombiner {
    public let method = CombinationMethod.average
    public let version: UInt32 = 0
    public let modelCount: Int
    public let classCount: Int
    public var readsFeatures: Bool { false }

    public init(modelCount: Int, classCount: Int) {
        self.modelCount = modelCount
        self.classCount = classCount
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        for c in 0..<classCount { out[c] = 0 }
        for m in 0..<modelCount {
            for c in 0..<classCount { out[c] += basePredictions[m * classCount + c] }
        }
        let inv = 1.0 / Double(modelCount)
        for c in 0..<classCount { out[c] *= inv }
    }
}

/// Fixed-weight blending with weights from the configuration (normalised over present models).
public final class WeightedAverageCombiner: MetaCombiner {
    public let method = CombinationMethod.weightedAverage
    public let version: UInt32
    public let weights: [Double]
    public let classCount: Int
    public var readsFeatures: Bool { false }

    public init(weights: [Double], classCount: Int, version: UInt32 = 0) {
        self.weights = weights
        self.classCount = classCount
        self.version = version
    }

    public func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>) {
        for c in 0..<classCount { out[c] = 0 }
        var total = 0.0
        for m in 0..<weights.count where presentMask & (UInt64(1) << UInt64(m)) != 0 {
            total += weights[m]
            for c in 0..<classCount { out[c] += weights[m] * basePredictions[m * classCount + c] }
        }
        let inv = total > 0 ? 1.0 / total : 0
        for c in 0..<classCount { out[c] *= inv }
    }
}
