import CZeroMQ

extension ZMQSocket {
    /// Sends one frame, copying `bytes` into libzmq.
    ///
    /// Returns false, rather than throwing, when the message was not queued because the socket
    /// would block: a `dontWait` send at the high-water mark, or a blocking send that hit the send
    /// timeout. That is back-pressure, not a failure. PUB and XPUB never report it — at the
    /// high-water mark they silently drop for the slow subscriber — so for publishers the result
    /// is always true and may be ignored.
    ///
    /// - Parameters:
    ///   - more: more frames of the same message follow; the message is delivered atomically
    ///     when a frame without `more` is sent.
    ///   - dontWait: fail fast (return false) instead of blocking.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        let handle = try liveHandle("send")
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        if zmq_send(handle, bytes.baseAddress, bytes.count, flags) >= 0 { return true }
        // Checked before building the error so back-pressure costs no string allocation.
        let code = zmq_errno()
        if code == EAGAIN { return false }
        throw ZMQError(code: code, operation: "send \(bytes.count) bytes on \(type) socket")
    }

    /// Sends one frame from an array; see `send(_:more:dontWait:)` for the result.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { try send($0, more: more, dontWait: dontWait) }
    }

    /// Sends one frame holding the UTF-8 bytes of `string`; see `send(_:more:dontWait:)`.
    @discardableResult
    public func send(_ string: String, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        var string = string
        return try string.withUTF8 { try send(UnsafeRawBufferPointer($0), more: more, dontWait: dontWait) }
    }

    /// Sends a two-frame message, topic then payload — the shape SUB prefix filtering matches on
    /// the first frame — without concatenating them into a new buffer.
    ///
    /// Returns false only if the topic frame was refused (nothing was queued); once the first
    /// frame is accepted libzmq accepts the rest of the message.
    @discardableResult
    public func send(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, dontWait: Bool = false) throws -> Bool {
        guard try send(topic, more: true, dontWait: dontWait) else { return false }
        return try send(payload, more: false, dontWait: dontWait)
    }

    /// Sends a two-frame topic + payload message; see `send(topic:payload:dontWait:)`.
    @discardableResult
    public func send(topic: String, payload: UnsafeRawBufferPointer, dontWait: Bool = false) throws -> Bool {
        var topic = topic
        return try topic.withUTF8 {
            try send(topic: UnsafeRawBufferPointer($0), payload: payload, dontWait: dontWait)
        }
    }

    /// Sends a two-frame topic + payload message; see `send(topic:payload:dontWait:)`.
    @discardableResult
    public func send(topic: String, payload: [UInt8], dontWait: Bool = false) throws -> Bool {
        try payload.withUnsafeBytes { try send(topic: topic, payload: $0, dontWait: dontWait) }
    }

    /// Sends a two-frame topic + payload message; see `send(topic:payload:dontWait:)`.
    @discardableResult
    public func send(topic: [UInt8], payload: [UInt8], dontWait: Bool = false) throws -> Bool {
        try topic.withUnsafeBytes { topic in
            try payload.withUnsafeBytes { try send(topic: topic, payload: $0, dontWait: dontWait) }
        }
    }
}
