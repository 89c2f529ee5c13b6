import StackdCore
import StackdTestSupport
import XCTest

/// The regime message (kind 5, `regime.<symbol>`, JSON `type` "regime") as `schemas/wire.md` §4.4
/// and §5.5 define it: every good form decodes to the same values, every bad one is refused with
/// its documented reason.
final class RegimeWireTests: XCTestCase {
    static let names = ["vol_regime", "trend_regime"]

    func makeRegimePipeline(models: [String] = ["a", "b"], symbols: [String] = [], regimes: [String] = names,
                            deadline: Int64 = 1_000) throws -> StackingPipeline {
        var c = PipelineConfiguration(models: models, horizons: [5, 10], symbols: symbols, deadlineNanoseconds: deadline)
        c.regimeNames = regimes
        return try StackingPipeline(configuration: c)
    }

    func reason(_ o: IngestOutcome) -> RejectReason? {
        if case .rejected(let r) = o { return r.reason }
        return nil
    }

    func testBinaryRegimeLayoutIsByteExact() {
        // Hand-assembled per wire.md §4.4: "SK", v1, kind 5, count 2, symbol len 3, flags 0, reserved 0,
        // two reserved u32, ts 7, seq 9, values -1 (0xFF) and 1, "SPX".
        let bytes = WireEncoder.binaryRegime(symbol: "SPX", eventTime: 7, sequence: 9, values: [-1, 1])
        XCTAssertEqual(Array(bytes[0..<8]), [0x53, 0x4B, 1, 5, 2, 3, 0, 0])
        XCTAssertEqual(Array(bytes[8..<16]), [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[16..<32]), [7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[32..<34]), [0xFF, 0x01])
        XCTAssertEqual(Array(bytes[34...]), Array("SPX".utf8))
        XCTAssertEqual(bytes.count, 32 + 2 + 3)
    }

