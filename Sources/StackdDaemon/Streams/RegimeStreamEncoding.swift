import StackdCore

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
}
