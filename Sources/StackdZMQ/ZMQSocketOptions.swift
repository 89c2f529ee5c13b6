import CZeroMQ

/// A socket option together with the Swift type of its value, so the option table's int/bool
/// distinctions are checked by the compiler instead of by libzmq at run time.
public struct ZMQSocketOption<Value>: Sendable {
    let name: Int32
    let label: String

    init(_ name: Int32, _ label: String) {
        self.name = name
        self.label = label
    }
}

extension ZMQSocketOption where Value == Int32 {
    /// Queued outgoing messages per peer before the socket mutes (PUB drops, others block).
    public static var sendHighWaterMark: Self { .init(ZMQ_SNDHWM, "send high-water mark") }
    /// Queued incoming messages per peer before libzmq stops reading from it.
    public static var receiveHighWaterMark: Self { .init(ZMQ_RCVHWM, "receive high-water mark") }
    /// How long `close`/`terminate` wait to flush pending messages, in ms; -1 waits forever
    /// (the libzmq default, which can hang shutdown on an absent peer), 0 discards.
    public static var lingerMilliseconds: Self { .init(ZMQ_LINGER, "linger") }
    /// How long a blocking receive waits before returning false, in ms; -1 waits forever.
    public static var receiveTimeoutMilliseconds: Self { .init(ZMQ_RCVTIMEO, "receive timeout") }
    /// How long a blocking send waits before returning false, in ms; -1 waits forever.
    public static var sendTimeoutMilliseconds: Self { .init(ZMQ_SNDTIMEO, "send timeout") }
    /// Kernel receive buffer size in bytes; -1 keeps the OS default.
    public static var receiveBufferSize: Self { .init(ZMQ_RCVBUF, "receive buffer") }
    /// Kernel send buffer size in bytes; -1 keeps the OS default.
    public static var sendBufferSize: Self { .init(ZMQ_SNDBUF, "send buffer") }
}

extension ZMQSocketOption where Value == Bool {
    /// Queue messages only to completed connections, so nothing piles up for a peer that is
    /// not there yet.
    public static var immediate: Self { .init(ZMQ_IMMEDIATE, "immediate") }
    /// Allow IPv6 as well as IPv4 on tcp endpoints.
    public static var ipv6: Self { .init(ZMQ_IPV6, "ipv6") }
    /// XPUB only, write-only: pass every subscription (not just the first per topic) up to the
    /// application, so readiness checks see each subscriber.
    public static var xpubVerbose: Self { .init(ZMQ_XPUB_VERBOSE, "xpub verbose") }
}

extension ZMQSocket {
    /// Sets an integer option.
    public func setOption(_ option: ZMQSocketOption<Int32>, _ value: Int32) throws {
        try setIntOption(option.name, value, name: option.label)
    }

    /// Sets a boolean option.
    public func setOption(_ option: ZMQSocketOption<Bool>, _ value: Bool) throws {
        try setIntOption(option.name, value ? 1 : 0, name: option.label)
    }

    /// Reads an integer option.
    public func option(_ option: ZMQSocketOption<Int32>) throws -> Int32 {
        try intOption(option.name, name: option.label)
    }

    /// Reads a boolean option; write-only options such as `xpubVerbose` throw `EINVAL`.
    public func option(_ option: ZMQSocketOption<Bool>) throws -> Bool {
        try intOption(option.name, name: option.label) != 0
    }

    /// Subscribes a SUB/XSUB socket to messages whose first frame starts with `prefix`;
    /// an empty prefix receives everything.
    public func subscribe(prefix: [UInt8]) throws {
        try prefix.withUnsafeBytes { try setBytesOption(ZMQ_SUBSCRIBE, $0, name: "subscribe") }
    }

    /// Subscribes to messages whose first frame starts with the UTF-8 bytes of `prefix`.
    public func subscribe(prefix: String) throws {
        try subscribe(prefix: Array(prefix.utf8))
    }

    /// Removes one earlier `subscribe` of the same prefix (subscriptions are counted).
    public func unsubscribe(prefix: [UInt8]) throws {
        try prefix.withUnsafeBytes { try setBytesOption(ZMQ_UNSUBSCRIBE, $0, name: "unsubscribe") }
    }

    /// Removes one earlier `subscribe` of the same UTF-8 prefix.
    public func unsubscribe(prefix: String) throws {
        try unsubscribe(prefix: Array(prefix.utf8))
    }

    func setIntOption(_ option: Int32, _ value: Int32, name: String) throws {
        let handle = try liveHandle("set \(name)")
        var value = value
        if retryingOnInterrupt({ zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) }) != 0 {
            throw ZMQError.last("set \(name) \(value)")
        }
    }

    func intOption(_ option: Int32, name: String) throws -> Int32 {
        let handle = try liveHandle("get \(name)")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if retryingOnInterrupt({ zmq_getsockopt(handle, option, &value, &size) }) != 0 { throw ZMQError.last("get \(name)") }
        return value
    }

    func setBytesOption(_ option: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        let handle = try liveHandle(name)
        if retryingOnInterrupt({ zmq_setsockopt(handle, option, bytes.baseAddress, bytes.count) }) != 0 {
            throw ZMQError.last(name)
        }
    }

    func bytesOption(_ option: Int32, name: String, capacity: Int) throws -> [UInt8] {
        let handle = try liveHandle("get \(name)")
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let rc = buffer.withUnsafeMutableBytes { bytes in retryingOnInterrupt { zmq_getsockopt(handle, option, bytes.baseAddress, &size) } }
        if rc != 0 { throw ZMQError.last("get \(name)") }
        return Array(buffer.prefix(size))
    }
}

extension ZMQSocketOption where Value == Bool {
    /// XPUB only: at a subscriber's high-water mark a send fails with EAGAIN (a `dontWait` send
    /// returns false) instead of dropping the message silently, so the publisher can count it.
    public static var xpubNoDrop: Self { .init(ZMQ_XPUB_NODROP, "xpub no-drop") }
}

/// An option whose value is a 64-bit integer.
extension ZMQSocketOption where Value == Int64 {
    /// Largest inbound message (each frame, in bytes) a peer may send; a peer that sends a larger
    /// one is disconnected as soon as its length prefix is read, before the frame is buffered.
    /// -1 (the default) is no limit.
    public static var maxMessageSize: Self { .init(ZMQ_MAXMSGSIZE, "max message size") }
}

extension ZMQSocket {
    /// Sets a 64-bit integer option.
    public func setOption(_ option: ZMQSocketOption<Int64>, _ value: Int64) throws {
        let handle = try liveHandle("set \(option.label)")
        var value = value
        if retryingOnInterrupt({ zmq_setsockopt(handle, option.name, &value, MemoryLayout<Int64>.size) }) != 0 {
            throw ZMQError.last("set \(option.label) \(value)")
        }
    }

    /// Reads a 64-bit integer option.
    public func option(_ option: ZMQSocketOption<Int64>) throws -> Int64 {
        let handle = try liveHandle("get \(option.label)")
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        if retryingOnInterrupt({ zmq_getsockopt(handle, option.name, &value, &size) }) != 0 { throw ZMQError.last("get \(option.label)") }
        return value
    }
}
