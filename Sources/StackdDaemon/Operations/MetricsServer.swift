import Foundation
import Logging
import StackdSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A minimal HTTP/1.1 GET responder for `/metrics`, `/healthz` and `/readyz`, on its own thread
/// with blocking POSIX sockets.
///
/// It only ever reads ``RunnerSnapshot``s through the closure it was given (a copy under the
/// runner's lock), never the pipeline, so a slow or hostile scraper cannot stall ingest. One
/// connection at a time, `Connection: close`, requests bounded to 8 KiB and 2 s per read/write:
/// enough for Prometheus and a load balancer's probes, and nothing to tune.
public final class MetricsServer: @unchecked Sendable {
    /// The bound address, with the port the kernel chose when configured with port 0.
    public let address: MetricsAddress
    public var port: UInt16 { address.port }
    /// A snapshot of the running daemon.
    let snapshot: @Sendable () -> RunnerSnapshot
    /// Extra readiness condition (startup finished, not reloading or stopping).
    let ready: @Sendable () -> Bool
    let version: String
    let logger: Logger
    /// `/healthz` fails when the ingest loop has not refreshed its snapshot for this long.
    public var staleAfterNanoseconds: UInt64 = 2_000_000_000

    private let listener: Int32
    private let lock = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    static let maxRequestBytes = 8192

    /// Binds and listens at once, so a port in use fails at start, before READY=1.
    public init(address text: String, version: String, logger: Logger,
                snapshot: @escaping @Sendable () -> RunnerSnapshot, ready: @escaping @Sendable () -> Bool) throws {
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
        if rc != 0 || listen(fd, 16) != 0 {
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
    public func start() {
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
    public func stop() {
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

    private func serve() {
        defer { finished.signal() }
        while !isStopRequested {
            var item = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let n = poll(&item, 1, 200)
            if n <= 0 { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            handle(client)
            close(client)
        }
    }

    private func handle(_ fd: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 2048)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }   // closed, reset or timed out: nothing to answer
            request += buffer[..<n]
            if request.count > Self.maxRequestBytes {
                respond(fd, status: "431 Request Header Fields Too Large", body: "request too large\n")
                return
            }
            if Self.contains(request, end) || Self.contains(request, Array("\n\n".utf8)) { break }
        }
        let line = request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            respond(fd, status: "400 Bad Request", body: "bad request\n")
            return
        }
        let method = parts[0], target = parts[1]
        guard method == "GET" || method == "HEAD" else {
            respond(fd, status: "405 Method Not Allowed", body: "only GET\n", extra: "Allow: GET, HEAD\r\n")
            return
        }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let (status, contentType, body) = response(path: path)
        respond(fd, status: status, body: body, contentType: contentType, headOnly: method == "HEAD")
    }

    /// The answer to a GET of `path`: status line, content type and body.
    public func response(path: String) -> (String, String, String) {
        let s = snapshot()
        let now = MonotonicClock.nanoseconds()
        let alive = s.refreshedAtNanoseconds != 0 && now >= s.refreshedAtNanoseconds
            && now - s.refreshedAtNanoseconds < staleAfterNanoseconds
        switch path {
        case "/metrics":
            return ("200 OK", MetricsExposition.contentType, MetricsExposition.render(s, version: version, nowNanoseconds: now))
        case "/healthz":
            return alive ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", "ingest loop not turning\n")
        case "/readyz":
            return alive && s.running && ready() ? ("200 OK", "text/plain", "ready\n")
                : ("503 Service Unavailable", "text/plain", "not ready\n")
        default:
            return ("404 Not Found", "text/plain", "not found: /metrics, /healthz, /readyz\n")
        }
    }

    private func respond(_ fd: Int32, status: String, body: String, contentType: String = "text/plain",
                         extra: String = "", headOnly: Bool = false) {
        let bodyBytes = Array(body.utf8)
        var out = Array("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\nConnection: close\r\n\(extra)\r\n".utf8)
        if !headOnly { out += bodyBytes }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}

public struct MetricsServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
