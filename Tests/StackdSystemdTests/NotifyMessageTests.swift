import XCTest
@testable import StackdSystemd

final class NotifyMessageTests: XCTestCase {
    func testPayloads() {
        XCTAssertEqual(NotifyMessage.ready.payload, "READY=1")
        XCTAssertEqual(NotifyMessage.stopping.payload, "STOPPING=1")
        XCTAssertEqual(NotifyMessage.watchdog.payload, "WATCHDOG=1")
        XCTAssertEqual(NotifyMessage.reloading(monotonicMicroseconds: 123_456).payload,
                       "RELOADING=1\nMONOTONIC_USEC=123456")
        XCTAssertEqual(NotifyMessage.extendTimeout(microseconds: 30_000_000).payload,
                       "EXTEND_TIMEOUT_USEC=30000000")
        XCTAssertEqual(NotifyMessage.mainPID(4242).payload, "MAINPID=4242")
        XCTAssertEqual(NotifyMessage.status("ingesting 3 models").payload, "STATUS=ingesting 3 models")
    }

    func testStatusCannotInjectAssignments() {
        let payload = NotifyMessage.status("model a\nSTOPPING=1\r\nx\u{0}y").payload
        XCTAssertEqual(payload, "STATUS=model a STOPPING=1  x y")
        XCTAssertFalse(payload.contains("\n"))
    }
}
