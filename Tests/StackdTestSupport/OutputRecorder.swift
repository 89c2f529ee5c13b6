import StackdCore

/// An output's contributions as plain values (`EnsembleContributions`).
package struct RecordedContributions: Equatable, Sendable {
    package var scale: ContributionScale
    package var servedClass: Int
    /// M + 2 values: models, shared, bias.
    package var values: [Double]
}

/// One ensemble output as plain values: the emission's buffers are borrowed for the `emit` call
/// only, so a test keeps copies.
package struct RecordedOutput: Equatable, Sendable {
    package var symbol: String
    package var horizon: Int
    package var eventTime: Int64
    package var sequence: UInt64
    package var probabilities: [Double]
    package var predictedClass: Int
    package var method: CombinationMethod
    package var modelVersion: UInt32
    package var presentMask: UInt64
    package var completion: RowCompletion
    package var regimeImputed: Bool
    package var features: [Double]
    package var base: [Double]
    /// With `output.contributions`; nil otherwise.
    package var contributions: RecordedContributions?

    package init(_ e: EnsembleEmission) {
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
        contributions = e.contributions.map {
            RecordedContributions(scale: $0.scale, servedClass: $0.servedClass, values: Array($0.values))
        }
    }
}

/// A labelled row as plain values.
package struct RecordedLabeledRow: Equatable, Sendable {
    package var symbol: String
    package var horizon: Int
    package var eventTime: Int64
    package var label: Int
    package var features: [Double]
}

/// An alert with where it happened: `mark` is the recorder's `mark` when it arrived (a test sets
/// it to the row it is feeding), `followedByRequest` whether a training request came right after it.
package struct RecordedAlert: Sendable {
    package var alert: Alert
    package var mark: Int
    package var followedByRequest: Bool
}

/// The one output handler of the tests: records every callback of the pipeline as values, and,
/// when given an encoding, every emission as consumers receive it (binary and JSON, through
/// `WireEncoder`, as the publisher does).
package struct OutputRecorder: EnsembleOutputHandler {
    /// What a publisher encoding would need: the model names for JSON's `present`, the latency.
    package struct Encoding: Sendable {
        package var modelNames: [String]
        package var latencyNanoseconds: UInt64
        package init(modelNames: [String], latencyNanoseconds: UInt64 = 0) {
            self.modelNames = modelNames
            self.latencyNanoseconds = latencyNanoseconds
        }
    }

    package var outputs: [RecordedOutput] = []
    package var labeled: [RecordedLabeledRow] = []
    package var requests: [TrainingRequest] = []
    package var alerts: [RecordedAlert] = []
    /// Stamped on each alert; tests set it to the position of what they feed.
    package var mark = 0
    package let encoding: Encoding?
    /// Each emission's binary `ENSEMBLE` message (only with an `encoding`).
    package var binary: [[UInt8]] = []
    /// Each emission's JSON `ENSEMBLE` message (only with an `encoding`).
    package var json: [String] = []

    package init(encoding: Encoding? = nil) { self.encoding = encoding }

    package mutating func emit(_ e: EnsembleEmission) {
        outputs.append(RecordedOutput(e))
        guard let encoding else { return }
        let size = WireEncoder.ensembleSize(classCount: e.probabilities.count, symbolLength: e.symbol.count,
                                            contributionModels: e.contributions.map { $0.values.count - 2 })
        var bytes = [UInt8](repeating: 0xAA, count: size)
        let n = bytes.withUnsafeMutableBytes {
            WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: encoding.latencyNanoseconds, into: $0)
        }
        binary.append(Array(bytes[0..<n]))
        json.append(WireEncoder.jsonEnsemble(e, modelNames: encoding.modelNames,
                                             latencyNanoseconds: encoding.latencyNanoseconds))
    }

    package mutating func rowLabeled(_ r: LabeledRow) {
        labeled.append(RecordedLabeledRow(symbol: String(decoding: r.symbol, as: UTF8.self), horizon: r.horizon,
                                          eventTime: r.eventTime, label: r.label, features: Array(r.features)))
    }

    package mutating func trainingDue(_ r: TrainingRequest) {
        requests.append(r)
        if !alerts.isEmpty { alerts[alerts.count - 1].followedByRequest = true }
    }

    package mutating func alert(_ a: Alert) {
        alerts.append(RecordedAlert(alert: a, mark: mark, followedByRequest: false))
    }
}
