/// Everything a socket is set up with before it binds or connects, as one value, so that every
/// socket of the project is made the same way (``ZMQSocket/make(context:type:settings:secure:)``)
/// instead of each driver repeating its own sequence of `setOption` calls.
///
/// The linger is required: libzmq's default (-1, wait forever) can hang a shutdown on a peer that
/// never drains, so each socket states how long its close may wait.
public struct ZMQSocketSettings: Sendable, Equatable {
    /// How long `close` waits to flush pending messages, in ms (0 discards).
    public var lingerMilliseconds: Int32
    /// Queued outgoing messages per peer; nil keeps libzmq's default (1000), 0 is unlimited.
    public var sendHighWaterMark: Int32?
    /// Queued incoming messages per peer; nil keeps libzmq's default (1000), 0 is unlimited.
    public var receiveHighWaterMark: Int32?
    /// How long a blocking receive waits, in ms; nil waits forever.
    public var receiveTimeoutMilliseconds: Int32?
    /// How long a blocking send waits (e.g. at the high-water mark), in ms; nil waits forever.
    public var sendTimeoutMilliseconds: Int32?
    /// Largest inbound frame a peer may send, in bytes; nil is no limit.
    public var maxMessageSize: Int64?
    /// XPUB: pass every subscription up (readiness checks see each subscriber).
    public var xpubVerbose: Bool
    /// XPUB: a send at a subscriber's high-water mark fails (counted) instead of vanishing.
    public var xpubNoDrop: Bool
    /// SUB: topic prefixes subscribed before the first connection (they travel with the handshake).
    public var subscriptions: [String]

    public init(lingerMilliseconds: Int32, sendHighWaterMark: Int32? = nil, receiveHighWaterMark: Int32? = nil,
                receiveTimeoutMilliseconds: Int32? = nil, sendTimeoutMilliseconds: Int32? = nil,
                maxMessageSize: Int64? = nil, xpubVerbose: Bool = false, xpubNoDrop: Bool = false,
                subscriptions: [String] = []) {
        self.lingerMilliseconds = lingerMilliseconds
        self.sendHighWaterMark = sendHighWaterMark
        self.receiveHighWaterMark = receiveHighWaterMark
        self.receiveTimeoutMilliseconds = receiveTimeoutMilliseconds
        self.sendTimeoutMilliseconds = sendTimeoutMilliseconds
        self.maxMessageSize = maxMessageSize
        self.xpubVerbose = xpubVerbose
        self.xpubNoDrop = xpubNoDrop
        self.subscriptions = subscriptions
    }
}

extension ZMQSocket {
    /// The socket factory: a socket of `type` in `context` with `settings` applied and secured by
    /// `secure` (e.g. CURVE through ``configureCurve(_:)`` plus a ZAP allow-list), ready to bind or
    /// connect. On any failure the socket is closed before the error is rethrown.
    public static func make(context: ZMQContext, type: ZMQSocketType, settings: ZMQSocketSettings,
                            secure: (ZMQSocket) throws -> Void = { _ in }) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: type)
        do {
            try socket.configure(settings, secure: secure)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Applies `settings`, then `secure`, then the subscriptions, to a socket made earlier (one a
    /// caller must create before its security exists). Call before `bind`/`connect`: libzmq applies
    /// these options to connections made afterwards only.
    public func configure(_ settings: ZMQSocketSettings, secure: (ZMQSocket) throws -> Void = { _ in }) throws {
        try setOption(.lingerMilliseconds, settings.lingerMilliseconds)
        if let hwm = settings.sendHighWaterMark { try setOption(.sendHighWaterMark, hwm) }
        if let hwm = settings.receiveHighWaterMark { try setOption(.receiveHighWaterMark, hwm) }
        if let timeout = settings.receiveTimeoutMilliseconds { try setOption(.receiveTimeoutMilliseconds, timeout) }
        if let timeout = settings.sendTimeoutMilliseconds { try setOption(.sendTimeoutMilliseconds, timeout) }
        if let size = settings.maxMessageSize { try setOption(.maxMessageSize, size) }
        if settings.xpubVerbose { try setOption(.xpubVerbose, true) }
        if settings.xpubNoDrop { try setOption(.xpubNoDrop, true) }
        try secure(self)
        for prefix in settings.subscriptions { try subscribe(prefix: prefix) }
    }
}
