import StackdCore
import StackdDaemon

extension StreamEncoding {
    /// A regime event as the binary message a regime publisher sends on `regime.<symbol>`,
    /// delivered at its event time. Returns (topic length, payload length, delivery time).
    static func encodeRegime(_ e: StreamEvent, values: [Int8], topic: inout [UInt8], payload: inout [UInt8]) -> (Int, Int, Int64) {
        let t = Array(Topic.regime(symbol: e.symbol).utf8)
        let p = WireEncoder.binaryRegime(symbol: e.symbol, eventTime: e.eventTime, sequence: 0, values: values)
        topic.replaceSubrange(0..<t.count, with: t)
        payload.replaceSubrange(0..<p.count, with: p)
        return (t.count, p.count, e.eventTime)
    }

    /// The bytes of `encodeRegime` written into caller-owned buffers without allocating (replay
    /// publishes one regime per bar); nil when they do not fit, and `encode` takes over.
    static func writeRegime(_ e: StreamEvent, values: [Int8], symbol: UnsafeBufferPointer<UInt8>,
                            topic: UnsafeMutableRawBufferPointer, payload: UnsafeMutableRawBufferPointer) -> (Int, Int, Int64)? {
        let prefix: StaticString = "regime."
        guard prefix.utf8CodeUnitCount + symbol.count <= topic.count,
              let p = WireEncoder.writeBinaryRegime(symbol: UnsafeRawBufferPointer(symbol), eventTime: e.eventTime, sequence: 0,
                                                    values: values, into: payload) else { return nil }
        var t = 0
        prefix.withUTF8Buffer { for b in $0 { topic[t] = b; t += 1 } }
        for b in symbol { topic[t] = b; t += 1 }
        return (t, p, e.eventTime)
    }
}
