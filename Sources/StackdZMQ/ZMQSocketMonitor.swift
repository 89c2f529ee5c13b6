import CZeroMQ

/// Connection events of a socket, as libzmq's monitor reports them.
///
/// Why: a SUB socket hides its peers; the only trace of a peer libzmq disconnected (for example
/// for sending a frame above `maxMessageSize`) is a monitor event, so counting those is how the
/// daemon makes such refusals visible.
public struct ZMQMonitorEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let connected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_CONNECTED)
    public static let accepted = ZMQMonitorEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    public static let disconnected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    public static let handshakeFailedProtocol = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
}

extension ZMQSocket {
    /// Publishes this socket's `events` on a PAIR socket bound at `endpoint` (an `inproc://`
    /// address); read them with a PAIR socket connected there and ``ZMQSocket/receiveMonitorEvent()``.
    public func monitor(endpoint: String, events: ZMQMonitorEvents) throws {
        let handle = try liveHandle("monitor \(endpoint)")
        if zmq_socket_monitor(handle, endpoint, events.rawValue) != 0 { throw ZMQError.last("monitor \(endpoint)") }
    }

    /// Reads one monitor event without waiting (the event number; the endpoint frame is
    /// consumed); nil when none is queued. For a PAIR socket connected to a monitor endpoint.
    public func receiveMonitorEvent(into scratch: ZMQMessage) throws -> Int32? {
        guard try receive(into: scratch, dontWait: true) else { return nil }
        // Frame 1: u16 event number, u32 value (native byte order); frame 2: the peer's endpoint.
        let event: Int32 = scratch.withUnsafeBytes { $0.count >= 2 ? Int32($0.loadUnaligned(as: UInt16.self)) : 0 }
        while scratch.hasMore { guard try receive(into: scratch) else { break } }
        return event
    }
}
