import Foundation
import Logging
import StackdSystemd
import StackdZMQ

/// What `stackd proxy` binds and connects.
package struct TopicProxyOptions: Sendable {
    /// Where publishers are reached (XSUB side). `ENDPOINT` or `@ENDPOINT` binds, `>ENDPOINT`
    /// connects (CZMQ's notation).
    package var frontends: [String]
    /// Where the daemons subscribe (XPUB side), same notation.
    package var backends: [String]
    /// Send and receive high-water mark of both sockets, in messages. At the backend's mark a
    /// slow subscriber loses messages (XPUB never blocks), so one stalled shard cannot stall the
    /// others.
    package var highWaterMark: Int32 = 1_000_000
    /// Bind a non-loopback `tcp://` endpoint in plaintext (the proxy has no CURVE yet).
    package var allowPlaintextRemote = false

    package init(frontends: [String], backends: [String]) {
        self.frontends = frontends
        self.backends = backends
    }
}

/// The publish-subscribe proxy in front of sharded daemons: XSUB towards the model publishers,
/// XPUB towards the daemons, forwarded by libzmq's `zmq_proxy` (``ZMQProxy``).
///
/// Why a proxy: each publisher then has one peer to reach instead of K shards, shards can be
/// added or moved without touching publishers, and the subscriptions of every shard travel back
/// through it, so the publishers still drop at the source every topic no shard subscribed to.
///
/// Lifecycle, like `stackd run`: READY=1 to systemd once every endpoint is bound or connected;
/// SIGTERM/SIGINT stop it (``stop()`` shuts the context down, which ends `zmq_proxy`), STOPPING=1,
/// exit 0. No watchdog: `zmq_proxy` runs libzmq's own loop and cannot ping.
package final class TopicProxy: @unchecked Sendable {
    /// An endpoint with what to do with it.
    enum Attachment: Equatable, Sendable {
        case bind(String)
        case connect(String)

        /// `>X` connects to X; `@X` and plain `X` bind X.
        package init(_ text: String) {
            if text.hasPrefix(">") { self = .connect(String(text.dropFirst())) }
            else if text.hasPrefix("@") { self = .bind(String(text.dropFirst())) }
            else { self = .bind(text) }
        }

        package var endpoint: String {
            switch self { case .bind(let e), .connect(let e): e }
        }
    }

    package let options: TopicProxyOptions
    private let context: ZMQContext
    private let logger: Logger

    /// Checks the endpoints (syntax, plaintext exposure) and creates the context; binds nothing yet.
    package init(options: TopicProxyOptions, logger: Logger) throws {
        guard !options.frontends.isEmpty else { throw SecurityError("give at least one --frontend (where the publishers are)") }
        guard !options.backends.isEmpty else { throw SecurityError("give at least one --backend (where the daemons subscribe)") }
        var bound: [String] = []
        for text in options.frontends + options.backends {
            let attachment = Attachment(text)
            if case .failure(let error) = ZMQEndpoint.parse(attachment.endpoint) { throw SecurityError(error.message) }
            if case .bind(let endpoint) = attachment { bound.append(endpoint) }
        }
        try PlaintextExposure.check(bound: bound, curve: false, allowed: options.allowPlaintextRemote,
                                    hint: "stackd proxy has no CURVE yet; bind to loopback or a private network address")
        self.options = options
        self.logger = logger
        self.context = try ZMQContext()
    }

    /// Ends ``run(stopRequested:)`` from any thread (a signal handler's queue).
    package func stop() { context.shutdown() }

    /// Binds and connects, tells systemd it is ready, and forwards until ``stop()``. A stop that
    /// arrives while it is still binding ends it cleanly as well.
    package func run(stopRequested: @escaping () -> Bool) throws {
        let frontend: ZMQSocket, backend: ZMQSocket
        do {
            frontend = try ZMQSocket(context: context, type: .xsub)
            backend = try ZMQSocket(context: context, type: .xpub)
        } catch let error as ZMQError where error.isContextTerminated {
            context.terminate()
            return
        }
        let notifier = SystemdNotifier()
        defer {
            notifier.stopping()
            frontend.close()
            backend.close()
            context.terminate()
        }
        do {
            for socket in [frontend, backend] {
                // Bounded linger: a peer that never drains cannot hold the stop past a second.
                try socket.configure(ZMQSocketSettings(lingerMilliseconds: 1000, sendHighWaterMark: options.highWaterMark,
                                                       receiveHighWaterMark: options.highWaterMark))
            }
            let frontends = try attach(frontend, options.frontends)
            let backends = try attach(backend, options.backends)
            logger.notice("stackd proxy is running", metadata: [
                "frontend": .string(frontends.joined(separator: ",")), "backend": .string(backends.joined(separator: ",")),
            ])
            notifier.ready()
            notifier.status("forwarding \(frontends.joined(separator: ",")) → \(backends.joined(separator: ","))")
            try ZMQProxy.run(frontend: frontend, backend: backend, stopRequested: stopRequested)
        } catch let error as ZMQError where error.isContextTerminated && stopRequested() {
            // Stopped while binding: nothing to undo.
        }
        logger.notice("stackd proxy stopped")
    }

    /// Binds or connects each endpoint; returns them as bound (wildcard ports resolved). A
    /// failure is an ``EndpointFailure`` naming the endpoint (what the operator must fix), unless
    /// the context was shut down meanwhile (a stop, not a failure).
    private func attach(_ socket: ZMQSocket, _ texts: [String]) throws -> [String] {
        try texts.map { text in
            let attachment = Attachment(text)
            do {
                switch attachment {
                case .bind(let endpoint):
                    try socket.bind(endpoint)
                    return try socket.lastEndpoint
                case .connect(let endpoint):
                    try socket.connect(endpoint)
                    return ">" + endpoint
                }
            } catch let error as ZMQError where !error.isContextTerminated {
                throw EndpointFailure(description: error.description)
            }
        }
    }

    /// An endpoint that cannot be bound or connected (address in use, missing ipc directory, …):
    /// `stackd proxy` exits 78, like `stackd run`, so systemd does not restart it in a loop.
    package struct EndpointFailure: Error, CustomStringConvertible {
        package var description: String
    }
}
