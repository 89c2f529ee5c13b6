import Foundation
import Logging
import StackdDaemon
import StackdClock
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The metrics server under idle, slow and excess connections: health probes are not queued
/// behind them, a trickling client is cut at the whole-request deadline, and connections beyond
/// the cap are answered 503 and counted.
final class MetricsServerConcurrencyTests: XCTestCase {
    var server: MetricsServer!
    var idle: [Int32] = []

    override func tearDown() {
        for fd in idle { close(fd) }
        idle = []
        server?.stop()
        server = nil
    }

    func startServer(maxConnections: Int = 64, requestDeadlineNanoseconds: UInt64 = 2_000_000_000) throws {
        server = try MetricsServer(address: "127.0.0.1:0", version: "test", logger: Logger(label: "test"), snapshot: {
            var s = RunnerSnapshot(horizonCount: 0)
            s.running = true
            s.refreshedAtNanoseconds = MonotonicClock.nanoseconds()   // a loop that is turning
            return s
        }, ready: { true }, maxConnections: maxConnections, requestDeadlineNanoseconds: requestDeadlineNanoseconds)
        server.start()
    }

    /// A connected TCP socket that sends nothing.
    func connectIdle() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        idle.append(fd)
        return fd
    }

    /// True when the peer has neither answered nor closed: nothing to read, no hang-up.
    func isOpenAndUnanswered(_ fd: Int32) -> Bool {
        var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&item, 1, 0) == 0
    }

    func testHealthAnswersWhileTenIdleConnectionsAreOpen() throws {
        try startServer()
        for _ in 0..<10 { _ = try connectIdle() }
        let response = try HTTPTestClient.get(port: server.port, path: "/healthz")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, "ok\n")
        // Not served after them: every idle connection is still open and has had no answer.
        for fd in idle { XCTAssertTrue(isOpenAndUnanswered(fd), "idle connection \(fd) was answered or closed first") }
        XCTAssertEqual(server.refusedConnections, 0)
    }

    /// A client that sends one byte at a time never finishes its request: it is closed at the
    /// whole-request deadline, however often it sends.
    func testTricklingClientIsClosedAtTheRequestDeadline() throws {
        try startServer(requestDeadlineNanoseconds: 500_000_000)
        let fd = try connectIdle()
        var closedByServer = false
        for byte in Array("GET /metrics HTTP/1.1\r\nX-Padding: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 200) {
            var b = byte
            if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) <= 0 { closedByServer = true; break }
            var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&item, 1, 100) > 0 {   // readable: EOF (or an error) from the server
                var scratch = [UInt8](repeating: 0, count: 64)
                if scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) <= 0 { closedByServer = true; break }
            }
        }
        XCTAssertTrue(closedByServer, "a request trickled over ~20 s was never cut")
        XCTAssertEqual(try HTTPTestClient.get(port: server.port, path: "/healthz").status, 200)
    }

    func testConnectionsBeyondTheCapAreRefusedAndCounted() throws {
        try startServer(maxConnections: 3)
        for _ in 0..<3 { _ = try connectIdle() }
        // The server accepts the three before this one: wait until a probe is refused.
        var busy: HTTPTestClient.Response? = nil
        for _ in 0..<50 {
            let r = try HTTPTestClient.get(port: server.port, path: "/healthz")
            if r.status == 503 { busy = r; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let refused = try XCTUnwrap(busy, "no 503 while the cap was reached")
        XCTAssertEqual(refused.body, "busy\n")
        XCTAssertTrue(refused.headers.contains("Retry-After: 1"))
        XCTAssertEqual(server.refusedConnections, 1)
        for fd in idle { XCTAssertTrue(isOpenAndUnanswered(fd)) }

        for fd in idle { close(fd) }
        idle = []
        var metrics: HTTPTestClient.Response? = nil
        for _ in 0..<100 {   // until the server has seen the three close
            let r = try HTTPTestClient.get(port: server.port, path: "/metrics")
            if r.status == 200 { metrics = r; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let body = try XCTUnwrap(metrics).body
        XCTAssertTrue(body.contains("stackd_metrics_connections_refused_total \(server.refusedConnections)\n"), body)
    }
}
