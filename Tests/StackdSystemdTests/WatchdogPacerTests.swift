import XCTest
@testable import StackdSystemd

final class WatchdogPacerTests: XCTestCase {
    func testFirstPingImmediatelyThenEveryInterval() {
        var pacer = WatchdogPacer(intervalNanoseconds: 5_000)
        XCTAssertTrue(pacer.shouldPing(atNanoseconds: 100))
        XCTAssertFalse(pacer.shouldPing(atNanoseconds: 100))
        XCTAssertFalse(pacer.shouldPing(atNanoseconds: 5_099))
        XCTAssertTrue(pacer.isDue(atNanoseconds: 5_100))
        XCTAssertTrue(pacer.shouldPing(atNanoseconds: 5_100))
        XCTAssertEqual(pacer.lastPingNanoseconds, 5_100)
        // A late loop pings once, then the period restarts from that ping.
        XCTAssertTrue(pacer.shouldPing(atNanoseconds: 50_000))
        XCTAssertFalse(pacer.shouldPing(atNanoseconds: 54_999))
        XCTAssertTrue(pacer.shouldPing(atNanoseconds: 55_000))
    }

    func testIsDueDoesNotRecord() {
        let pacer = WatchdogPacer(intervalNanoseconds: 10)
        XCTAssertTrue(pacer.isDue(atNanoseconds: 0))
        XCTAssertNil(pacer.lastPingNanoseconds)
    }

    func testDisabledNeverPings() {
        var pacer = WatchdogPacer(interval: nil)
        XCTAssertFalse(pacer.isEnabled)
        for now: UInt64 in [0, 1, 1 << 40, .max] { XCTAssertFalse(pacer.shouldPing(atNanoseconds: now)) }
    }

    func testBackwardsTimeIsNotDue() {
        var pacer = WatchdogPacer(intervalNanoseconds: 10)
        XCTAssertTrue(pacer.shouldPing(atNanoseconds: 1_000))
        XCTAssertFalse(pacer.shouldPing(atNanoseconds: 10))
        XCTAssertEqual(pacer.lastPingNanoseconds, 1_000)
    }

    func testDurationConversion() {
        XCTAssertEqual(WatchdogPacer(interval: .seconds(5)).intervalNanoseconds, 5_000_000_000)
        XCTAssertEqual(WatchdogPacer(interval: .microseconds(1_500)).intervalNanoseconds, 1_500_000)
        XCTAssertEqual(WatchdogPacer(interval: .seconds(-1)).intervalNanoseconds, 0)
    }
}
