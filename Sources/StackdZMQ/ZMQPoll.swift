import CZeroMQ

/// Readiness conditions for `ZMQSocket.poll`.
public struct ZMQPollEvents: OptionSet, Sendable {
    // zmq_pollitem_t.events is a C short, while the ZMQ_POLL* macros import as Int32.
    public let rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one frame can be received without blocking.
    public static let readable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one frame can be sent without blocking.
    public static let writable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// One socket to watch in `ZMQSocket.poll`, and what was found ready on it.
public struct ZMQPollItem {
    /// The socket to watch.
    public let socket: ZMQSocket
    /// The conditions to wait for.
    public var events: ZMQPollEvents
    /// The conditions found ready by the last poll; empty if none.
    public internal(set) var readyEvents: ZMQPollEvents = []

    public init(socket: ZMQSocket, events: ZMQPollEvents = .readable) {
        self.socket = socket
        self.events = events
    }

    /// Whether the last poll found the socket readable.
    public var isReadable: Bool { readyEvents.contains(.readable) }
}

extension ZMQSocket {
    /// Waits until at least one item is ready or the timeout passes, so one thread can serve
    /// several sockets (e.g. one SUB per model) without busy-looping.
    ///
    /// Results are written to each item's `readyEvents` in place; the C item array lives on the
    /// stack, so a loop that reuses its `items` array allocates nothing.
    ///
    /// - Parameter timeoutMilliseconds: -1 waits forever, 0 returns immediately.
    /// - Returns: the number of items with a ready event (0 on timeout).
    @discardableResult
    public static func poll(_ items: inout [ZMQPollItem], timeoutMilliseconds: Int) throws -> Int {
        let count = items.count
        return try withUnsafeTemporaryAllocation(of: zmq_pollitem_t.self, capacity: max(count, 1)) { cItems in
            for index in 0..<count {
                let item = items[index]
                cItems[index] = zmq_pollitem_t(
                    socket: try item.socket.liveHandle("poll"),
                    fd: 0,
                    events: item.events.rawValue,
                    revents: 0
                )
            }
            let ready = zmq_poll(cItems.baseAddress, Int32(count), timeoutMilliseconds)
            if ready < 0 { throw ZMQError.last("poll \(count) sockets") }
            for index in 0..<count {
                items[index].readyEvents = ZMQPollEvents(rawValue: cItems[index].revents)
            }
            return Int(ready)
        }
    }
}
