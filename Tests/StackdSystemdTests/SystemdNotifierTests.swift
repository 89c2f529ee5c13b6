import StackdClock
@testable import StackdSystemd
import XCTest

final class SystemdNotifierTests: XCTestCase {
    private var fixture: NotifySocketFixture!

    override func setUpWithError() throws {
        fixture = try NotifySocketFixture()
    }

    override func tearDown() {
        fixture?.tearDown()
        fixture = nil
    }

    func testNotifySequenceReachesSocket() throws {
        let notifier = SystemdNotifier()
        XCTAssertTrue(notifier.isEnabled)

        XCTAssertTrue(notifier.ready())
        XCTAssertEqual(fixture.receive(), "READY=1")

        XCTAssertTrue(notifier.status("ingesting\nfrom 3 models"))
        XCTAssertEqual(fixture.receive(), "STATUS=ingesting from 3 models")

        XCTAssertTrue(notifier.watchdog())
        XCTAssertEqual(fixture.receive(), "WATCHDOG=1")

        let before = MonotonicClock.microseconds()
        XCTAssertTrue(notifier.reloading())
        let after = MonotonicClock.microseconds()
        let reload = try XCTUnwrap(fixture.receive())
        let lines = reload.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, reload)
        XCTAssertEqual(lines.first, "RELOADING=1")
        let prefix = "MONOTONIC_USEC="
        let last = try XCTUnwrap(lines.last)
        XCTAssertTrue(last.hasPrefix(prefix), reload)
        let usec = try XCTUnwrap(UInt64(last.dropFirst(prefix.count)), reload)
        XCTAssertGreaterThanOrEqual(usec, before)
        XCTAssertLessThanOrEqual(usec, after)

        XCTAssertTrue(notifier.ready())
        XCTAssertEqual(fixture.receive(), "READY=1")

        XCTAssertTrue(notifier.extendTimeout(usec: 5_000_000))
        XCTAssertEqual(fixture.receive(), "EXTEND_TIMEOUT_USEC=5000000")

        XCTAssertTrue(notifier.mainPID(1234))
        XCTAssertEqual(fixture.receive(), "MAINPID=1234")

        XCTAssertTrue(notifier.stopping())
        XCTAssertEqual(fixture.receive(), "STOPPING=1")

        XCTAssertNil(fixture.receive(), "no stray datagrams")
    }

    func testNoOpWithoutNotifySocket() {
        withEnvironment(["NOTIFY_SOCKET": nil]) {
            let notifier = SystemdNotifier()
            XCTAssertFalse(notifier.isEnabled)
            XCTAssertFalse(notifier.ready())
            XCTAssertFalse(notifier.reloading())
            XCTAssertFalse(notifier.status("x"))
            XCTAssertFalse(notifier.watchdog())
            XCTAssertFalse(notifier.stopping())
        }
        XCTAssertNil(fixture.receive())
    }

    func testFailedSendReturnsFalse() {
        withEnvironment(["NOTIFY_SOCKET": fixture.directory + "/absent.sock"]) {
            XCTAssertFalse(SystemdNotifier().ready())
        }
    }

    func testWatchdogIntervalIsHalfOfWatchdogUsec() {
        withEnvironment(["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": nil]) {
            let notifier = SystemdNotifier()
            XCTAssertEqual(notifier.watchdogTimeoutMicroseconds, 10_000_000)
            XCTAssertEqual(notifier.watchdogInterval, .seconds(5))
            XCTAssertEqual(notifier.makeWatchdogPacer().intervalNanoseconds, 5_000_000_000)
        }
        withEnvironment(["WATCHDOG_USEC": "3", "WATCHDOG_PID": String(getpid())]) {
            XCTAssertEqual(SystemdNotifier().watchdogInterval, .microseconds(1))
        }
    }

    func testWatchdogDisabledCases() {
        let disabled: [[String: String?]] = [
            ["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil],
            ["WATCHDOG_USEC": "0", "WATCHDOG_PID": nil],
            ["WATCHDOG_USEC": "ten seconds", "WATCHDOG_PID": nil],
            ["WATCHDOG_USEC": "10000000", "WATCHDOG_PID": String(getpid() + 1)],  // meant for another process
        ]
        for environment in disabled {
            withEnvironment(environment) {
                let notifier = SystemdNotifier()
                XCTAssertNil(notifier.watchdogInterval, "\(environment)")
                XCTAssertFalse(notifier.makeWatchdogPacer().isEnabled)
            }
        }
    }
}
