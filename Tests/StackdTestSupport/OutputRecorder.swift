import StackdCore

/// One ensemble output as plain values: the emission's buffers are borrowed for the `emit` call
/// only, so a test keeps copies.
public struct RecordedOutput: Equatable, Sendable {
    public var symbol: String
    public var horizon: Int
    public var eventTime: Int64
    public var sequence: UInt64
    public var probabilities: [Double]
    public var predictedClass: Int
    public var method: CombinationMethod
    public var modelVersion: UInt32
    public var presentMask: UInt64
    public var completion: RowCompletion
    public var regimeImputed: Bool
    public var features: [Double]
    public var base: [Double]

    public init(_ e: EnsembleEmission) {
        symbol = String(decoding: e.symbol, as: UTF8.self)
        horizon = e.horizon
        eventTime = e.eventTime
        sequence = e.sequence
        probabilities = Array(e.probabilities)
        predictedClass = e.predictedClass
        method = e.method
        modelVersion = e.modelVersion
        presentMask = e.presentMask
        completion = e.completion
        regimeImputed = e.regimeImputed
        features = Array(e.features)
        base = Array(e.basePredictions)
    }
}

/// A labelled row as plain values.
public struct RecordedLabeledRow: Equatable, Sendable {
    public var symbol: String
    public var horizon: Int
    public var eventTime: Int64
    public var label: Int
    public var features: [Double]
}

/// An alert with where it happened: `mark` is the recorder's `mark` when it arrived (a test sets
/// it to the row it is feeding), `followedByRequest` whether a training request came right after it.
public struct RecordedAlert: Sendable {
    public var alert: Alert
    public var mark: Int
    public var followedByRequest: Bool
}

/// The one output handler of the tests: records every callback of the pipeline as values, and,
/// when given an encoding, every emission as consumers receive it (binary and JSON, through
/// `WireEncoder`, as the publisher does).
public struct OutputRecorder: EnsembleOutputHandler {
    /// What a publisher encoding would need: the model names for JSON's `present`, the latency.
    public struct Encoding: Sendable {
        public var modelNames: [String]
        public var latencyNanoseconds: UInt64
        public init(modelNames: [String], latencyNanoseconds: UInt64 = 0) {
            self.modelNames = modelNames
            self.latencyNanoseconds = latencyNanoseconds
        }
    }

    public var outputs: [RecordedOutput] = []
    public var labeled: [RecordedLabeledRow] = []
    public var requests: [TrainingRequest] = []
    public var alerts: [RecordedAlert] = []
    /// Stamped on each alert; tests set it to the position of what they feed.
    public var mark = 0
    public let encoding: Encoding?
    /// Each emission's binary `ENSEMBLE` message (only with an `encoding`).
    public var binary: [[UInt8]] = []
    /// Each emission's JSON `ENSEMBLE` message (only with an `encoding`).
    public var json: [String] = []

    public init(encoding: Encoding? = nil) { self.encoding = encoding }

    public mutating func emit(_ e: EnsembleEmission) {
        outputs.append(RecordedOutput(e))
        guard let encoding else { return }
        var bytes = [UInt8](repeating: 0xAA, count: WireEncoder.ensembleSize(classCount: e.probabilities.count,
                                                                              symbolLength: e.symbol.count))
        let n = bytes.withUnsafeMutableBytes {
            WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: encoding.latencyNanoseconds, into: $0)
        }
        binary.append(Array(bytes[0..<n]))
        json.append(WireEncoder.jsonEnsemble(e, modelNames: encoding.modelNames,
                                             latencyNanoseconds: encoding.latencyNanoseconds))
    }

    public mutating func rowLabeled(_ r: LabeledRow) {
        labeled.append(RecordedLabeledRow(symbol: String(decoding: r.symbol, as: UTF8.self), horizon: r.horizon,
                                          eventTime: r.eventTime, label: r.label, features: Array(r.features)))
    }

    public mutating func trainingDue(_ r: TrainingRequest) {
        requests.append(r)
        if !alerts.isEmpty { alerts[alerts.count - 1].followedByRequest = true }
    }

    public mutating func alert(_ a: Alert) {
        alerts.append(RecordedAlert(alert: a, mark: mark, followedByRequest: false))
    }
}
