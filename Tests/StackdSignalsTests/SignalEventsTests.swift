import Dispatch
import Foundation
import XCTest
@testable import StackdSignals

/// Real signals raised in this process; each wait is bounded by an expectation timeout.
final class SignalEventsTests: XCTestCase {
    private let timeout: TimeInterval = 10

    func testSighupSetsReloadFlagOnce() {
        let delivered = expectation(description: "SIGHUP handled")
        let callbackQueue = DispatchQueue(label: "test.signal-callback")
        let events = SignalEvents(queue: callbackQueue) { request, signo in
            XCTAssertEqual(request, .reload)
            XCTAssertEqual(signo, SIGHUP)
            dispatchPrecondition(condition: .onQueue(callbackQueue))
            delivered.fulfill()
        }
        defer { events.cancel() }
        XCTAssertFalse(events.reloadRequested)

        XCTAssertEqual(raise(SIGHUP), 0)
        wait(for: [delivered], timeout: timeout)

        XCTAssertTrue(events.reloadRequested)
        XCTAssertFalse(events.stopRequested)
        XCTAssertTrue(events.consumeReloadRequest())
        XCTAssertFalse(events.consumeReloadRequest(), "a reload is consumed once")
    }

    func testSigtermAndSigintRequestStop() {
        for signo in [SIGTERM, SIGINT] {
            let delivered = expectation(description: "signal \(signo) handled")
            let events = SignalEvents { request, received in
                XCTAssertEqual(request, .stop)
                XCTAssertEqual(received, signo)
                delivered.fulfill()
            }
            XCTAssertEqual(raise(signo), 0)
            wait(for: [delivered], timeout: timeout)
            XCTAssertTrue(events.stopRequested)
            XCTAssertEqual(events.stopSignal, signo)
            XCTAssertFalse(events.reloadRequested)
            events.cancel()
        }
    }

    func testFlagIsVisibleToAPollingThread() {
        // The ingest loop's view: another thread polling the flag, no callback.
        let events = SignalEvents()
        defer { events.cancel() }
        let observed = expectation(description: "loop saw reload")
        let loop = Thread {
            while !events.reloadRequested { usleep(1_000) }
            observed.fulfill()
        }
        loop.start()
        XCTAssertEqual(raise(SIGHUP), 0)
        wait(for: [observed], timeout: timeout)
        XCTAssertTrue(events.consumeReloadRequest())
    }

    func testProgrammaticRequests() {
        let events = SignalEvents()
        defer { events.cancel() }
        events.requestReload()
        XCTAssertTrue(events.consumeReloadRequest())
        events.requestStop()
        XCTAssertTrue(events.stopRequested)
        XCTAssertEqual(events.stopSignal, 0)
    }
}
