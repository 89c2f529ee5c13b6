import StackdCore

/// What a retrain decided, handed from the training thread back to the ingest thread.
public struct TrainingResult: Sendable {
    public enum Decision: String, Sendable {
        /// A candidate beat averaging, the best single model, the class prior and the champion: it
        /// is installed (refitted on the whole window).
        case promote
        /// The champion stays.
        case keep
        /// No candidate passed and the champion no longer beats every baseline: the best baseline
        /// on the validation rows (averaging, the prior, their blend or the best single model) is
        /// installed.
        case fallback
        /// Training failed (too few rows, a solver error); the champion stays.
        case failed
    }

    public var horizon: Int
    public var horizonIndex: Int
    public var requestSequence: Int
    public var applyFrom: Int64
    public var rows: Int
    public var decision: Decision
    /// One human-readable sentence: why this decision.
    public var reason: String
    /// The combiner to install (nil for keep/failed).
    public var combiner: (any MetaCombiner)?
    public var durationNanoseconds: UInt64
    /// The drift reference built from the rows the model learned from (on the training
    /// thread): drift is measured against it once the model applies.
    public var reference: PSIReference?
    /// The full training outcome (comparison table, importance), persisted with the model.
    public var outcome: TrainingOutcome?
    /// The challengers fitted by this retrain, in `learner.challengers` order (empty when none is
    /// configured or fitting failed): scored live from `applyFrom`, never served.
    public var challengers: [any MetaCombiner] = []

    public init(horizon: Int, horizonIndex: Int, requestSequence: Int, applyFrom: Int64, rows: Int, decision: Decision,
                reason: String, combiner: (any MetaCombiner)?, durationNanoseconds: UInt64 = 0,
                reference: PSIReference? = nil) {
        self.horizon = horizon
        self.horizonIndex = horizonIndex
        self.requestSequence = requestSequence
        self.applyFrom = applyFrom
        self.rows = rows
        self.decision = decision
        self.reason = reason
        self.combiner = combiner
        self.durationNanoseconds = durationNanoseconds
        self.reference = reference
    }
}

/// Runs one retrain: the chronological protocol on the request's rows against its champion.
/// Pure with respect to its input, so live (on a worker thread) and replay (inline) agree.
public typealias TrainingFunction = @Sendable (TrainingRequest) -> TrainingResult
