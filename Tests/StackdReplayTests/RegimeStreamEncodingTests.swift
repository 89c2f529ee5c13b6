@testable import StackdDaemon
@testable import StackdReplay
import XCTest

/// Replay writes regime events without allocating; the bytes must be those of the reference
/// encoder (`WireEncoder.binaryRegime` on `regime.<symbol>`), whatever the symbol and values.
final class RegimeStreamEncodingTests: XCTestCase {
    func testWriteMatchesEncodeForRegimes() {
        let events = [
            StreamEvent(symbol: "SPX", horizon: 0, eventTime: 1_767_225_600_000_000_000, kind: .regime(values: [-1, 1])),
            StreamEvent(symbol: "X", horizon: 0, eventTime: -7, kind: .regime(values: [-128, 127, 0])),
            StreamEvent(symbol: "ÉTÉ", horizon: 0, eventTime: 5, kind: .regime(values: Array(repeating: 3, count: 16))),
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
        // The topic is the grammar's, independently of both encoders.
        var t = [UInt8](repeating: 0, count: 256), p = [UInt8](repeating: 0, count: 4096)
        let r = StreamEncoding.encode(events[0], classCount: 3, topic: &t, payload: &p)
        XCTAssertEqual(String(decoding: t[0..<r.0], as: UTF8.self), "regime.SPX")
        XCTAssertEqual(r.2, events[0].eventTime, "delivered at its event time")
    }
}
