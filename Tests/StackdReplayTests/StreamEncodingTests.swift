@testable import StackdDaemon
@testable import StackdReplay
import XCTest

/// The allocation-free replay encoder must produce exactly the bytes of the reference encoder.
final class StreamEncodingTests: XCTestCase {
    func testWriteMatchesEncode() {
        let events = [
            StreamEvent(symbol: "AAPL", horizon: 5, eventTime: 1_700_000_000_000_000_000,
                        kind: .prediction(model: "lgbm", probabilities: [0.2, 0.3, 0.5])),
            StreamEvent(symbol: "SYM00042", horizon: 120, eventTime: 42, kind: .prediction(model: "m", probabilities: [1, 0])),
            StreamEvent(symbol: "X", horizon: 0, eventTime: -7, kind: .label(classIndex: 2, forwardReturn: -0.0125, exitTime: 99)),
            StreamEvent(symbol: "ÉTÉ", horizon: 10, eventTime: 5, kind: .label(classIndex: 0, forwardReturn: 3.5, exitTime: 1 << 40)),
            StreamEvent(symbol: String(repeating: "L", count: 225), horizon: 3, eventTime: 1,
                        kind: .prediction(model: "big", probabilities: [0.5, 0.5])),
        ]
        let topic = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { topic.deallocate(); payload.deallocate() }
        for e in events {
            var t = [UInt8](repeating: 0, count: 256), p = [UInt8](repeating: 0, count: 4096)
            let expected = StreamEncoding.encode(e, classCount: 3, topic: &t, payload: &p)
            let got = StreamEncoding.write(e, classCount: 3, topic: topic, payload: payload)
            XCTAssertEqual(got.0, expected.0); XCTAssertEqual(got.1, expected.1); XCTAssertEqual(got.2, expected.2)
            XCTAssertEqual(Array(topic[0..<got.0]), Array(t[0..<expected.0]), "\(e)")
            XCTAssertEqual(Array(payload[0..<got.1]), Array(p[0..<expected.1]), "\(e)")
        }
    }

    func testLabelStatesTheDeploymentsClassCount() {
        // Binary label layout (schemas/wire.md): byte 4 the class index, byte 5 the class count.
        let label = StreamEvent(symbol: "SPX", horizon: 5, eventTime: 1, kind: .label(classIndex: 1, forwardReturn: 0, exitTime: 2))
        let topic = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { topic.deallocate(); payload.deallocate() }
        for k in [2, 3, 5, 16] {
            _ = StreamEncoding.write(label, classCount: k, topic: topic, payload: payload)
            XCTAssertEqual(payload[4], 1)
            XCTAssertEqual(payload[5], UInt8(k), "K = \(k)")
            var t = [UInt8](repeating: 0, count: 256), p = [UInt8](repeating: 0, count: 4096)
            _ = StreamEncoding.encode(label, classCount: k, topic: &t, payload: &p)
            XCTAssertEqual(p[5], UInt8(k), "K = \(k), reference encoder")
        }
    }
}