    func testBinaryAndJSONRegimesDecodeToTheSameValues() throws {
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: WireFormat.maxClassCount)
        defer { values.deallocate() }
        func decode(_ bytes: [UInt8]) throws -> (symbol: String, ts: Int64, seq: UInt64, values: [Double]) {
            try bytes.withUnsafeBytes { raw in
                guard case .regime(let f) = try WireDecoder.decode(raw, probabilities: values) else {
                    throw XCTSkip("not a regime")
                }
                return (String(decoding: f.symbol, as: UTF8.self), f.eventTime, f.sequence, Array(values[0..<f.count]))
            }
        }
        let binary = try decode(WireEncoder.binaryRegime(symbol: "SPX", eventTime: 1_767_225_600_000_000_000, sequence: 3,
                                                        values: [-1, 0, 127, -128]))
        let json = try decode(Array(#"{"v":1,"type":"regime","symbol":"SPX","ts":1767225600000000000,"seq":3,"values":[-1,0,127,-128]}"#.utf8))
        XCTAssertEqual(binary.symbol, "SPX")
        XCTAssertEqual(binary.ts, 1_767_225_600_000_000_000)
        XCTAssertEqual(binary.seq, 3)
        XCTAssertEqual(binary.values, [-1, 0, 127, -128])
        XCTAssertEqual(json.symbol, binary.symbol)
        XCTAssertEqual(json.ts, binary.ts)
        XCTAssertEqual(json.seq, binary.seq)
        XCTAssertEqual(json.values, binary.values)
        // Writer helpers agree with the hand-written JSON.
        XCTAssertEqual(WireEncoder.jsonRegime(symbol: "SPX", eventTime: 5, sequence: 1, values: [-1, 1]),
                       #"{"v":1,"type":"regime","symbol":"SPX","ts":5,"seq":1,"values":[-1,1]}"#)
    }

    func testEveryBadBinaryRegimeIsRefusedWithItsReason() throws {
        let p = try makeRegimePipeline(symbols: ["SPX"])
        var h = OutputRecorder()
        let good = WireEncoder.binaryRegime(symbol: "SPX", eventTime: 100, sequence: 1, values: [-1, 1])
        func feed(_ b: [UInt8], topic: String = "regime.SPX") -> RejectReason? { reason(p.feed(b, topic: topic, into: &h)) }

        XCTAssertEqual(feed(Array(good[0..<31])), .malformed, "shorter than the 32-byte header")
        var version = good; version[2] = 2
        XCTAssertEqual(feed(version), .unsupportedVersion)
        var noCount = good; noCount[4] = 0
        XCTAssertEqual(feed(Array(noCount[0..<32]) + Array("SPX".utf8)), .wrongArity, "count 0")
        var tooMany = good; tooMany[4] = 17
        XCTAssertEqual(feed(Array(tooMany[0..<32]) + [UInt8](repeating: 0, count: 17) + Array("SPX".utf8)), .wrongArity, "count 17")
        XCTAssertEqual(feed(good + [0]), .malformed, "a trailing byte")
        XCTAssertEqual(feed(Array(good.dropLast())), .malformed, "one byte short of what the header announces")
        var badSymbol = good; badSymbol[good.count - 1] = UInt8(ascii: ".")
        XCTAssertEqual(feed(badSymbol, topic: "regime.SP."), .badName)
        XCTAssertEqual(feed(good, topic: "regime.SPY"), .topicMismatch)
        XCTAssertEqual(feed(good, topic: "regime.SPX.5"), .topicMismatch, "regimes carry no horizon")
        XCTAssertEqual(feed(WireEncoder.binaryRegime(symbol: "SPX", eventTime: 100, sequence: 2, values: [1])), .wrongArity,
                       "one value, two regimes configured")
        XCTAssertEqual(feed(WireEncoder.binaryRegime(symbol: "QQQ", eventTime: 100, sequence: 3, values: [1, 1]), topic: "regime.QQQ"),
                       .unknownSymbol)
        XCTAssertEqual(p.counters.regimesAccepted, 0)
        XCTAssertNil(feed(good))
        XCTAssertEqual(p.counters.regimesAccepted, 1)
        XCTAssertEqual(feed(good), .duplicate)
    }

    func testARegimeIsRefusedAsUnknownKindWithoutConfiguredRegimes() throws {
        let p = try makeRegimePipeline(regimes: [])
        var h = OutputRecorder()
        let o = p.feed(WireEncoder.binaryRegime(symbol: "SPX", eventTime: 100, sequence: 1, values: [0, 0]), topic: "regime.SPX", into: &h)
        XCTAssertEqual(reason(o), .unknownKind)
        XCTAssertEqual(p.counters.rejected(.unknownKind), 1)
        XCTAssertEqual(p.layout.count, 2 * 3 + 4 * 2 + 5, "no regime columns")
    }

    func testEveryBadJSONRegimeIsRefusedWithItsReason() throws {
        let p = try makeRegimePipeline(symbols: ["SPX"])
        var h = OutputRecorder()
        func json(_ body: String) -> RejectReason? { reason(p.feed(body, topic: "regime.SPX", into: &h)) }
        let head = #""v":1,"type":"regime","symbol":"SPX","ts":100,"seq":1"#
        XCTAssertEqual(json(#"{\#(head)}"#), .wrongArity, "values missing")
        XCTAssertEqual(json(#"{\#(head),"values":[]}"#), .wrongArity, "values empty")
        XCTAssertEqual(json(#"{\#(head),"values":[\#((0..<17).map { _ in "0" }.joined(separator: ","))]}"#), .wrongArity, "17 values")
        XCTAssertEqual(json(#"{\#(head),"values":[1.5,0]}"#), .malformed, "not an integer")
        XCTAssertEqual(json(#"{\#(head),"values":[128,0]}"#), .malformed, "above i8")
        XCTAssertEqual(json(#"{\#(head),"values":[-129,0]}"#), .malformed, "below i8")
        XCTAssertEqual(json(#"{\#(head),"values":[NaN,0]}"#), .nonFinite)
        XCTAssertEqual(json(#"{\#(head),"values":["a",0]}"#), .malformed)
        XCTAssertEqual(json(#"{\#(head),"values":{"vol":1}}"#), .malformed)
        XCTAssertEqual(json(#"{"v":2,"type":"regime","symbol":"SPX","ts":100,"seq":1,"values":[0,0]}"#), .unsupportedVersion)
        XCTAssertEqual(json(#"{"v":1,"type":"regime","symbol":"SPX","seq":1,"values":[0,0]}"#), .malformed, "ts missing")
        XCTAssertEqual(json(#"{"v":1,"type":"regime","ts":100,"seq":1,"values":[0,0]}"#), .badName, "symbol missing")
        XCTAssertEqual(json(#"{"v":1,"type":"regimes","symbol":"SPX","ts":100,"seq":1,"values":[0,0]}"#), .unknownKind)
        XCTAssertEqual(json(#"{\#(head),"values":[0]}"#), .wrongArity, "one value, two regimes configured")
        XCTAssertEqual(p.counters.regimesAccepted, 0)
        // A horizon is not needed and ignored when given; unknown fields are skipped; 1.0 is the integer 1.
        XCTAssertNil(json(#"{\#(head),"horizon":5,"values":[1.0,-1],"extra":{"x":1}}"#))
        XCTAssertEqual(p.counters.regimesAccepted, 1)
    }

    func testAPredictionMayCarryAnUnknownValuesField() throws {
        let p = try makeRegimePipeline(models: ["a"], regimes: [])
        var h = OutputRecorder()
        let o = p.feed(#"{"v":1,"type":"prediction","model":"a","symbol":"SPX","horizon":5,"ts":1,"seq":1,"values":[0.5,"x"],"probs":[0.2,0.3,0.5]}"#, into: &h)
        XCTAssertEqual(o, .prediction, "a prediction's own values field is skipped like any unknown field")
        let o2 = p.feed(#"{"v":1,"type":"prediction","model":"a","symbol":"SPX","horizon":5,"ts":2,"seq":2,"values":[0.5,300],"probs":[0.2,0.3,0.5]}"#, into: &h)
        XCTAssertEqual(o2, .prediction, "values are only checked as regime values in a regime message")
    }
}
