/// Identifies one row of the stacking table: the vectors of all base models for one
/// (symbol, horizon, event time).
public struct RowKey: Hashable, Sendable {
    public var symbol: Int32
    public var horizonIndex: Int32
    public var eventTime: Int64

    public init(symbol: Int, horizonIndex: Int, eventTime: Int64) {
        self.symbol = Int32(truncatingIfNeeded: symbol)
        self.horizonIndex = Int32(truncatingIfNeeded: horizonIndex)
        self.eventTime = eventTime
    }
}

/// Why a row left assembly. Carried in every ensemble output so consumers can tell a full
/// row from one emitted at its deadline with models missing.
public enum RowCompletion: UInt8, Sendable, CaseIterable {
    /// Every configured model arrived.
    case complete = 0
    /// The deadline after the first arrival passed with at least `min_models` present.
    case deadline = 1
    /// Assembly capacity was exhausted and this, the oldest row, was forced out.
    case evicted = 2
    /// The daemon was stopping and emitted what it had.
    case drained = 3

    public var name: String {
        switch self {
        case .complete: return "complete"
        case .deadline: return "deadline"
        case .evicted: return "evicted"
        case .drained: return "drained"
        }
    }
}
