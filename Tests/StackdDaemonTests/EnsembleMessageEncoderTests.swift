import StackdCore
@testable import StackdDaemon
import XCTest

/// The one ensemble encode step of the live and paced publishers: the binary payload sent is
/// `WireEncoder`'s with the real latency, and the digest taken from those bytes before the
/// latency went in equals the replay's digest (`OutputDigest.add` of the latency-0 encoding);
/// with JSON the payload is `WireEncoder`'s JSON and the digest is unchanged.
final class EnsembleMessageEncoderTests: XCTestCase {
    /// Calls `body` inside the pipeline's emit for one complete row of models a and b.
    struct Probe: EnsembleOutputHandler {
        var body: (EnsembleEmission) -> Void
        mutating func emit(_ e: EnsembleEmission) { body(e) }
    }

    func emitOneRow(contributions: Bool = false, _ body: @escaping (EnsembleEmission) -> Void) throws {
        var configuration = PipelineConfiguration(models: ["a", "b"], horizons: [5])
        configuration.contributions = contributions
        let pipeline = try StackingPipeline(configuration: configuration)
        var probe = Probe(body: body)
        for (model, p) in [("a", [0.2, 0.3, 0.5]), ("b", [0.4, 0.4, 0.2])] {
            var bytes = WireEncoder.binaryPrediction(model: model, symbol: "SPX", horizon: 5, eventTime: 100, sequence: 1,
                                                     probabilities: p)
            _ = bytes.withUnsafeMutableBytes {
                pipeline.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: 0, handler: &probe)
            }
        }
    }

    func testBinaryPayloadCarriesTheLatencyAndTheDigestIsTheReplaysDigest() throws {
        let encoder = EnsembleMessageEncoder(encoding: .binary, modelNames: ["a", "b"])
        var digest = OutputDigest(), replayDigest = OutputDigest()
        var sent: (topic: String, payload: [UInt8])?, reference: [UInt8] = []
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { scratch.deallocate() }
        try emitOneRow { e in
            sent = encoder.withMessage(e, latencyNanoseconds: 123_456, digest: &digest) { t, p in
                (String(decoding: t, as: UTF8.self), Array(p))
            }
            let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 123_456, into: scratch)
            reference = Array(scratch[0..<n])
            replayDigest.add(e, scratch: scratch)
        }
        let message = try XCTUnwrap(sent, "one output")
        XCTAssertEqual(message.topic, "ens.SPX.5")
        XCTAssertEqual(message.payload, reference)
        // latency_ns (u64 at offset 40, schemas/wire.md): 123 456 = 0x01E240, little-endian.
        XCTAssertEqual(Array(message.payload[40..<48]), [0x40, 0xE2, 0x01, 0, 0, 0, 0, 0])
        XCTAssertEqual(digest, replayDigest)
        XCTAssertEqual(digest.count, 1)
    }

    func testJSONPayloadAndAnEncodingIndependentDigest() throws {
        let encoder = EnsembleMessageEncoder(encoding: .json, modelNames: ["a", "b"])
        var digest = OutputDigest(), replayDigest = OutputDigest()
        var sent = "", reference = ""
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { scratch.deallocate() }
        try emitOneRow { e in
            sent = encoder.withMessage(e, latencyNanoseconds: 7, digest: &digest) { _, p in String(decoding: p, as: UTF8.self) }
            reference = WireEncoder.jsonEnsemble(e, modelNames: ["a", "b"], latencyNanoseconds: 7)
            replayDigest.add(e, scratch: scratch)
        }
        XCTAssertEqual(sent, reference)
        XCTAssertTrue(sent.contains("\"latency_ns\":7"), sent)
        XCTAssertEqual(digest, replayDigest)
    }

    /// With `output.contributions` the block is sent (flags bit 1) but the digest is still the
    /// plain encoding's, equal to a replay's without the block.
    func testContributionsAreSentAndLeftOutOfTheDigest() throws {
        let encoder = EnsembleMessageEncoder(encoding: .binary, modelNames: ["a", "b"])
        var digest = OutputDigest(), plainDigest = OutputDigest()
        var sent: [UInt8] = [], reference: [UInt8] = []
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { scratch.deallocate() }
        try emitOneRow(contributions: true) { e in
            XCTAssertNotNil(e.contributions)
            sent = encoder.withMessage(e, latencyNanoseconds: 9, digest: &digest) { _, p in Array(p) }
            let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 9, into: scratch)
            reference = Array(scratch[0..<n])
        }
        try emitOneRow(contributions: false) { e in plainDigest.add(e, scratch: scratch) }
        XCTAssertEqual(sent, reference)
        XCTAssertEqual(sent[51] & WireFormat.ensembleFlagContributions, WireFormat.ensembleFlagContributions)
        XCTAssertEqual(digest, plainDigest)
    }
}
