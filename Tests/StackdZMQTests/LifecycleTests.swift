import Foundation
import StackdZMQ
import XCTest

/// Errors, options and shutdown: the paths a daemon hits when something is misconfigured or
/// when it is asked to stop.
final class LifecycleTests: ZMQTestCase {
    func testBindingABoundEndpointNamesTheEndpoint() throws {
        let first = try socket(.pub)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try first.lastEndpoint
        let second = try socket(.pub)
        XCTAssertThrowsError(try second.bind(endpoint)) { error in
            guard let error = error as? ZMQError else { return XCTFail("not a ZMQError: \(error)") }
            XCTAssertEqual(error.code, EADDRINUSE)
            XCTAssertTrue(error.description.contains(endpoint), error.description)
            XCTAssertTrue(error.description.contains(error.message), error.description)
            XCTAssertFalse(error.isContextTerminated)
        }
    }

    func testShutdownMakesSocketOperationsReportETERM() throws {
        let sub = try socket(.sub)
        try sub.bind("inproc://shutdown")
        context.shutdown()

        let message = ZMQMessage()
        XCTAssertThrowsError(try sub.receive(into: message)) { error in
            XCTAssertTrue((error as? ZMQError)?.isContextTerminated ?? false, "\(error)")
        }
        XCTAssertThrowsError(try ZMQSocket(context: context, type: .pub)) { error in
            XCTAssertTrue((error as? ZMQError)?.isContextTerminated ?? false, "\(error)")
        }
    }

    func testTerminateWakesBlockedReceiverWithETERM() throws {
        let context = try XCTUnwrap(self.context)
        let started = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let receiver = Thread {
            // The outcome is recorded before the socket closes: closing the last socket is what
            // lets `terminate()` return on the test's thread, which then reads the outcome.
            var socket: ZMQSocket?
            do {
                let sub = try ZMQSocket.make(context: context, type: .sub, settings: ZMQTestCase.settings)
                socket = sub
                try sub.bind("inproc://terminate")
                started.signal()
                let message = ZMQMessage()
                _ = try sub.receive(into: message)
                outcome.set("received instead of ETERM")
            } catch let error as ZMQError {
                outcome.set(error.isContextTerminated ? "ETERM" : error.description)
            } catch {
                outcome.set("\(error)")
            }
            socket?.close()
            started.signal()
        }
        receiver.start()
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)

        // Returns once the receiver has seen ETERM and closed its socket.
        context.terminate()
        XCTAssertEqual(outcome.value, "ETERM")
        XCTAssertTrue(context.isTerminated)
        XCTAssertThrowsError(try ZMQSocket(context: context, type: .sub)) { error in
            XCTAssertTrue((error as? ZMQError)?.isContextTerminated ?? false, "\(error)")
        }
    }

    func testOperationsOnClosedSocketThrowInsteadOfCrashing() throws {
        let pub = try socket(.pub)
        pub.close()
        XCTAssertTrue(pub.isClosed)
        XCTAssertThrowsError(try pub.send("x")) { error in
            XCTAssertEqual((error as? ZMQError)?.code, ENOTSOCK)
        }
        XCTAssertThrowsError(try pub.bind("inproc://closed"))
        pub.close()
    }

    func testTypedOptionsRoundTrip() throws {
        let xpub = try socket(.xpub)
        try xpub.setOption(.sendHighWaterMark, 10)
        try xpub.setOption(.receiveHighWaterMark, 20)
        try xpub.setOption(.lingerMilliseconds, 250)
        try xpub.setOption(.receiveTimeoutMilliseconds, 1234)
        try xpub.setOption(.immediate, true)
        try xpub.setOption(.ipv6, true)
        try xpub.setOption(.sendBufferSize, 65536)
        try xpub.setOption(.receiveBufferSize, 65536)
        try xpub.setOption(.xpubVerbose, true)
        XCTAssertEqual(try xpub.option(.sendHighWaterMark), 10)
        XCTAssertEqual(try xpub.option(.receiveHighWaterMark), 20)
        XCTAssertEqual(try xpub.option(.lingerMilliseconds), 250)
        XCTAssertEqual(try xpub.option(.receiveTimeoutMilliseconds), 1234)
        XCTAssertEqual(try xpub.option(.immediate), true)
        XCTAssertEqual(try xpub.option(.ipv6), true)
        XCTAssertEqual(try xpub.option(.sendBufferSize), 65536)
        XCTAssertEqual(try xpub.option(.receiveBufferSize), 65536)
    }

    func testVersionIsTheLoadedLibzmq4() {
        let version = ZMQVersion.current
        XCTAssertEqual(version.major, 4)
        XCTAssertGreaterThanOrEqual(version, ZMQVersion(major: 4, minor: 0, patch: 0))
        XCTAssertEqual(version.description, "\(version.major).\(version.minor).\(version.patch)")
    }
}

/// A result handed from the receiver thread back to the test.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?

    func set(_ value: String) {
        lock.withLock { stored = value }
    }

    var value: String? { lock.withLock { stored } }
}
