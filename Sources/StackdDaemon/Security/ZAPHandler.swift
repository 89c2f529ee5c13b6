import Foundation
import Logging
import StackdClock
import StackdZMQ

/// The in-process ZAP handler (ZeroMQ RFC 27): libzmq asks it, for every CURVE handshake on a
/// socket of its context with the ZAP domain set, whether the client's public key may connect;
/// it answers from the `ClientAllowList`. It also watches those sockets' monitors, because a
/// plaintext client or one using the wrong server key is refused by libzmq before ZAP is asked.
///
/// It runs on its own thread with a bounded poll (100 ms), so handshakes never wait on ingest
/// and ingest never waits on handshakes; it stops on `stop()` or when the context terminates.
/// Refusals are counted exactly and logged with the peer address, rate-limited.
package final class ZAPHandler: @unchecked Sendable {
    /// Where libzmq sends ZAP requests: a fixed inproc name in each context.
    package static let endpoint = "inproc://zeromq.zap.01"

    /// The ZAP domain answered; requests for other domains are refused.
    package let domain: String
    let allowList: ClientAllowList
    let logger: Logger

    private let requests: ZMQSocket
    private let condition = NSCondition()
    private var stopRequested = false
    private var finished = false
    private var counters = AuthenticationSnapshot()
    private var newMonitors: [MonitorLink] = []
    private var monitorCount = 0
    private var refusedLog: RefusedPeerLog

    /// A monitored server socket, as seen from the handler's thread.
    private final class MonitorLink {
        let socket: ZMQSocket
        let label: String
        /// Peer addresses of this socket's open connections, by file descriptor.
        var peers: [UInt32: String] = [:]
        /// Refusals counted but not yet logged: the address comes with the disconnect event.
        var unlogged: [(AuthenticationFailure, String)] = []

        init(socket: ZMQSocket, label: String) {
            self.socket = socket
            self.label = label
        }
    }

    /// Binds the ZAP endpoint in `context` and starts the handler's thread. Throws if another
    /// handler is already bound in this context.
    package init(context: ZMQContext, allowList: ClientAllowList, domain: String, logger: Logger, refusalsLoggedPerSecond: Int = 5) throws {
        self.domain = domain
        self.allowList = allowList
        self.logger = logger
        refusedLog = RefusedPeerLog(logger: logger, perSecond: refusalsLoggedPerSecond)
        counters.curve = true
        requests = try ZMQSocket.make(context: context, type: .rep, settings: ZMQSocketSettings(lingerMilliseconds: 0))
        do {
            try requests.bind(Self.endpoint)
        } catch {
            requests.close()
            throw error
        }
        // The socket was made on this thread and is used only by the handler's thread from here
        // on; starting the thread is the full memory barrier libzmq asks for when a socket moves.
        let thread = Thread { [self] in run() }
        thread.name = "stackd-zap"
        thread.start()
    }

    /// Watches `socket`'s handshakes (refusals libzmq decides on its own). Call it on the
    /// socket's thread before the socket binds: events of earlier connections are not seen.
    package func watch(_ socket: ZMQSocket, label: String) throws {
        condition.lock()
        monitorCount += 1
        let endpoint = "inproc://stackd.security.monitor.\(ObjectIdentifier(self).hashValue).\(monitorCount)"
        condition.unlock()
        try socket.startMonitor(endpoint: endpoint, events: [.accepted, .disconnected, .handshakeFailedProtocol,
                                                            .handshakeFailedNoDetail])
        let pair = try ZMQSocket.make(context: socket.context, type: .pair, settings: ZMQSocketSettings(lingerMilliseconds: 0))
        try pair.connect(endpoint)
        // Handed to the handler's thread under the lock (the barrier a socket migration needs).
        condition.lock()
        newMonitors.append(MonitorLink(socket: pair, label: label))
        condition.unlock()
    }

    /// The counters and the allow-list size, for a snapshot.
    package func snapshot() -> AuthenticationSnapshot {
        condition.lock()
        var s = counters
        condition.unlock()
        s.clientsAllowed = allowList.count
        return s
    }

    /// Re-reads the allow-list directory (SIGHUP). Safe from any thread; handshakes in progress
    /// are answered from the old or the new list, never a mix. Logs the outcome; returns the
    /// number of keys now allowed, or nil if the directory could not be read (the running list
    /// is kept).
    @discardableResult
    package func reloadAllowList() -> Int? {
        do {
            let report = try allowList.reload()
            for problem in report.problems {
                logger.error("client key file skipped", metadata: ["file": "\(problem.path)", "problem": "\(problem.problem)"])
            }
            logger.notice("client allow-list reloaded", metadata: [
                "directory": "\(allowList.directory)", "clients": "\(report.allowed)", "skipped": "\(report.problems.count)"])
            return report.allowed
        } catch {
            logger.error("client allow-list reload failed; keeping the running list", metadata: [
                "directory": "\(allowList.directory)", "error": "\(error)", "clients": "\(allowList.count)"])
            return nil
        }
    }

    /// Stops the thread and closes its sockets; waits at most `timeout` seconds (one poll
    /// turn, 100 ms, in practice). Idempotent.
    @discardableResult
    package func stop(timeout: TimeInterval = 5) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        stopRequested = true
        while !finished {
            if !condition.wait(until: deadline) { return finished }
        }
        return true
    }

    private var shouldStop: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopRequested
    }

    private func count(_ reason: AuthenticationFailure) {
        condition.lock()
        counters.failures[AuthenticationFailure.allCases.firstIndex(of: reason)!] += 1
        condition.unlock()
    }

    private func run() {
        var monitors: [MonitorLink] = []
        var items = [ZMQPollItem(socket: requests)]
        let message = ZMQMessage()
        while !shouldStop {
            condition.lock()
            if !newMonitors.isEmpty {
                monitors += newMonitors
                newMonitors.removeAll()
                items = [ZMQPollItem(socket: requests)] + monitors.map { ZMQPollItem(socket: $0.socket) }
            }
            condition.unlock()
            do {
                try ZMQSocket.poll(&items, timeoutMilliseconds: 100)
                if items[0].isReadable {
                    while let request = try receiveRequest(into: message) { try answer(request) }
                }
                for (index, link) in monitors.enumerated() where items[index + 1].isReadable {
                    while let event = try link.socket.receiveMonitorEvent(into: message) { observe(event, on: link) }
                }
            } catch let error as ZMQError where error.isInterrupted {
                continue
            } catch let error as ZMQError where error.isContextTerminated {
                break
            } catch {
                logger.error("the ZAP handler failed; new CURVE connections will wait", metadata: ["error": "\(error)"])
                break
            }
            refusedLog.rollWindow(now: MonotonicClock.nanoseconds())
        }
        for link in monitors { link.socket.close() }
        condition.lock()
        for link in newMonitors { link.socket.close() }
        newMonitors.removeAll()
        requests.close()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The frames of one ZAP request, or nil if none is queued.
    private func receiveRequest(into message: ZMQMessage) throws -> [[UInt8]]? {
        guard try requests.receive(into: message, dontWait: true) else { return nil }
        var frames = [message.bytes]
        while message.hasMore, frames.count < 16 {
            guard try requests.receive(into: message) else { break }
            frames.append(message.bytes)
        }
        // A request longer than any mechanism sends: drain it so the REP socket can answer.
        while message.hasMore { _ = try requests.receive(into: message) }
        return frames
    }

    /// Decides one request (RFC 27: version, request id, domain, address, identity, mechanism,
    /// credentials…) and sends the reply (version, request id, status, text, user id, metadata).
    private func answer(_ frames: [[UInt8]]) throws {
        let requestID = frames.count > 1 ? frames[1] : []
        func text(_ i: Int) -> String { i < frames.count ? String(decoding: frames[i], as: UTF8.self) : "" }
        let address = text(3).isEmpty ? "unknown" : text(3)
        let label = "domain \(text(2))"
        let verdict: (status: String, text: String, user: String)
        if frames.count < 6 || text(0) != "1.0" {
            count(.handshake)
            refusedLog.refused(.handshake, address: address, socket: label, detail: "malformed ZAP request", now: MonotonicClock.nanoseconds())
            verdict = ("400", "malformed request", "")
        } else if text(2) != domain {
            count(.handshake)
            refusedLog.refused(.handshake, address: address, socket: label, detail: "unknown ZAP domain", now: MonotonicClock.nanoseconds())
            verdict = ("400", "unknown domain", "")
        } else if text(5) != "CURVE" || frames.count < 7 || frames[6].count != ZMQCurve.keyByteCount {
            count(.noCurve)
            refusedLog.refused(.noCurve, address: address, socket: label, detail: "mechanism \(text(5))", now: MonotonicClock.nanoseconds())
            verdict = ("400", "CURVE required", "")
        } else if let name = frames[6].withUnsafeBytes({ allowList.name(of: $0) }) {
            condition.lock()
            counters.accepted += 1
            condition.unlock()
            logger.info("authenticated a CURVE client", metadata: ["client": "\(name)", "address": "\(address)"])
            verdict = ("200", "OK", name)
        } else {
            count(.unknownKey)
            refusedLog.refused(.unknownKey, address: address, socket: label,
                               detail: "public key \(Z85.encode(frames[6]) ?? "?") is not in the allow-list",
                               now: MonotonicClock.nanoseconds())
            verdict = ("400", "unknown key", "")
        }
        try requests.send("1.0", more: true)
        try requests.send(requestID, more: true)
        try requests.send(verdict.status, more: true)
        try requests.send(verdict.text, more: true)
        try requests.send(verdict.user, more: true)
        try requests.send([UInt8](), more: false)
    }

    /// Counts and logs refusals libzmq made without asking ZAP.
    private func observe(_ event: ZMQMonitorEvent, on link: MonitorLink) {
        switch event.event {
        case .accepted:
            link.peers[event.value] = PeerAddress.describe(fileDescriptor: Int32(bitPattern: event.value)) ?? "unknown (already gone)"
        case .handshakeFailedProtocol:
            let reason: AuthenticationFailure = event.value == ZMQMonitorEvent.mechanismMismatch ? .noCurve : .handshake
            count(reason)
            let detail = switch event.value {
            case ZMQMonitorEvent.mechanismMismatch: "the peer does not speak CURVE (plaintext?)"
            case ZMQMonitorEvent.cryptographicFailure: "the handshake does not decrypt (wrong server public key?)"
            default: "protocol error 0x\(String(event.value, radix: 16))"
            }
            link.unlogged.append((reason, detail))
        case .handshakeFailedNoDetail:
            count(.incomplete)
            link.unlogged.append((.incomplete, "the connection closed during the handshake (\(String(cString: strerror(Int32(bitPattern: event.value))))): a plaintext client that saw the mechanism mismatch first, or a probe"))
        case .disconnected:
            let address = link.peers.removeValue(forKey: event.value) ?? "unknown"
            if !link.unlogged.isEmpty {
                let (reason, detail) = link.unlogged.removeFirst()
                refusedLog.refused(reason, address: address, socket: link.label, detail: detail, now: MonotonicClock.nanoseconds())
            }
        default:
            break
        }
    }
}
