import StackdDaemon

/// Stream events encoded once, before the replay starts, as the binary wire messages a publisher
/// would send: the topics in one contiguous byte arena, the payloads in another, and one record
/// per message. Replaying from it costs what replaying a journal costs: the ingest loop reads
/// bytes in place and no longer re-encodes each event, nor copies (retains and releases) its
/// strings and probability array, per delivery (bench/RESULTS.md, `bench/replay-cli.sh`). The
/// bytes are exactly those `StreamEncoding.write` produces, so the outputs are identical to
/// encoding on the fly.
struct EncodedStream {
    /// Where one message's topic and payload lie in `topics` and `payloads`, and when it is delivered.
    struct Message {
        var topicOffset: Int
        var payloadOffset: Int
        var topicLength: Int32
        var payloadLength: Int32
        var deliveryTime: Int64
    }

    private(set) var topics: [UInt8] = []
    private(set) var payloads: [UInt8] = []
    private(set) var messages: [Message] = []

    /// The windows `StreamEncoding.write` may fill for one event (its fallback's limits).
    static let topicWindow = 256, payloadWindow = 4096

    init(_ events: [StreamEvent], classCount: Int) {
        messages.reserveCapacity(events.count)
        var topicsUsed = 0, payloadsUsed = 0
        // By index: `for event in events` copies (retains) every event's strings and arrays.
        for i in events.indices {
            // Encoded straight into the arenas (grown by doubling, zero-filled) and cut to size at the end.
            Self.ensure(&topics, free: Self.topicWindow, after: topicsUsed)
            Self.ensure(&payloads, free: Self.payloadWindow, after: payloadsUsed)
            let (t, p, time) = topics.withUnsafeMutableBytes { tb in
                payloads.withUnsafeMutableBytes { pb in
                    StreamEncoding.write(
                        events[i], classCount: classCount,
                        topic: UnsafeMutableRawBufferPointer(rebasing: tb[topicsUsed..<(topicsUsed + Self.topicWindow)]),
                        payload: UnsafeMutableRawBufferPointer(rebasing: pb[payloadsUsed..<(payloadsUsed + Self.payloadWindow)]))
                }
            }
            messages.append(Message(topicOffset: topicsUsed, payloadOffset: payloadsUsed, topicLength: Int32(t),
                                    payloadLength: Int32(p), deliveryTime: time))
            topicsUsed += t
            payloadsUsed += p
        }
        topics.removeLast(topics.count - topicsUsed)
        payloads.removeLast(payloads.count - payloadsUsed)
    }

    private static func ensure(_ bytes: inout [UInt8], free: Int, after used: Int) {
        guard bytes.count - used < free else { return }
        bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, free * 16)))
    }

    var count: Int { messages.count }
}
