@testable import StackdDaemon
@testable import StackdReplay
import XCTest

/// Events encoded once up front must be, message by message and in order, exactly the bytes and
/// delivery times of the reference encoder: replaying from them then delivers what encoding each
/// event on the fly delivered.
final class EncodedStreamTests: XCTestCase {
    func testMessagesAreTheReferenceEncodingInOrder() {
        let events = [
            StreamEvent(symbol: "AAPL", horizon: 5, eventTime: 1_700_000_000_000_000_000,
                        kind: .prediction(model: "lgbm", probabilities: [0.2, 0.3, 0.5])),
            StreamEvent(symbol: "X", horizon: 0, eventTime: -7, kind: .label(classIndex: 2, forwardReturn: -0.0125, exitTime: 99)),
            StreamEvent(symbol: "SPX", horizon: 0, eventTime: 3, kind: .regime(values: [1, -1])),
            StreamEvent(symbol: "SYM00042", horizon: 120, eventTime: 42, kind: .prediction(model: "m", probabilities: [1, 0, 0])),
            // Too long for the in-place writer: the reference encoder's fallback.
            StreamEvent(symbol: String(repeating: "L", count: 225), horizon: 3, eventTime: 1,
                        kind: .prediction(model: "big", probabilities: [0.5, 0.25, 0.25])),
        ]
        let stream = EncodedStream(events, classCount: 3)
        XCTAssertEqual(stream.count, events.count)
        var topicOffset = 0, payloadOffset = 0
        for (i, e) in events.enumerated() {
            var t = [UInt8](repeating: 0, count: 512), p = [UInt8](repeating: 0, count: 4096)
            let (tn, pn, time) = StreamEncoding.encode(e, classCount: 3, topic: &t, payload: &p)
            let m = stream.messages[i]
            XCTAssertEqual(m.topicOffset, topicOffset, "topic \(i) follows the previous one")
            XCTAssertEqual(m.payloadOffset, payloadOffset, "payload \(i) follows the previous one")
            XCTAssertEqual(Int(m.topicLength), tn, "message \(i)")
            XCTAssertEqual(Int(m.payloadLength), pn, "message \(i)")
            XCTAssertEqual(m.deliveryTime, time, "message \(i)")
            XCTAssertEqual(Array(stream.topics[topicOffset..<(topicOffset + tn)]), Array(t[0..<tn]), "topic \(i)")
            XCTAssertEqual(Array(stream.payloads[payloadOffset..<(payloadOffset + pn)]), Array(p[0..<pn]), "payload \(i)")
            topicOffset += tn
            payloadOffset += pn
        }
        XCTAssertEqual(stream.topics.count, topicOffset)
        XCTAssertEqual(stream.payloads.count, payloadOffset)
        // A label is delivered at its exit time, the others at their event time.
        XCTAssertEqual(stream.messages.map(\.deliveryTime), [1_700_000_000_000_000_000, 99, 3, 42, 1])
    }
}
