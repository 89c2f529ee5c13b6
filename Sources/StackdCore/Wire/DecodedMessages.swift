/// A decoded prediction. Names borrow the payload's bytes: the value is valid only while the
/// payload buffer is, which keeps decoding free of allocation on the hot path.
public struct PredictionFields {
    public var model: UnsafeRawBufferPointer
    public var symbol: UnsafeRawBufferPointer
    public var horizon: Int
    public var eventTime: Int64
    public var sequence: UInt64
    /// Number of probabilities written to the caller's buffer.
    public var classCount: Int

    public init(model: UnsafeRawBufferPointer, symbol: UnsafeRawBufferPointer, horizon: Int,
                eventTime: Int64, sequence: UInt64, classCount: Int) {
        self.model = model
        self.symbol = symbol
        self.horizon = horizon
        self.eventTime = eventTime
        self.sequence = sequence
        self.classCount = classCount
    }
}

/// A decoded realized label for one (symbol, horizon, event time). Borrows like `PredictionFields`.
public struct LabelFields {
    public var symbol: UnsafeRawBufferPointer
    public var horizon: Int
    public var eventTime: Int64
    public var sequence: UInt64
    /// Class index in `0..<K` (for three classes: 0 short, 1 neutral, 2 long).
    public var classIndex: Int
    public var forwardReturn: Double
    /// When the label became knowable (ns since the epoch); 0 when the sender does not say.
    public var exitTime: Int64
    /// The sender's class count K (binary labels carry it); 0 when the encoding does not.
    public var classCount: Int = 0

    public init(symbol: UnsafeRawBufferPointer, horizon: Int, eventTime: Int64, sequence: UInt64,
                classIndex: Int, forwardReturn: Double, exitTime: Int64) {
        self.symbol = symbol
        self.horizon = horizon
        self.eventTime = eventTime
        self.sequence = sequence
        self.classIndex = classIndex
        self.forwardReturn = forwardReturn
        self.exitTime = exitTime
    }
}

/// Decoded regime values for one (symbol, event time): they apply to the rows of every horizon
/// of that symbol and time. Borrows like `PredictionFields`; the values are written to the
/// caller's buffer (the one probabilities use) as doubles.
public struct RegimeFields {
    public var symbol: UnsafeRawBufferPointer
    public var eventTime: Int64
    public var sequence: UInt64
    /// Number of regime values written to the caller's buffer.
    public var count: Int

    public init(symbol: UnsafeRawBufferPointer, eventTime: Int64, sequence: UInt64, count: Int) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.sequence = sequence
        self.count = count
    }
}

/// One inbound message after decoding.
public enum InboundMessage {
    case prediction(PredictionFields)
    case label(LabelFields)
    case regime(RegimeFields)
}
