import CZeroMQ

/// One libzmq socket, owned by one thread.
///
/// libzmq sockets are not thread-safe, so this type is deliberately not `Sendable`: create it on
/// the dedicated thread that will use it and close it there. Blocking calls (`receive`, `send`
/// without `dontWait`, `poll`) must run on such threads, never inside Swift concurrency tasks,
/// whose small cooperative pool they would starve.
///
/// The socket keeps its context alive, so the context's fallback `deinit` can never run (and
/// block in `zmq_ctx_term`) while a socket still exists.
public final class ZMQSocket {
    /// The pattern this socket was created with.
    public let type: ZMQSocketType

    /// The context this socket belongs to.
    public let context: ZMQContext

    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket of `type` in `context`; throws `ETERM` once the context is terminating.
    public init(context: ZMQContext, type: ZMQSocketType) throws {
        self.context = context
        self.type = type
        self.handle = try context.makeSocketHandle(type)
    }

    deinit {
        close()
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket; pending outgoing messages are flushed by the context per the linger
    /// option. Idempotent. The context cannot finish terminating until this is called.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    /// The live handle, or the error an operation on a closed socket should report: `ETERM` if
    /// the socket was closed because its context is terminating (so shutdown loops see one
    /// consistent signal), `ENOTSOCK` otherwise.
    func liveHandle(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        if let handle { return handle }
        throw ZMQError(code: context.isTerminated ? ETERM : ENOTSOCK, operation: operation())
    }

    /// Accepts connections on `endpoint` (`tcp://host:port`, `tcp://127.0.0.1:*` for an
    /// ephemeral port, `ipc:///path`, `inproc://name`).
    public func bind(_ endpoint: String) throws {
        let handle = try liveHandle("bind \(endpoint)")
        if retryingOnInterrupt({ zmq_bind(handle, endpoint) }) != 0 { throw ZMQError.last("bind \(endpoint)") }
    }

    /// Connects to `endpoint`; libzmq reconnects in the background, so success does not mean the
    /// peer exists yet.
    public func connect(_ endpoint: String) throws {
        let handle = try liveHandle("connect \(endpoint)")
        if retryingOnInterrupt({ zmq_connect(handle, endpoint) }) != 0 { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Stops accepting on an endpoint given to `bind`; for wildcard binds pass `lastEndpoint`.
    public func unbind(_ endpoint: String) throws {
        let handle = try liveHandle("unbind \(endpoint)")
        if retryingOnInterrupt({ zmq_unbind(handle, endpoint) }) != 0 { throw ZMQError.last("unbind \(endpoint)") }
    }

    /// Drops a connection made with `connect`.
    public func disconnect(_ endpoint: String) throws {
        let handle = try liveHandle("disconnect \(endpoint)")
        if retryingOnInterrupt({ zmq_disconnect(handle, endpoint) }) != 0 { throw ZMQError.last("disconnect \(endpoint)") }
    }

    /// The endpoint most recently bound or connected, with wildcards resolved — how a test that
    /// binds `tcp://127.0.0.1:*` learns which port the kernel chose.
    public var lastEndpoint: String {
        get throws {
            let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, name: "last endpoint", capacity: 1024)
            // libzmq includes the C string terminator in the reported length.
            let text = bytes.last == 0 ? bytes.dropLast() : bytes[...]
            return String(decoding: text, as: UTF8.self)
        }
    }
}

/// Sockets are confined to one thread; this makes accidental sharing a compile-time error.
@available(*, unavailable)
extension ZMQSocket: Sendable {}
