import Foundation
import StackdCore
import XCTest

/// Keeps `schemas/` true against the Swift implementation: the binary examples written by
/// `schemas/examples/make_examples.py` (Python `struct` only) must be byte-identical to what
/// `WireEncoder` produces, and the JSON and binary examples must decode to the same fields.
final class SchemaExamplesTests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/examples")

    // The values of the examples (make_examples.py): event time 2026-01-01T00:00:00Z.
    static let ts: Int64 = 1_767_225_600_000_000_000

    func bytes(ofHex name: String) throws -> [UInt8] {
        let text = try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
        let digits = Array(text.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) })
        XCTAssertEqual(digits.count % 2, 0, "\(name) has an odd number of hex digits")
        var out: [UInt8] = []
        var i = 0
        while i + 1 < digits.count {
            guard let b = UInt8(String(digits[i]) + String(digits[i + 1]), radix: 16) else {
                XCTFail("\(name) holds a non-hex character at \(i)")
                return []
            }
            out.append(b)
            i += 2
        }
        return out
    }

    func data(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.examples.appendingPathComponent(name)))
    }

    func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    // MARK: constants

    func testWireFormatConstantsMatchTheDocumentedLayout() {
        XCTAssertEqual(WireFormat.magic0, UInt8(ascii: "S"))
        XCTAssertEqual(WireFormat.magic1, UInt8(ascii: "K"))
        XCTAssertEqual(WireFormat.version, 1)
        XCTAssertEqual(WireFormat.predictionHeaderSize, 32)
        XCTAssertEqual(WireFormat.labelFixedSize, 48)
        XCTAssertEqual(WireFormat.ensembleHeaderSize, 56)
        XCTAssertEqual(WireFormat.maxNameLength, 64)
        XCTAssertEqual(WireFormat.maxClassCount, 16)
        XCTAssertEqual(MessageKind.allCases.map(\.rawValue), [1, 2, 3, 4, 5])
        XCTAssertEqual(MessageKind.allCases.map(\.jsonType), ["prediction", "label", "ensemble", "alert", "regime"])
        XCTAssertEqual(MessageKind.allCases.map(\.topicPrefix), ["pred", "label", "ens", "alert", "regime"])
        XCTAssertEqual(WireFormat.regimeHeaderSize, 32)
        XCTAssertEqual(WireFormat.maxRegimeCount, 16)
        XCTAssertEqual(CombinationMethod.allCases.map(\.rawValue), [0, 1, 2, 3, 4])
        XCTAssertEqual(CombinationMethod.allCases.map(\.name), ["average", "weighted_average", "logistic", "xgboost", "mlp"])
        XCTAssertEqual(RowCompletion.allCases.map(\.rawValue), [0, 1, 2, 3])
        XCTAssertEqual(RowCompletion.allCases.map(\.name), ["complete", "deadline", "evicted", "drained"])
        XCTAssertEqual(WireEncoder.ensembleSize(classCount: 3, symbolLength: 3), 56 + 24 + 3)
        XCTAssertEqual(WireEncoder.ensembleSize(classCount: 3, symbolLength: 3, contributionModels: 3), 56 + 24 + 3 + 4 + 8 * 5)
        XCTAssertEqual(WireFormat.ensembleFlagRegimeImputed, 1)
        XCTAssertEqual(WireFormat.ensembleFlagContributions, 2)
        XCTAssertEqual(EnsembleContributions.blockVersion, 1)
        XCTAssertEqual(ContributionScale.allCases.map(\.rawValue), [0, 1])
        XCTAssertEqual(ContributionScale.allCases.map(\.name), ["logit", "probability"])
    }

    func testWireMarkdownListsEveryRejectReason() throws {
        let text = try String(contentsOf: Self.examples.deletingLastPathComponent().appendingPathComponent("wire.md"),
                              encoding: .utf8)
        XCTAssertEqual(RejectReason.allCases.count, 17)
        for reason in RejectReason.allCases {
            XCTAssertTrue(text.contains("`\(reason.rawValue)`"), "wire.md does not document \(reason.rawValue)")
        }
    }

    // MARK: byte identity with the encoder

    func testBinaryPredictionExampleIsWhatTheEncoderWrites() throws {
        let expected = try bytes(ofHex: "prediction.bin.hex")
        XCTAssertEqual(expected.count, 32 + 3 * 8 + 4 + 3)
        let encoded = WireEncoder.binaryPrediction(model: "lgbm", symbol: "SPX", horizon: 5, eventTime: Self.ts,
                                                   sequence: 42, probabilities: [0.125, 0.375, 0.5])
        XCTAssertEqual(encoded, expected)
    }

    func testBinaryLabelExampleIsWhatTheEncoderWrites() throws {
        let expected = try bytes(ofHex: "label.bin.hex")
        XCTAssertEqual(expected.count, 48 + 3)
        let encoded = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: Self.ts, sequence: 7,
                                              classIndex: 2, classCount: 3, forwardReturn: 0.00125,
                                              exitTime: Self.ts + 300_000_000_000)
        XCTAssertEqual(encoded, expected)
    }

    func testBinaryRegimeExampleIsWhatTheEncoderWritesAndMatchesTheJSONExample() throws {
        let expected = try bytes(ofHex: "regime.bin.hex")
        XCTAssertEqual(expected.count, 32 + 2 + 3)
        XCTAssertEqual(WireEncoder.binaryRegime(symbol: "SPX", eventTime: Self.ts, sequence: 3, values: [-1, 1]), expected)
        var c = PipelineConfiguration(models: ["lgbm"], horizons: [5])
        c.regimeNames = ["vol_regime", "trend_regime"]
        for payload in [expected, try data("regime.json")] {
            let pipeline = try StackingPipeline(configuration: c)
            var handler = RecordingHandler()
            XCTAssertEqual(pipeline.feed(payload, topic: "regime.SPX", into: &handler), .regime)
            XCTAssertEqual(pipeline.predict("lgbm", ts: Self.ts, [0.125, 0.375, 0.5], into: &handler), .prediction)
            XCTAssertEqual(handler.outputs.first.map { Array($0.features.suffix(2)) }, [-1, 1])
        }
    }

    /// Runs the scenario the ensemble example describes through the real pipeline: models
    /// lgbm, mlp, xgb; lgbm (the prediction example, JSON) and xgb arrive, mlp never does, the
    /// deadline fires. The binary and JSON outputs must equal the examples.
    func testEnsembleExamplesAreWhatThePipelineEmits() throws {
        try checkEnsembleExamples(contributions: false, binary: "ensemble.bin.hex", json: "ensemble.json")
    }

    /// The same scenario with `output.contributions`: flags bit 1, the block after the symbol and
    /// the JSON `contributions` object, byte for byte as `make_examples.py` writes them.
    func testEnsembleContributionsExamplesAreWhatThePipelineEmits() throws {
        try checkEnsembleExamples(contributions: true, binary: "ensemble-contributions.bin.hex",
                                  json: "ensemble-contributions.json")
        let example = try jsonObject(try data("ensemble-contributions.json"))
        let c = try XCTUnwrap(example["contributions"] as? [String: Any])
        let models = try XCTUnwrap(c["models"] as? [String: Double])
        // Averaging's exact decomposition of the served probability 0.5: 0.5 / 3 per model.
        XCTAssertEqual(models, ["lgbm": 0.5 / 3, "mlp": 0.5 / 3, "xgb": 0.5 / 3])
        XCTAssertEqual(c["space"] as? String, "probability")
        let total = models.values.reduce(0, +) + (c["shared"] as? Double ?? .nan) + (c["bias"] as? Double ?? .nan)
        XCTAssertEqual(total, 0.5, accuracy: 1e-15)
        let bytes = try bytes(ofHex: "ensemble-contributions.bin.hex")
        XCTAssertEqual(bytes.count, 56 + 24 + 3 + 4 + 8 * 5)
        XCTAssertEqual(bytes[51], WireFormat.ensembleFlagContributions)
    }

    func checkEnsembleExamples(contributions: Bool, binary: String, json: String) throws {
        var configuration = PipelineConfiguration(
            models: ["xgb", "lgbm", "mlp"], horizons: [5], deadlineNanoseconds: 50_000_000, minModels: 2)
        configuration.contributions = contributions
        let pipeline = try StackingPipeline(configuration: configuration)
        XCTAssertEqual(pipeline.modelNames, ["lgbm", "mlp", "xgb"])
        var capture = CapturingHandler(modelNames: pipeline.modelNames, latency: 1_234_567)
        let lgbm = try data("prediction.json")
        var topic = Array("pred.SPX.5.lgbm".utf8)
        let first = lgbm.withUnsafeBytes { p in
            topic.withUnsafeBytes { t in pipeline.ingest(topic: t, payload: p, receivedAt: 1_000, handler: &capture) }
        }
        XCTAssertEqual(first, .prediction)
        let xgb = WireEncoder.binaryPrediction(model: "xgb", symbol: "SPX", horizon: 5, eventTime: Self.ts,
                                               sequence: 42, probabilities: [0.375, 0.125, 0.5])
        topic = Array("pred.SPX.5.xgb".utf8)
        let second = xgb.withUnsafeBytes { p in
            topic.withUnsafeBytes { t in pipeline.ingest(topic: t, payload: p, receivedAt: 2_000, handler: &capture) }
        }
        XCTAssertEqual(second, .prediction)
        XCTAssertTrue(capture.binary.isEmpty)
        pipeline.advance(to: 1_000 + 50_000_000, handler: &capture)
        XCTAssertEqual(capture.binary.count, 1)
        XCTAssertEqual(capture.binary.first, try bytes(ofHex: binary))

        let emitted = try jsonObject(Array(try XCTUnwrap(capture.json.first).utf8))
        let example = try jsonObject(try data(json))
        XCTAssertEqual(Set(emitted.keys), Set(example.keys))
        XCTAssertEqual(NSDictionary(dictionary: emitted), NSDictionary(dictionary: example))
        XCTAssertEqual(example["probs"] as? [Double], [0.25, 0.25, 0.5])
        XCTAssertEqual(example["missing"] as? [String], ["mlp"])
    }

    // MARK: decoding the examples

    func testJSONAndBinaryPredictionExamplesDecodeToTheSameFields() throws {
        let json = try decodePrediction(try data("prediction.json"))
        let binary = try decodePrediction(try bytes(ofHex: "prediction.bin.hex"))
        let expected = DecodedPrediction(model: "lgbm", symbol: "SPX", horizon: 5, eventTime: Self.ts, sequence: 42,
                                         probabilities: [0.125, 0.375, 0.5])
        XCTAssertEqual(json, expected)
        XCTAssertEqual(binary, expected)
    }

    func testJSONAndBinaryLabelExamplesDecodeToTheSameFields() throws {
        let json = try decodeLabel(try data("label.json"))
        let binary = try decodeLabel(try bytes(ofHex: "label.bin.hex"))
        let expected = DecodedLabel(symbol: "SPX", horizon: 5, eventTime: Self.ts, sequence: 7, classIndex: 2,
                                    forwardReturn: 0.00125, exitTime: Self.ts + 300_000_000_000)
        XCTAssertEqual(json, expected)
        XCTAssertEqual(binary, expected)
    }

    func testExamplesPassTheTopicCheckOfTheirDocumentedTopics() throws {
        let pipeline = try StackingPipeline(configuration: PipelineConfiguration(
            models: ["lgbm", "mlp", "xgb"], horizons: [5]))
        var sink = DiscardingOutputHandler()
        func ingest(_ payload: [UInt8], _ topic: String) -> IngestOutcome {
            let t = Array(topic.utf8)
            return payload.withUnsafeBytes { pb in
                t.withUnsafeBytes { tb in pipeline.ingest(topic: tb, payload: pb, receivedAt: 0, handler: &sink) }
            }
        }
        XCTAssertEqual(ingest(try bytes(ofHex: "prediction.bin.hex"), "pred.SPX.5.lgbm"), .prediction)
        XCTAssertEqual(ingest(try data("prediction.json"), "pred.SPX.5.lgbm"), .rejected(
            WireRejection(.duplicate, "this model's vector for this row was already received")))
        guard case .rejected(let r) = ingest(try bytes(ofHex: "prediction.bin.hex"), "pred.SPX.50.lgbm") else {
            return XCTFail("a wrong horizon in the topic must be refused")
        }
        XCTAssertEqual(r.reason, .topicMismatch)
        XCTAssertEqual(ingest(try bytes(ofHex: "label.bin.hex"), "label.SPX.5"), .label(matched: false))
        XCTAssertEqual(ingest(try data("label.json"), "label.SPX.5"), .label(matched: false))
    }

    // MARK: helpers

    struct DecodedPrediction: Equatable {
        var model: String, symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64, probabilities: [Double]
    }

    struct DecodedLabel: Equatable {
        var symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64, classIndex: Int
        var forwardReturn: Double, exitTime: Int64
    }

    func decode<T>(_ payload: [UInt8], _ body: (InboundMessage, UnsafeMutableBufferPointer<Double>) -> T?) throws -> T {
        let probs = UnsafeMutableBufferPointer<Double>.allocate(capacity: WireFormat.maxClassCount)
        defer { probs.deallocate() }
        let result: T? = try payload.withUnsafeBytes { p in
            body(try WireDecoder.decode(p, probabilities: probs), probs)
        }
        return try XCTUnwrap(result, "decoded to the wrong kind")
    }

    func decodePrediction(_ payload: [UInt8]) throws -> DecodedPrediction {
        try decode(payload) { message, probs in
            guard case .prediction(let f) = message else { return nil }
            return DecodedPrediction(
                model: String(decoding: f.model, as: UTF8.self), symbol: String(decoding: f.symbol, as: UTF8.self),
                horizon: f.horizon, eventTime: f.eventTime, sequence: f.sequence,
                probabilities: Array(probs[0..<f.classCount]))
        }
    }

    func decodeLabel(_ payload: [UInt8]) throws -> DecodedLabel {
        try decode(payload) { message, _ in
            guard case .label(let f) = message else { return nil }
            return DecodedLabel(
                symbol: String(decoding: f.symbol, as: UTF8.self), horizon: f.horizon, eventTime: f.eventTime,
                sequence: f.sequence, classIndex: f.classIndex, forwardReturn: f.forwardReturn, exitTime: f.exitTime)
        }
    }
}

/// Encodes every emission both ways, as the daemon's publisher would.
private struct CapturingHandler: EnsembleOutputHandler {
    let modelNames: [String]
    let latency: UInt64
    var binary: [[UInt8]] = []
    var json: [String] = []

    mutating func emit(_ e: EnsembleEmission) {
        var out = [UInt8](repeating: 0xAA, count: WireEncoder.ensembleSize(classCount: e.probabilities.count,
                                                                            symbolLength: e.symbol.count,
                                                                            contributionModels: e.contributions.map { $0.values.count - 2 }))
        let n = out.withUnsafeMutableBytes { WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: latency, into: $0) }
        binary.append(Array(out[0..<n]))
        json.append(WireEncoder.jsonEnsemble(e, modelNames: modelNames, latencyNanoseconds: latency))
    }
}
