/// Flags a meta-learner whose validation log-loss is much worse than its training log-loss.
///
/// A gap means the learner memorised the meta-train period; on a non-stationary stream such a
/// model degrades further once live, even if it still wins on the validation slice today.
public struct OverfittingCheck: Sendable, Codable, Equatable {
    /// Method name.
    public var method: String
    /// Mean log-loss on the meta-train rows.
    public var trainLogLoss: Double
    /// Mean log-loss on the validation rows.
    public var validationLogLoss: Double
    /// The threshold applied.
    public var threshold: Double

    /// validation − train log-loss.
    public var gap: Double { validationLogLoss - trainLogLoss }
    /// True when the gap exceeds the threshold.
    public var isOverfitting: Bool { gap > threshold }

    /// Default gap threshold in nats. On 3 classes log-loss sits near ln 3 ≈ 1.10 and the useful
    /// improvements over averaging are 0.01–0.05 nats, so a gap of 0.05 is as large as the whole
    /// benefit being claimed.
    public static let defaultThreshold = 0.05

    public init(method: String, trainLogLoss: Double, validationLogLoss: Double, threshold: Double = defaultThreshold) {
        self.method = method
        self.trainLogLoss = trainLogLoss
        self.validationLogLoss = validationLogLoss
        self.threshold = threshold
    }
}
