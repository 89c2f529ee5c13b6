import Foundation
import StackdZMQ
import XCTest

/// `ZMQProxy`: the XSUB/XPUB forwarder of `stackd proxy`. Subscriptions made at the backend reach a
/// publisher at the frontend (which then filters at the source), messages flow to the subscriber,
/// and the loop returns once its context is shut down (how `stackd proxy` stops on SIGTERM).
final class ProxyTests: ZMQTestCase {
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var error: (any Error)?
        private var finished = false
        func finish(_ error: (any Error)?) { lock.lock(); self.error = error; finished = true; lock.unlock() }
        var result: (finished: Bool, error: (any Error)?) { lock.lock(); defer { lock.unlock() }; return (finished, error) }
    }

    func testForwardsSubscriptionsUpstreamAndMessagesDownstreamUntilShutdown() throws {
        let directory = try temporaryDirectory()
        let front = "ipc://\(directory.path)/front", back = "ipc://\(directory.path)/back"
        let proxyContext = try ZMQContext()
        let bound = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        // The proxy's sockets live on its own thread, as in `stackd proxy`.
        Thread {
            var failure: (any Error)?
            do {
                let settings = ZMQSocketSettings(lingerMilliseconds: 0)
                let frontend = try ZMQSocket.make(context: proxyContext, type: .xsub, settings: settings)
                let backend = try ZMQSocket.make(context: proxyContext, type: .xpub, settings: settings)
                try frontend.bind(front)
                try backend.bind(back)
                bound.signal()
                defer { frontend.close(); backend.close() }
                try ZMQProxy.run(frontend: frontend, backend: backend, stopRequested: { false })
            } catch {
                failure = error
                bound.signal()
            }
            outcome.finish(failure)
            done.signal()
        }.start()
        XCTAssertEqual(bound.wait(timeout: .now() + 5), .success)

        let publisher = try socket(.xpub)
        try publisher.connect(front)
        let subscriber = try socket(.sub)
        try subscriber.subscribe(prefix: "pred.AB.")
        try subscriber.connect(back)
        XCTAssertEqual(try publisher.waitForSubscriber(timeoutMilliseconds: Int(Self.timeoutMilliseconds)),
                       Array("pred.AB.".utf8), "the backend's subscription reaches the publisher through the proxy")

        XCTAssertTrue(try publisher.send(topic: "pred.ABC.5.m", payload: [1]))   // not subscribed: dropped at the source
        XCTAssertTrue(try publisher.send(topic: "pred.AB.5.m", payload: [2]))
        let topic = ZMQMessage(), payload = ZMQMessage()
        XCTAssertTrue(try subscriber.receive(into: topic))
        XCTAssertTrue(try subscriber.receive(into: payload))
        XCTAssertEqual(topic.string, "pred.AB.5.m")
        XCTAssertEqual(payload.bytes, [2])
        XCTAssertFalse(try subscriber.receive(into: topic, dontWait: true), "pred.ABC. never crossed the proxy")

        XCTAssertFalse(outcome.result.finished)
        proxyContext.shutdown()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success, "the proxy returns once its context is shut down")
        XCTAssertNil(outcome.result.error, "a shutdown is a normal stop, not an error")
        proxyContext.terminate()
    }
}
