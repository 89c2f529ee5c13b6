import StackdZMQ
import XCTest

/// Waiting for subscribers through XPUB instead of sleeping.
final class ReadinessTests: ZMQTestCase {
    func testPublisherWaitsForSubscriptionThenFirstMessageArrives() throws {
        let pub = try socket(.xpub)
        try pub.bind("tcp://127.0.0.1:*")
        let sub = try socket(.sub)
        try sub.connect(try pub.lastEndpoint)
        try sub.subscribe(prefix: [0xF0, 0x01])

        XCTAssertEqual(try pub.waitForSubscriber(timeoutMilliseconds: 5000), [0xF0, 0x01])
        try pub.send(topic: [0xF0, 0x01, 0x02], payload: [42])

        let message = ZMQMessage()
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.bytes, [0xF0, 0x01, 0x02])
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.bytes, [42])
    }

    func testVerboseXPubSeesEverySubscriberOfTheSameTopic() throws {
        var verbose = Self.settings
        verbose.xpubVerbose = true
        let pub = try socket(.xpub, settings: verbose)
        try pub.bind("inproc://verbose")
        var subscribers: [ZMQSocket] = []
        for _ in 0..<2 {
            let sub = try socket(.sub)
            try sub.connect("inproc://verbose")
            try sub.subscribe(prefix: "p")
            XCTAssertEqual(try pub.waitForSubscriber(timeoutMilliseconds: 5000), Array("p".utf8))
            subscribers.append(sub)
        }
        try pub.send("p1")
        let message = ZMQMessage()
        for sub in subscribers {
            XCTAssertTrue(try sub.receive(into: message))
            XCTAssertEqual(message.string, "p1")
        }
    }

    func testUnsubscribeReachesPublisher() throws {
        let (pub, sub) = try connectedPubSub(endpoint: "inproc://unsubscribe", prefix: "a")
        try sub.unsubscribe(prefix: "a")
        let message = ZMQMessage()
        XCTAssertTrue(try pub.receive(into: message))
        XCTAssertEqual(message.bytes, [0] + Array("a".utf8))
    }

    func testWaitingOnNonXPubSocketIsRejected() throws {
        let pub = try socket(.pub)
        XCTAssertThrowsError(try pub.waitForSubscriber(timeoutMilliseconds: 0)) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EINVAL)
        }
    }
}
