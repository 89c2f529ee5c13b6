import StackdZMQ
import XCTest

/// Multiplexing several sockets on one thread.
final class PollTests: ZMQTestCase {
    func testPollReportsOnlyTheSocketWithInput() throws {
        let quiet = try socket(.pull)
        try quiet.bind("inproc://quiet")
        let busy = try socket(.pull)
        try busy.bind("inproc://busy")
        let push = try socket(.push)
        try push.connect("inproc://busy")
        try push.send("hello")

        var items = [ZMQPollItem(socket: quiet), ZMQPollItem(socket: busy)]
        XCTAssertEqual(try ZMQSocket.poll(&items, timeoutMilliseconds: 5000), 1)
        XCTAssertFalse(items[0].isReadable)
        XCTAssertTrue(items[1].isReadable)

        let message = ZMQMessage()
        XCTAssertTrue(try busy.receive(into: message, dontWait: true))
        XCTAssertEqual(message.string, "hello")
        XCTAssertEqual(try ZMQSocket.poll(&items, timeoutMilliseconds: 0), 0)
        XCTAssertFalse(items[1].isReadable)
    }
}
