import CZeroMQ

/// A failed libzmq call, carrying enough context to be logged as-is.
///
/// libzmq reports failures through `errno`, which is thread-local and overwritten by the next
/// call, so the code is captured immediately together with the operation that failed: an
/// operator reading "bind tcp://127.0.0.1:5555: Address already in use" needs no source dive.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The `errno` value libzmq reported (a POSIX code, or one of libzmq's own such as `ETERM`).
    public let code: Int32

    /// What was being attempted, including the endpoint or option where there is one.
    public let operation: String

    /// Creates an error from an explicit code, for failures detected before reaching libzmq.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures the calling thread's current libzmq error; call it straight after the failure.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    /// libzmq's human-readable text for `code`.
    public var message: String { String(cString: zmq_strerror(code)) }

    /// The context was terminated (or shut down): the socket's owner should close it and leave
    /// its loop. This is the normal way a blocked receiver learns that the daemon is stopping.
    public var isContextTerminated: Bool { code == ETERM }

    /// A signal interrupted a blocking call before it completed; retrying is usually right.
    public var isInterrupted: Bool { code == EINTR }

    public var description: String { "\(operation): \(message)" }
}
