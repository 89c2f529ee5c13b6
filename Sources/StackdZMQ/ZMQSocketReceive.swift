import CZeroMQ

extension ZMQSocket {
    /// Receives the next frame into `message`, replacing what it held, without copying the
    /// payload (`zmq_msg_recv`; `zmq_recv` would copy into a caller buffer and truncate).
    ///
    /// Returns false when no frame was available: `dontWait` on an empty queue, or a blocking
    /// receive that reached the receive timeout. Throws `ZMQError` for real failures, including
    /// `ETERM` (see `ZMQError.isContextTerminated`) when the context is being terminated, and
    /// `EINTR` (see `ZMQError.isInterrupted`) when a signal interrupted the wait.
    ///
    /// Check `message.hasMore` to see whether further frames of the same message follow.
    public func receive(into message: ZMQMessage, dontWait: Bool = false) throws -> Bool {
        let handle = try liveHandle("receive")
        if zmq_msg_recv(message.pointer, handle, dontWait ? ZMQ_DONTWAIT : 0) >= 0 { return true }
        // Checked before building the error so an empty non-blocking poll costs no allocation.
        let code = zmq_errno()
        if code == EAGAIN { return false }
        throw ZMQError(code: code, operation: "receive on \(type) socket")
    }
}
