/// Everything the pipeline counts. Drivers export these as metrics and print them in summaries.
public struct PipelineCounters: Sendable, Equatable {
    public var predictionsAccepted = 0
    public var labelsAccepted = 0
    public var labelsMatched = 0
    public var labelsUnmatched = 0
    /// Labels waiting for their row to be emitted (a gauge), and labels joined that way.
    public var labelsHeld = 0
    public var labelsJoinedLate = 0
    /// Indexed by `RejectReason.allCases` order.
    public var rejected = Array(repeating: 0, count: RejectReason.allCases.count)
    /// Indexed by `RowCompletion.rawValue`.
    public var rowsEmitted = Array(repeating: 0, count: RowCompletion.allCases.count)
    /// Rows abandoned with fewer than `min_models`, by completion.
    public var rowsDropped = Array(repeating: 0, count: RowCompletion.allCases.count)
    /// Per horizon index.
    public var outputsPerHorizon: [Int]
    /// Prediction sequence gaps: how many times a model's sequence went up by more than one
    /// (events, not messages; `inputMessagesMissed` counts the messages).
    public var sequenceGaps = 0
    /// Per model (alphabetical order, as `StackingPipeline.modelNames`): predictions its publisher
    /// sent that never arrived, the sum of its sequence jumps minus one (`SequenceTracker`).
    public var inputMessagesMissed: [UInt64]
    /// The same for labels, which share one sequence across all symbols and horizons.
    public var labelMessagesMissed: UInt64 = 0
    /// Retrains requested by the schedule or on demand.
    public var retrainsTriggered = 0
    /// New combiners installed at their apply time.
    public var modelInstalls = 0
    /// Combiners offered after their apply time had passed (live only; replay is never late).
    public var lateModelInstalls = 0
    /// Alerts raised by the drift and calibration monitors, and the retrains they asked for.
    public var alerts = 0
    public var driftRetrains = 0
    /// Regime messages taken by at least one horizon's row.
    public var regimesAccepted = 0
    /// Rows emitted without their regime (regimes configured): the values were imputed as 0.
    public var rowsWithoutRegime = 0
    /// Rows opened by a regime that no prediction joined before they left assembly (not emitted,
    /// and not counted in `rowsDropped`).
    public var regimesUnused = 0
    /// Regime messages their publisher sent that never arrived (one sequence, like labels).
    public var regimeMessagesMissed: UInt64 = 0

    public init(horizonCount: Int, modelCount: Int = 0) {
        outputsPerHorizon = Array(repeating: 0, count: horizonCount)
        inputMessagesMissed = Array(repeating: 0, count: modelCount)
    }

    public func rejected(_ reason: RejectReason) -> Int {
        rejected[RejectReason.allCases.firstIndex(of: reason)!]
    }

    public var totalRejected: Int { rejected.reduce(0, +) }
    public var totalEmitted: Int { rowsEmitted.reduce(0, +) }

    mutating func reject(_ reason: RejectReason) {
        rejected[reason.ordinal] += 1
    }
}

extension RejectReason {
    /// Position in `allCases`, precomputed so counting a reject is an array increment.
    var ordinal: Int {
        switch self {
        case .malformed: return 0
        case .unsupportedVersion: return 1
        case .unknownKind: return 2
        case .wrongArity: return 3
        case .nonFinite: return 4
        case .negativeProbability: return 5
        case .badSum: return 6
        case .unknownModel: return 7
        case .unknownSymbol: return 8
        case .unknownHorizon: return 9
        case .duplicate: return 10
        case .late: return 11
        case .oversize: return 12
        case .framing: return 13
        case .topicMismatch: return 14
        case .badName: return 15
        case .badLabel: return 16
        }
    }
}
