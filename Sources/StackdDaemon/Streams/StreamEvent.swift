/// One inbound event of a stream source (the demo generator, an oos-daily folder, later a
/// journal): what a base model, the label feed or the regime feed would publish.
public struct StreamEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case prediction(model: String, probabilities: [Double])
        case label(classIndex: Int, forwardReturn: Double, exitTime: Int64)
        /// Regime values of (symbol, event time), in `regimes.names` order; `horizon` is 0 (a
        /// regime applies to every horizon).
        case regime(values: [Int8])
    }

    public var symbol: String
    public var horizon: Int
    public var eventTime: Int64
    public var kind: Kind

    public init(symbol: String, horizon: Int, eventTime: Int64, kind: Kind) {
        self.symbol = symbol
        self.horizon = horizon
        self.eventTime = eventTime
        self.kind = kind
    }
}
