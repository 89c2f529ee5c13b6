import CZeroMQ

/// A reusable receive buffer wrapping one `zmq_msg_t`, so frames are read where libzmq put them
/// instead of being copied into a fresh Swift array per receive.
///
/// `zmq_msg_t` is a 64-byte struct that libzmq may point into (small messages are stored
/// inline), so it must never move: it lives in its own heap allocation, made once, and a Swift
/// struct copy of it would be a bug. Receiving into the same message releases the previous
/// frame inside `zmq_msg_recv`, so a loop that reuses one message allocates nothing on the Swift
/// side in steady state.
///
/// Not `Sendable`: its contents change on every receive, like the socket that fills it.
///
/// The per-frame accessors are `@inlinable`: a receive loop in another module then gets them
/// specialised and inlined instead of calling a generic function per frame.
public final class ZMQMessage {
    @usableFromInline let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// Creates an empty message, ready for `ZMQSocket.receive(into:)`.
    public init() {
        pointer = .allocate(capacity: 1)
        // zmq_msg_init cannot fail (it only zeroes the struct).
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The frame's size in bytes.
    @inlinable public var count: Int { zmq_msg_size(pointer) }

    /// Whether more frames of the same multi-frame message follow this one.
    @inlinable public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// Lends the frame's bytes in place. The buffer is valid only inside `body` and only until
    /// the next receive into this message; copy out anything that must outlive it.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let count = zmq_msg_size(pointer)
        guard count > 0, let data = zmq_msg_data(pointer) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: data, count: count))
    }

    /// Takes `other`'s frame without copying it (`zmq_msg_move`): this message's previous frame is
    /// released and `other` is left empty. How a receive thread hands a frame to another thread's
    /// ring slot.
    @inlinable public func move(from other: ZMQMessage) {
        zmq_msg_move(pointer, other.pointer)
    }

    /// A copy of the frame's bytes, for tests and cold paths; hot paths use `withUnsafeBytes`.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The frame decoded as UTF-8 (invalid sequences repaired), for topics and diagnostics.
    public var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

/// A message belongs to the thread that receives into it.
@available(*, unavailable)
extension ZMQMessage: Sendable {}
