import Foundation
import StackdZMQ
import XCTest

/// The options the daemon relies on at its edges: a per-frame size limit that disconnects the
/// sender (seen on the monitor), and an XPUB that reports a full subscriber instead of dropping.
final class SizeLimitAndNoDropTests: ZMQTestCase {
    func testFrameAboveTheLimitDisconnectsThePeerAndTheMonitorSeesIt() throws {
        let directory = try temporaryDirectory()
        let pub = try socket(.xpub)
        try pub.bind("ipc://\(directory.path)/s.sock")
        var limited = Self.settings
        limited.maxMessageSize = 1024
        limited.subscriptions = [""]
        let sub = try socket(.sub, settings: limited)
        XCTAssertEqual(try sub.option(.maxMessageSize), 1024)
        let monitor = try socket(.pair)
        try sub.startMonitor(endpoint: "inproc://size-limit-monitor", events: .disconnected)
        try monitor.connect("inproc://size-limit-monitor")
        try sub.connect("ipc://\(directory.path)/s.sock")
        XCTAssertNotNil(try pub.waitForSubscriber(timeoutMilliseconds: 5000))

        try pub.send([UInt8](repeating: 1, count: 1024))   // at the limit: delivered
        let message = ZMQMessage()
        XCTAssertTrue(try sub.receive(into: message))
        XCTAssertEqual(message.bytes.count, 1024)
        try pub.send([UInt8](repeating: 2, count: 1025))   // above: the connection is dropped
        var items = [ZMQPollItem(socket: monitor)]
        try ZMQSocket.poll(&items, timeoutMilliseconds: 5000)
        XCTAssertEqual(try monitor.receiveMonitorEvent(into: message)?.event, ZMQMonitorEvents.disconnected)
        items = [ZMQPollItem(socket: sub)]
        XCTAssertEqual(try ZMQSocket.poll(&items, timeoutMilliseconds: 200), 0, "the oversize frame was never delivered")
    }

    func testNoDropXPUBRefusesAtTheHighWaterMarkInsteadOfDropping() throws {
        var noDrop = Self.settings
        noDrop.sendHighWaterMark = 10
        noDrop.xpubNoDrop = true
        let pub = try socket(.xpub, settings: noDrop)
        try pub.bind("inproc://no-drop")
        var subscriber = Self.settings
        subscriber.receiveHighWaterMark = 10
        subscriber.subscriptions = ["t"]
        let sub = try socket(.sub, settings: subscriber)
        try sub.connect("inproc://no-drop")
        XCTAssertNotNil(try pub.waitForSubscriber(timeoutMilliseconds: 5000))
        var accepted = 0, refused = 0
        for _ in 0..<1000 {
            if try pub.send(topic: "t", payload: [1, 2, 3], dontWait: true) { accepted += 1 } else { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 0, "the full subscriber is reported, not silently skipped")
        XCTAssertLessThanOrEqual(accepted, 20 + 1, "at most both high-water marks were queued (inproc)")
    }
}
