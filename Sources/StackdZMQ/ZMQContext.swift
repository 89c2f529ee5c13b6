import CZeroMQ
import Foundation

/// A libzmq context: the I/O threads and the registry every socket belongs to.
///
/// It must be terminated explicitly. Swift never runs `deinit` for globals, and a context that
/// is never terminated lets the process exit with messages still queued in its I/O threads;
/// `terminate()` is what flushes them (subject to each socket's linger). `deinit` terminates as
/// a fallback only.
///
/// The context is thread-safe (libzmq guarantees it for contexts), hence `Sendable`; the state
/// guarding against a double `zmq_ctx_term` is protected by a lock.
public final class ZMQContext: @unchecked Sendable {
    private enum State {
        case live
        case shutDown
        case terminating
        case terminated
    }

    private let handle: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var state = State.live

    /// Creates a context.
    ///
    /// - Parameter ioThreads: libzmq's I/O thread count. One thread handles roughly a gigabyte
    ///   per second; raise it only for heavy TCP traffic. `inproc` traffic uses none.
    public init(ioThreads: Int32 = 1) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("set io threads \(ioThreads)")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        terminate()
    }

    /// Whether `shutdown()` or `terminate()` has been called.
    public var isTerminated: Bool {
        lock.lock()
        defer { lock.unlock() }
        return state != .live
    }

    /// Makes every blocking call on this context's sockets fail with `ETERM` now, without waiting.
    ///
    /// Use it from a signal handler thread to wake receivers; each receiver then closes its own
    /// socket (sockets are not thread-safe, so nobody else may) and `terminate()` completes.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        guard state == .live else { return }
        zmq_ctx_shutdown(handle)
        state = .shutDown
    }

    /// Terminates the context, flushing pending messages according to each socket's linger.
    ///
    /// Blocks until every socket of this context is closed: blocked calls on other threads fail
    /// with `ETERM`, and their owners must close the sockets. Calling it with a socket still open
    /// on the calling thread deadlocks. A second call returns immediately.
    public func terminate() {
        lock.lock()
        guard state == .live || state == .shutDown else {
            lock.unlock()
            return
        }
        state = .terminating
        lock.unlock()

        // EINTR means a signal arrived while waiting for sockets; the termination is still due.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}

        lock.lock()
        state = .terminated
        lock.unlock()
    }

    /// Creates a libzmq socket, refusing without touching the handle once termination began,
    /// since `zmq_ctx_term` frees it.
    func makeSocketHandle(_ type: ZMQSocketType) throws -> UnsafeMutableRawPointer {
        lock.lock()
        defer { lock.unlock() }
        guard state == .live else {
            throw ZMQError(code: ETERM, operation: "create \(type) socket")
        }
        guard let socket = zmq_socket(handle, type.rawValue) else {
            throw ZMQError.last("create \(type) socket")
        }
        return socket
    }
}
