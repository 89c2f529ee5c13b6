/// One ensemble output, handed to the driver for encoding and publishing. Buffers are borrowed
/// from the pipeline and valid only during the `emit` call.
public struct EnsembleEmission {
    public var symbol: UnsafeRawBufferPointer
    public var symbolID: Int
    public var horizon: Int
    public var horizonIndex: Int
    public var eventTime: Int64
    /// Per-horizon output sequence number, so consumers can detect gaps.
    public var sequence: UInt64
    public var probabilities: UnsafeBufferPointer<Double>
    public var predictedClass: Int
    public var method: CombinationMethod
    public var modelVersion: UInt32
    public var presentMask: UInt64
    public var presentCount: Int
    public var modelCount: Int
    public var completion: RowCompletion
    /// Driver time of the message that completed the row (for latency accounting).
    public var lastArrival: Int64
    public var basePredictions: UnsafeBufferPointer<Double>
    /// The row's stacking features; empty when the pipeline does not emit them and nothing
    /// else needed them for this row (`StackingPipeline.emitsFeatures`).
    public var features: UnsafeBufferPointer<Double>
    /// Regimes are configured and this row's regime did not arrive: its regime features were
    /// imputed as 0 (binary `flags` bit 0, JSON `regime_imputed`). Always false without regimes.
    public var regimeImputed: Bool = false
    /// Per-model contributions to the served class (`outputs.contributions`); nil when off or
    /// when the combiner cannot decompose this row.
    public var contributions: EnsembleContributions? = nil
}

/// A row whose label arrived: it joins the out-of-sample window, and drivers persist it.
/// Buffers are borrowed for the duration of the call.
public struct LabeledRow {
    public var horizon: Int
    public var horizonIndex: Int
    public var symbol: UnsafeRawBufferPointer
    public var eventTime: Int64
    public var exitTime: Int64
    public var label: Int
    public var forwardReturn: Double
    public var basePredictions: UnsafeBufferPointer<Double>
    /// Empty when the pipeline neither emits features nor keeps a training window, challengers
    /// or contributions (`StackingPipeline.emitsFeatures`).
    public var features: UnsafeBufferPointer<Double>
    public var ensemble: UnsafeBufferPointer<Double>
    public var modelVersion: UInt32
    /// C×K: each challenger's prediction for the row (`learner.challengers`; NaN first when it
    /// was not installed yet at emission); empty without challengers or for a restored row.
    public var challengers = UnsafeBufferPointer<Double>(start: nil, count: 0)

    /// Public so that drivers can persist an emitted row (label −1) in the window-row layout.
    public init(horizon: Int, horizonIndex: Int, symbol: UnsafeRawBufferPointer, eventTime: Int64, exitTime: Int64,
                label: Int, forwardReturn: Double, basePredictions: UnsafeBufferPointer<Double>,
                features: UnsafeBufferPointer<Double>, ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        self.horizon = horizon
        self.horizonIndex = horizonIndex
        self.symbol = symbol
        self.eventTime = eventTime
        self.exitTime = exitTime
        self.label = label
        self.forwardReturn = forwardReturn
        self.basePredictions = basePredictions
        self.features = features
        self.ensemble = ensemble
        self.modelVersion = modelVersion
    }
}

/// Receives what the pipeline produces: ensemble outputs, labelled rows, retrain requests.
/// The live daemon publishes and persists them; replay writes and trains synchronously.
public protocol EnsembleOutputHandler {
    mutating func emit(_ emission: EnsembleEmission)
    /// A labelled row joined the window (persist it to survive restarts).
    mutating func rowLabeled(_ row: LabeledRow)
    /// The schedule (or a drift alarm) asks for a retrain of one horizon.
    mutating func trainingDue(_ request: TrainingRequest)
    /// A drift or calibration monitor raised an alert (publish it, log it).
    mutating func alert(_ alert: Alert)
}

extension EnsembleOutputHandler {
    public mutating func rowLabeled(_ row: LabeledRow) {}
    public mutating func trainingDue(_ request: TrainingRequest) {}
    public mutating func alert(_ alert: Alert) {}
}

/// An output handler that ignores everything, for callers that only want counters.
public struct DiscardingOutputHandler: EnsembleOutputHandler {
    public init() {}
    public mutating func emit(_ emission: EnsembleEmission) {}
}
