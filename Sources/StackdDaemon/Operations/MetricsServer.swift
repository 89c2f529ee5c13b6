import Foundation
import Logging
import StackdClock

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A minimal HTTP/1.1 GET responder for `/metrics`, `/healthz` and `/readyz`, on its own thread.
///
/// It only ever reads ``RunnerSnapshot``s through the closure it was given (a copy under the
/// runner's lock), never the pipeline, so a slow or hostile scraper cannot stall ingest. One
/// `poll` loop serves every connection at once (non-blocking sockets), so an idle or slow client
/// cannot delay a health probe behind it: each connection has a whole-request deadline (2 s to
/// send its request, then 5 s to take the answer) instead of a per-read timeout that a trickling
/// client could renew forever. At most `maxConnections` are open; a connection beyond that gets
/// `503` at once and is counted (`stackd_metrics_connections_refused_total`). `Connection: close`,
/// requests bounded to 8 KiB: enough for Prometheus and a load balancer's probes.
package final class MetricsServer: @unchecked Sendable {
    /// The bound address, with the port the kernel chose when configured with port 0.
    package let address: MetricsAddress
    package var port: UInt16 { address.port }
    /// A snapshot of the running daemon.
    let snapshot: @Sendable () -> RunnerSnapshot
    /// Extra readiness condition (startup finished, not reloading or stopping).
    let ready: @Sendable () -> Bool
    let version: String
    let logger: Logger
    /// `/healthz` fails when the ingest loop has not refreshed its snapshot for this long.
    var staleAfterNanoseconds: UInt64 = 2_000_000_000

    /// Connections served at once; more are answered `503` and closed.
    package let maxConnections: Int
    /// Time a client has, from its connection, to send its whole request.
    package let requestDeadlineNanoseconds: UInt64
    /// Time a client has, once its request is read, to take the whole answer.
    let responseDeadlineNanoseconds: UInt64

    private let listener: Int32
    private let lock = NSLock()
    private var stopRequested = false
    private var refused = 0
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    static let maxRequestBytes = 8192
    static let busyResponse = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\nRetry-After: 1\r\n\r\nbusy\n".utf8)

    /// Connections refused because `maxConnections` were open.
    package var refusedConnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return refused
    }

    /// Binds and listens at once, so a port in use fails at start, before READY=1.
    package init(address text: String, version: String, logger: Logger,
                snapshot: @escaping @Sendable () -> RunnerSnapshot, ready: @escaping @Sendable () -> Bool,
                maxConnections: Int = 64, requestDeadlineNanoseconds: UInt64 = 2_000_000_000,
                responseDeadlineNanoseconds: UInt64 = 5_000_000_000) throws {
        guard maxConnections >= 1 else { throw MetricsServerError("maxConnections must be at least 1") }
        self.maxConnections = maxConnections
        self.requestDeadlineNanoseconds = requestDeadlineNanoseconds
        self.responseDeadlineNanoseconds = responseDeadlineNanoseconds
        guard let parsed = MetricsAddress(text) else { throw MetricsServerError("invalid metrics address \"\(text)\"") }
        self.snapshot = snapshot
        self.ready = ready
        self.version = version
        self.logger = logger
        let domain = parsed.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        var storage = sockaddr_storage()
        if parsed.family == .ipv4 {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = parsed.port.bigEndian
            inet_pton(AF_INET, parsed.host, &a.sin_addr)
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = parsed.port.bigEndian
            inet_pton(AF_INET6, parsed.host, &a.sin6_addr)
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        if rc != 0 || listen(fd, 128) != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 {
            let message = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError("cannot listen on \(parsed): \(message)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var bound = parsed
        if withUnsafeMutablePointer(to: &storage, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }) == 0 {
            bound.port = withUnsafePointer(to: &storage) { p in
                parsed.family == .ipv4
                    ? p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                    : p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        }
        address = bound
        listener = fd
    }

    deinit {
        stop()
        close(listener)
    }

    /// Starts serving on a dedicated thread.
    package func start() {
        lock.lock()
        defer { lock.unlock() }
        guard !started else { return }
        started = true
        let t = Thread { [self] in self.serve() }
        t.name = "stackd-metrics"
        t.start()
        logger.info("metrics endpoint listening", metadata: ["address": "\(address)"])
    }

    /// Stops serving and waits (at most ~1 s) for the thread to finish.
    package func stop() {
        lock.lock()
        let wasStarted = started && !stopRequested
        stopRequested = true
        lock.unlock()
        if wasStarted { _ = finished.wait(timeout: .now() + 2) }
    }

    private var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    /// One client connection of the event loop.
    private final class Connection {
        let fd: Int32
        var deadline: UInt64
        var request: [UInt8] = []
        /// The answer, once the request is complete; `sent` bytes of it are gone.
        var answer: [UInt8]? = nil
        var sent = 0
        var done = false

        init(fd: Int32, deadline: UInt64) {
            self.fd = fd
            self.deadline = deadline
        }
    }

    private func serve() {
        var connections: [Connection] = []
        var fds: [pollfd] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer {
            for c in connections { close(c.fd) }
            finished.signal()
        }
        while !isStopRequested {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
            var now = MonotonicClock.nanoseconds()
            var timeoutMs: Int32 = 200   // also how soon a stop request is noticed
            for c in connections {
                fds.append(pollfd(fd: c.fd, events: Int16(c.answer == nil ? POLLIN : POLLOUT), revents: 0))
                let left = c.deadline > now ? (c.deadline - now) / 1_000_000 + 1 : 0
                timeoutMs = min(timeoutMs, Int32(clamping: left))
            }
            if poll(&fds, nfds_t(fds.count), timeoutMs) < 0 { continue }   // EINTR
            now = MonotonicClock.nanoseconds()
            for (i, c) in connections.enumerated() where fds[i + 1].revents != 0 {
                if c.answer == nil { readRequest(c, &buffer, now: now) } else { writeAnswer(c) }
            }
            for c in connections where !c.done && now >= c.deadline { c.done = true }   // whole-request deadline
            connections.removeAll { c in
                if c.done { close(c.fd) }
                return c.done
            }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptAll(&connections, now: now) }
        }
    }

    /// Accepts every pending connection; beyond `maxConnections`, answers `503` and closes.
    private func acceptAll(_ connections: inout [Connection], now: UInt64) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }   // EAGAIN: none left
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            guard connections.count < maxConnections else {
                // Read what already arrived so that close() sends FIN, not RST, after the answer.
                var scratch = [UInt8](repeating: 0, count: 1024)
                _ = scratch.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                _ = Self.busyResponse.withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
                close(client)
                lock.lock()
                refused += 1
                lock.unlock()
                continue
            }
            connections.append(Connection(fd: client, deadline: now + requestDeadlineNanoseconds))
        }
    }

    private func readRequest(_ c: Connection, _ buffer: inout [UInt8], now: UInt64) {
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            c.done = true   // closed or reset: nothing to answer
            return
        }
        guard n > 0 else { return }
        c.request += buffer[..<n]
        if c.request.count > Self.maxRequestBytes {
            c.answer = Self.encode(status: "431 Request Header Fields Too Large", body: "request too large\n")
        } else if Self.contains(c.request, Array("\r\n\r\n".utf8)) || Self.contains(c.request, Array("\n\n".utf8)) {
            c.answer = answer(to: c.request)
        } else {
            return
        }
        c.deadline = now + responseDeadlineNanoseconds
        writeAnswer(c)
    }

    private func writeAnswer(_ c: Connection) {
        guard let out = c.answer else { return }
        while c.sent < out.count {
            let n = out[c.sent...].withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }   // wait for POLLOUT
            if n <= 0 { c.done = true; return }
            c.sent += n
        }
        c.done = true
    }

    /// The full HTTP answer to a complete request head.
    private func answer(to request: [UInt8]) -> [UInt8] {
        let line = request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return Self.encode(status: "400 Bad Request", body: "bad request\n")
        }
        let method = parts[0], target = parts[1]
        guard method == "GET" || method == "HEAD" else {
            return Self.encode(status: "405 Method Not Allowed", body: "only GET\n", extra: "Allow: GET, HEAD\r\n")
        }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let (status, contentType, body) = response(path: path)
        return Self.encode(status: status, body: body, contentType: contentType, headOnly: method == "HEAD")
    }

    /// The answer to a GET of `path`: status line, content type and body.
    package func response(path: String) -> (String, String, String) {
        let s = snapshot()
        let now = MonotonicClock.nanoseconds()
        let alive = s.refreshedAtNanoseconds != 0 && now >= s.refreshedAtNanoseconds
            && now - s.refreshedAtNanoseconds < staleAfterNanoseconds
        switch path {
        case "/metrics":
            var withServer = s
            withServer.metricsConnectionsRefused = refusedConnections
            return ("200 OK", MetricsExposition.contentType, MetricsExposition.render(withServer, version: version, nowNanoseconds: now))
        case "/healthz":
            return alive ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", "ingest loop not turning\n")
        case "/readyz":
            return alive && s.running && ready() ? ("200 OK", "text/plain", "ready\n")
                : ("503 Service Unavailable", "text/plain", "not ready\n")
        default:
            return ("404 Not Found", "text/plain", "not found: /metrics, /healthz, /readyz\n")
        }
    }

    private static func encode(status: String, body: String, contentType: String = "text/plain",
                               extra: String = "", headOnly: Bool = false) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var out = Array("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\nConnection: close\r\n\(extra)\r\n".utf8)
        if !headOnly { out += bodyBytes }
        return out
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}

struct MetricsServerError: Error, CustomStringConvertible, Sendable {
    package var description: String
    init(_ description: String) { self.description = description }
}
