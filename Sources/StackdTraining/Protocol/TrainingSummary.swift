/// A retrain outcome without its model, safe to copy around.
public struct TrainingSummary: Sendable, Equatable {
    public var horizon: Int
    public var decision: TrainingResult.Decision
    public var reason: String
    public var rows: Int
    public var version: UInt32
    public var applyFrom: Int64

    package init(_ r: TrainingResult) {
        horizon = r.horizon
        decision = r.decision
        reason = r.reason
        rows = r.rows
        version = r.combiner?.version ?? 0
        applyFrom = r.applyFrom
    }
}
