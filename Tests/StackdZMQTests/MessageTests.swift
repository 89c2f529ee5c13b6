import Foundation
import StackdZMQ
import XCTest

/// Framing and the zero-copy receive buffer.
final class MessageTests: ZMQTestCase {
    func testPrefixSubscriptionFiltersOtherTopics() throws {
        let (pub, sub) = try connectedPubSub(endpoint: "inproc://filter", prefix: "alpha.")
        try pub.send(topic: "beta.x", payload: [1])
        try pub.send(topic: "alpha.y", payload: [2])

        // Messages from one publisher arrive in order, so had "beta.x" passed it would be first.
        let message = ZMQMessage()
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "alpha.y")
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.bytes, [2])
        XCTAssertFalse(try sub.receive(into: message, dontWait: true), "nothing else was delivered")
    }

    func testTwoFrameTopicAndPayloadReportMore() throws {
        let (pub, sub) = try connectedPubSub(endpoint: "inproc://frames", prefix: "")
        try pub.send(topic: "t", payload: Array("payload".utf8))

        let message = ZMQMessage()
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "t")
        XCTAssertEqual(message.count, 1)
        XCTAssertTrue(message.hasMore)
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.string, "payload")
        XCTAssertFalse(message.hasMore)
    }

    func testOneMegabyteFrameArrivesExactlyAndMessageIsReusable() throws {
        let pull = try socket(.pull)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try socket(.push)
        try push.connect(try pull.lastEndpoint)

        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let other = large.reversed().map { $0 ^ 0x5A }
        XCTAssertTrue(try push.send(large))
        XCTAssertTrue(try push.send("small"))
        XCTAssertTrue(try push.send(other))
        XCTAssertTrue(try push.send([UInt8]()))

        let message = ZMQMessage()
        XCTAssertTrue(try pull.receive(into: message))
        XCTAssertEqual(message.count, large.count)
        XCTAssertTrue(message.withUnsafeBytes { $0.elementsEqual(large) })
        XCTAssertTrue(try pull.receive(into: message))
        XCTAssertEqual(message.string, "small")
        XCTAssertTrue(try pull.receive(into: message))
        XCTAssertTrue(message.withUnsafeBytes { $0.elementsEqual(other) })
        XCTAssertTrue(try pull.receive(into: message))
        XCTAssertEqual(message.count, 0)
        XCTAssertEqual(message.bytes, [])
    }

    func testNonBlockingReceiveOnEmptySocketReturnsFalse() throws {
        let pull = try socket(.pull)
        try pull.bind("inproc://empty")
        let message = ZMQMessage()
        XCTAssertFalse(try pull.receive(into: message, dontWait: true))
    }

    func testNonBlockingSendWithoutPeerReturnsFalse() throws {
        // PUSH has nowhere to queue before a peer connects, so the send would block.
        let push = try socket(.push)
        try push.bind("inproc://no-peer")
        XCTAssertFalse(try push.send("x", dontWait: true))
    }
}
