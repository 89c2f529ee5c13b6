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
    public var features: UnsafeBufferPointer<Double>
}

/// Receives ensemble outputs from the pipeline (the live publisher, a replay writer, a test).
public protocol EnsembleOutputHandler {
    mutating func emit(_ emission: EnsembleEmission)
}

/// An output handler that ignores everything, for callers that only want counters.
public struct DiscardingOutputHandler: EnsembleOutputHandler {
    public init() {}
    public mutating func emit(_ emission: EnsembleEmission) {}
}
