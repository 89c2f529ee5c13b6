import StackdDaemon

/// Stream events encoded once, before the replay starts, as the binary wire messages a publisher
/// would send: the topics in one contiguous byte arena, the payloads in another, and one record
/// per message. Replaying from it costs what replaying a journal costs: the ingest loop reads
/// bytes in place and no longer re-encodes each event, nor copies (retains and releases) its
/// strings and probability array, per delivery (bench/RESULTS.md, `bench/replay-cli.sh`). The
/// bytes are exactly those `StreamEncoding.write` produces, so the outputs are identical to
/// encoding on the fly.
final class EncodedStream {
    /// Where one message's topic and payload lie in `topics` and `payloads`, and when it is delivered.
    struct Message {
        var topicOffset: Int
        var payloadOffset: Int
        var topicLength: Int32
        var payloadLength: Int32
        var deliveryTime: Int64
    }

    private let topicArena: ByteArena
    private let payloadArena: ByteArena
    let messages: [Message]

    /// The windows `StreamEncoding.write` may fill for one event (its fallback's limits).
    static let topicWindow = 256, payloadWindow = 4096

    init(_ events: [StreamEvent], classCount: Int) {
        // Topics of about 20 bytes and payloads of about 70 (K = 3): most streams never regrow.
        let topicArena = ByteArena(capacity: events.count * 24 + Self.topicWindow)
        let payloadArena = ByteArena(capacity: events.count * 72 + Self.payloadWindow)
        // Built in a local and stored once: appending to the stored property checked exclusivity
        // dynamically per event (swift_beginAccess, ≈ 115 instructions per event).
        var messages: [Message] = []
        messages.reserveCapacity(events.count)
        // Through the buffer: `events[i]` copies (retains and releases) every event's strings and array.
        events.withUnsafeBufferPointer { events in
            for i in events.indices {
                let topicOffset = topicArena.count, payloadOffset = payloadArena.count
                let (t, p, time) = StreamEncoding.write(events[i], classCount: classCount,
                                                        topic: topicArena.tail(Self.topicWindow),
                                                        payload: payloadArena.tail(Self.payloadWindow))
                topicArena.commit(t)
                payloadArena.commit(p)
                messages.append(Message(topicOffset: topicOffset, payloadOffset: payloadOffset, topicLength: Int32(t),
                                        payloadLength: Int32(p), deliveryTime: time))
            }
        }
        self.messages = messages
        self.topicArena = topicArena
        self.payloadArena = payloadArena
    }

    /// Every topic, back to back (`Message.topicOffset`); valid while the stream lives.
    var topics: UnsafeRawBufferPointer { topicArena.bytes }
    /// Every payload, back to back (`Message.payloadOffset`); valid while the stream lives.
    var payloads: UnsafeRawBufferPointer { payloadArena.bytes }
    var count: Int { messages.count }
}

/// A byte buffer written in place at its end and grown by doubling, without the zero-fill an
/// `[UInt8]` pays to grow (≈ 400 instructions per event when the arenas were arrays).
final class ByteArena {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// `n` writable bytes after the end (the buffer grows first when they do not fit).
    func tail(_ n: Int) -> UnsafeMutableRawBufferPointer {
        if count + n > capacity {
            let grown = max(capacity * 2, count + n)
            let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
            moved.copyMemory(from: base, byteCount: count)
            base.deallocate()
            base = moved
            capacity = grown
        }
        return UnsafeMutableRawBufferPointer(start: base + count, count: n)
    }

    /// Takes the first `n` bytes last handed out by `tail` as written.
    func commit(_ n: Int) {
        precondition(count + n <= capacity, "commit beyond the tail")
        count += n
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
