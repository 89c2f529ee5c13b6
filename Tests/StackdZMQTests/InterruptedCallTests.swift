import Foundation
import Synchronization
import StackdZMQ
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A signal arriving while a socket is being set up must not fail the set-up: libzmq returns
/// EINTR from calls that wait on the socket's command mailbox (`zmq_socket_monitor`, `zmq_bind`,
/// `zmq_connect`, `zmq_setsockopt`), and `stackd run` receiving SIGTERM at start-up used to refuse
/// to start with "monitor on inproc://…: Interrupted system call" (exit 70) instead of stopping
/// cleanly. The wrapper retries those calls on EINTR.
final class InterruptedCallTests: XCTestCase {
    func testSetUpCallsSurviveASignalStorm() throws {
        // A no-op handler without SA_RESTART, so a signal interrupts whatever the thread waits in.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        XCTAssertEqual(sigaction(SIGURG, &action, &previous), 0)
        defer { sigaction(SIGURG, &previous, nil) }

        let target = pthread_self()
        let storm = SignalStorm(target: target)
        let stormer = Thread { storm.run() }
        stormer.start()
        defer { storm.stop() }
        storm.waitUntilRunning()

        // Batches of sockets, each in its own context: closed sockets are reaped when the context
        // terminates, so the descriptors of thousands of sockets are never open at once.
        for batch in 0..<25 {
            let context = try ZMQContext()
            defer { context.terminate() }
            for i in 0..<200 {
                let name = "\(batch)-\(i)"
                let socket = try ZMQSocket(context: context, type: .sub)
                let monitor = try ZMQSocket(context: context, type: .pair)
                defer { monitor.close(); socket.close() }
                try socket.startMonitor(endpoint: "inproc://interrupted-monitor-\(name)", events: .disconnected)
                try monitor.connect("inproc://interrupted-monitor-\(name)")
                try socket.configure(ZMQSocketSettings(lingerMilliseconds: 0, receiveHighWaterMark: 1000,
                                                       subscriptions: ["pred."]))
                try socket.bind("inproc://interrupted-bind-\(name)")
            }
        }
    }
}

/// Sends SIGURG to one thread every few microseconds until stopped; `stop` returns once it has.
private final class SignalStorm: Sendable {
    let target: pthread_t
    private let stopping = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    init(target: pthread_t) { self.target = target }
    func run() {
        running.store(true, ordering: .releasing)
        while !stopping.load(ordering: .acquiring) { pthread_kill(target, SIGURG); usleep(5) }
        stopped.store(true, ordering: .releasing)
    }
    func waitUntilRunning() {
        while !running.load(ordering: .acquiring) { usleep(100) }
    }
    func stop() {
        stopping.store(true, ordering: .releasing)
        while !stopped.load(ordering: .acquiring) { usleep(100) }
    }
}
