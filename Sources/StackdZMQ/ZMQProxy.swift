import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// libzmq's built-in forwarder (`zmq_proxy`): every message from `frontend` goes to `backend` and
/// back, in libzmq's own loop, with no copy through Swift.
///
/// With an XSUB frontend and an XPUB backend this is the publish-subscribe proxy of
/// `stackd proxy`: data flows publisher → XSUB → XPUB → subscriber, and the subscribers'
/// subscriptions flow back XPUB → XSUB → publisher, so the publishers still filter by topic
/// prefix and a prefix nobody subscribed to never crosses the network.
///
/// Stopping: `zmq_proxy` returns only on an error. Shutting the sockets' context down
/// (``ZMQContext/shutdown()``, safe from a signal thread) makes it return `ETERM`, which ``run``
/// reports as a normal stop; the caller then closes both sockets on this thread.
public enum ZMQProxy {
    /// Forwards between `frontend` and `backend` until their context is shut down.
    ///
    /// A signal delivered to this thread interrupts libzmq's poll (`EINTR`); the loop resumes,
    /// unless `stopRequested` says the signal was a request to stop.
    public static func run(frontend: ZMQSocket, backend: ZMQSocket, stopRequested: () -> Bool) throws {
        while !stopRequested() {
            let front = try frontend.liveHandle("proxy")
            let back = try backend.liveHandle("proxy")
            if zmq_proxy(front, back, nil) == 0 { return }
            let code = zmq_errno()
            if code == ETERM { return }
            if code == EINTR { continue }
            throw ZMQError(code: code, operation: "proxy")
        }
    }
}
