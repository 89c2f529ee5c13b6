import CZeroMQ

/// Connection events libzmq's socket monitor reports (`zmq_socket_monitor`, protocol v1).
///
/// A socket's peers are otherwise invisible: a peer refused before the ZAP handler is asked (a
/// plaintext client at a CURVE server: mechanism mismatch in the greeting; a client that does not
/// know the server's key: the HELLO does not decrypt), or disconnected by libzmq for a frame
/// above `maxMessageSize`, leaves no other trace. libzmq allows one monitor per socket: a second
/// `startMonitor` on the same socket replaces the first.
public struct ZMQMonitorEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// A connection was accepted on a bound endpoint; the value is its file descriptor.
    public static let accepted = ZMQMonitorEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    /// A connection ended; the value is its (now closed) file descriptor.
    public static let disconnected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    /// The security handshake completed.
    public static let handshakeSucceeded = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// The peer went away during the handshake; the value is an `errno`.
    public static let handshakeFailedNoDetail = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    /// The handshake broke the protocol; the value is a `ZMQ_PROTOCOL_ERROR_*` code.
    public static let handshakeFailedProtocol = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// The ZAP handler refused the peer; the value is the ZAP status code (e.g. 400).
    public static let handshakeFailedAuthentication = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    /// The monitored socket was closed: the last event of a monitor.
    public static let monitorStopped = ZMQMonitorEvents(rawValue: ZMQ_EVENT_MONITOR_STOPPED)
}

/// One monitor event.
public struct ZMQMonitorEvent: Sendable, Equatable {
    /// Exactly one of the `ZMQMonitorEvents` flags.
    public var event: ZMQMonitorEvents
    /// The event's value: a file descriptor, an `errno`, a protocol error or a ZAP status.
    public var value: UInt32
    /// The endpoint the event belongs to (for a bound socket, the bound endpoint, not the peer).
    public var endpoint: String

    public init(event: ZMQMonitorEvents, value: UInt32, endpoint: String) {
        self.event = event
        self.value = value
        self.endpoint = endpoint
    }

    /// The `ZMQ_PROTOCOL_ERROR_*` code of a protocol failure meaning "the peer does not speak
    /// this socket's security mechanism", typically a plaintext client at a CURVE server.
    public static let mechanismMismatch = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
    /// The protocol failure of a CURVE message that does not decrypt: the client used another
    /// server key, or is not speaking CURVE correctly.
    public static let cryptographicFailure = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
}

extension ZMQSocket {
    /// Publishes `events` of this socket on a PAIR socket bound at `endpoint` (an `inproc://`
    /// name unique in the context); read them from a PAIR connected there with
    /// `receiveMonitorEvent`. Call it on the thread owning this socket, before `bind`.
    public func startMonitor(endpoint: String, events: ZMQMonitorEvents) throws {
        let handle = try liveHandle("monitor \(endpoint)")
        if retryingOnInterrupt({ zmq_socket_monitor(handle, endpoint, events.rawValue) }) != 0 { throw ZMQError.last("monitor on \(endpoint)") }
    }

    /// Reads one monitor event from a PAIR socket connected to a monitor endpoint; nil if none
    /// is queued (with `dontWait`) or the frames are not a v1 monitor event.
    public func receiveMonitorEvent(into message: ZMQMessage, dontWait: Bool = true) throws -> ZMQMonitorEvent? {
        guard try receive(into: message, dontWait: dontWait) else { return nil }
        // Frame 1: uint16 event, uint32 value, both in host byte order; frame 2: the endpoint.
        let header: (Int32, UInt32)? = message.withUnsafeBytes { bytes in
            guard bytes.count == 6 else { return nil }
            let event = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
            let value = UInt32(bytes[2]) | UInt32(bytes[3]) << 8 | UInt32(bytes[4]) << 16 | UInt32(bytes[5]) << 24
            return (Int32(event), value)
        }
        guard message.hasMore else { return nil }
        guard try receive(into: message) else { return nil }
        let endpoint = message.string
        while message.hasMore { _ = try receive(into: message) }
        guard let header else { return nil }
        return ZMQMonitorEvent(event: ZMQMonitorEvents(rawValue: header.0), value: header.1, endpoint: endpoint)
    }
}
