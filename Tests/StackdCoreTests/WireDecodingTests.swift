import StackdCore
import StackdTestSupport
import XCTest

final class WireDecodingTests: XCTestCase {
    func reason(_ o: IngestOutcome) -> RejectReason? {
        if case .rejected(let r) = o { return r.reason }
        return nil
    }

    func testBinaryPredictionLayoutIsByteExact() {
        // Hand-assembled per schemas/wire.md: "SK", v1, kind 1, K=3, model len 2, symbol len 3, flags 0,
        // horizon 5, reserved 0, ts 7, seq 9, three doubles, "ab", "SPX".
        let bytes = WireEncoder.binaryPrediction(model: "ab", symbol: "SPX", horizon: 5, eventTime: 7, sequence: 9,
                                                 probabilities: [0.25, 0.25, 0.5])
        XCTAssertEqual(Array(bytes[0..<8]), [0x53, 0x4B, 1, 1, 3, 2, 3, 0])
        XCTAssertEqual(Array(bytes[8..<16]), [5, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[16..<32]), [7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[32..<40]), [0, 0, 0, 0, 0, 0, 0xD0, 0x3F], "0.25 little-endian")
        XCTAssertEqual(Array(bytes[56...]), Array("abSPX".utf8))
        XCTAssertEqual(bytes.count, 32 + 24 + 5)
    }

    func testJSONAndBinaryEncodingsProduceTheSameOutput() throws {
        let p1 = try makePipeline(models: ["a"]), p2 = try makePipeline(models: ["a"])
        var h1 = OutputRecorder(), h2 = OutputRecorder()
        p1.feed(#"{"v":1,"type":"prediction","model":"a","symbol":"SPX","horizon":5,"ts":100,"seq":1,"probs":[0.1,0.2,0.7],"extra":{"x":[1,"\""]}}"#, into: &h1)
        p2.predict("a", [0.1, 0.2, 0.7], into: &h2)
        XCTAssertEqual(h1.outputs, h2.outputs)
        XCTAssertEqual(h1.outputs.count, 1)
    }

    func testEveryBadInputIsRejectedWithItsReason() throws {
        let p = try makePipeline(symbols: ["SPX"])
        var h = OutputRecorder()
        func json(_ body: String) -> IngestOutcome { p.feed(body, into: &h) }
        let ok = #""type":"prediction","model":"a","symbol":"SPX","horizon":5,"ts":1,"seq":1"#
        XCTAssertEqual(reason(json("not json")), .malformed)
        XCTAssertEqual(reason(json("{\"v\":1,")), .malformed)
        XCTAssertEqual(reason(json(#"{"v":2,\#(ok),"probs":[0.2,0.3,0.5]}"#)), .unsupportedVersion)
        XCTAssertEqual(reason(json(#"{"v":1,\#(ok),"probs":[0.5,0.5]}"#)), .wrongArity)
        XCTAssertEqual(reason(json(#"{"v":1,\#(ok),"probs":[NaN,0.5,0.5]}"#)), .nonFinite)
        XCTAssertEqual(reason(json(#"{"v":1,\#(ok),"probs":[-0.1,0.6,0.5]}"#)), .negativeProbability)
        XCTAssertEqual(reason(json(#"{"v":1,\#(ok),"probs":[0.3,0.3,0.3]}"#)), .badSum)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"prediction","model":"zz","symbol":"SPX","horizon":5,"ts":1,"probs":[0.2,0.3,0.5]}"#)), .unknownModel)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"prediction","model":"a","symbol":"QQQ","horizon":5,"ts":1,"probs":[0.2,0.3,0.5]}"#)), .unknownSymbol)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"prediction","model":"a","symbol":"SPX","horizon":7,"ts":1,"probs":[0.2,0.3,0.5]}"#)), .unknownHorizon)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"weather","ts":1}"#)), .unknownKind)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"prediction","model":"a b","symbol":"SPX","horizon":5,"ts":1,"probs":[0.2,0.3,0.5]}"#)), .badName)
        XCTAssertEqual(reason(json(#"{"v":1,"type":"label","symbol":"SPX","horizon":5,"ts":1,"class":3}"#)), .badLabel)
        XCTAssertEqual(reason(p.feed(Array(repeating: UInt8(ascii: " "), count: 5000), into: &h)), .oversize)
        // Binary: truncated, bad magic, bad version, length disagreeing with the header.
        var b = WireEncoder.binaryPrediction(model: "a", symbol: "SPX", horizon: 5, eventTime: 1, sequence: 1, probabilities: [0.2, 0.3, 0.5])
        XCTAssertEqual(reason(p.feed(Array(b[0..<20]), into: &h)), .malformed)
        XCTAssertEqual(reason(p.feed(Array(b.dropLast()), into: &h)), .malformed)
        b[2] = 9
        XCTAssertEqual(reason(p.feed(b, into: &h)), .unsupportedVersion)
        b[2] = 1
        XCTAssertEqual(reason(p.feed(b, topic: "pred.SPX.10.a", into: &h)), .topicMismatch)
        XCTAssertEqual(reason(p.feed(b, topic: "pred.SPX.5.ab", into: &h)), .topicMismatch)
        XCTAssertEqual(p.feed(b, topic: "pred.SPX.5.a", into: &h), .prediction)
        XCTAssertEqual(p.counters.totalRejected, 19)
        XCTAssertEqual(p.counters.predictionsAccepted, 1)
        XCTAssertEqual(p.pendingRows, 1, "no rejected message created or corrupted a row")
    }

    func testBadConfigurationIsRefusedWithEveryProblem() {
        XCTAssertThrowsError(try StackingPipeline(configuration: PipelineConfiguration(
            models: [], horizons: [0], minModels: 2))) { error in
            let problems = (error as! ConfigurationError).problems
            XCTAssertTrue(problems.contains("at least one base model is required"))
            XCTAssertTrue(problems.contains("horizon 0 must be a positive 32-bit integer"))
        }
    }
}

final class WireEdgeCaseTests: XCTestCase {
    func testTopicHorizonMustBeCanonicalDecimal() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        let b = WireEncoder.binaryPrediction(model: "a", symbol: "SPX", horizon: 5, eventTime: 1, sequence: 1, probabilities: [0.2, 0.3, 0.5])
        guard case .rejected(let r) = p.feed(b, topic: "pred.SPX.05.a", into: &h) else { return XCTFail() }
        XCTAssertEqual(r.reason, .topicMismatch)
    }

    func testNegativeInfinityIsNonFinite() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        guard case .rejected(let r) = p.feed(#"{"v":1,"type":"prediction","model":"a","symbol":"SPX","horizon":5,"ts":1,"probs":[-Infinity,0.5,0.5]}"#, into: &h) else { return XCTFail() }
        XCTAssertEqual(r.reason, .nonFinite)
    }

    func testBinaryLabelWithAnotherClassCountIsRefused() throws {
        let p = try makePipeline(models: ["a"])
        var h = OutputRecorder()
        let label = WireEncoder.binaryLabel(symbol: "SPX", horizon: 5, eventTime: 1, sequence: 1, classIndex: 1, classCount: 9, forwardReturn: 0, exitTime: 0)
        guard case .rejected(let r) = p.feed(label, into: &h) else { return XCTFail() }
        XCTAssertEqual(r.reason, .wrongArity)
    }
}
