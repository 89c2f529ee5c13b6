/// How an ensemble output was produced. The raw value is the `method` byte of the binary
/// ensemble output.
public enum CombinationMethod: UInt8, Sendable, CaseIterable, Codable {
    case average = 0
    case weightedAverage = 1
    case logistic = 2
    case xgboost = 3
    case mlp = 4

    public var name: String {
        switch self {
        case .average: return "average"
        case .weightedAverage: return "weighted_average"
        case .logistic: return "logistic"
        case .xgboost: return "xgboost"
        case .mlp: return "mlp"
        }
    }
}

/// Turns one row (base probabilities and stacking features) into ensemble probabilities.
///
/// Implementations are immutable once built, so a trained model can be handed from the
/// training thread to the ingest thread and swapped in between two events.
public protocol MetaCombiner: AnyObject, Sendable {
    var method: CombinationMethod { get }
    /// Version of the model behind this combiner; 0 for the built-in averaging baseline.
    var version: UInt32 { get }
    /// Writes K probabilities to `out`. Must not allocate: it runs once per emitted row.
    func combine(basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                 presentMask: UInt64, into out: UnsafeMutableBufferPointer<Double>)
    /// False when `combine` never reads `features` (the averaging baselines): a pipeline whose
    /// outputs need not carry features then skips computing them (`StackingPipeline.emitsFeatures`).
    /// True unless a combiner says otherwise.
    var readsFeatures: Bool { get }
}

extension MetaCombiner {
    public var readsFeatures: Bool { true }
}
