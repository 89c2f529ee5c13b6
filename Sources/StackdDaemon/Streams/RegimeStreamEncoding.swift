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

    /// The bytes of `encodeRegime` written into caller-owned buffers without allocating (replay
    /// publishes one regime per bar); nil when they do not fit, and `encode` takes over.
    static func writeRegime(_ e: StreamEvent, values: [Int8], symbol: UnsafeBufferPointer<UInt8>,
                            topic: UnsafeMutableRawBufferPointer, payload: UnsafeMutableRawBufferPointer) -> (Int, Int, Int64)? {
        let prefix: StaticString = "regime."
        let payloadLength = WireFormat.regimeHeaderSize + values.count + symbol.count
        guard prefix.utf8CodeUnitCount + symbol.count <= topic.count, payloadLength <= payload.count,
              values.count <= Int(UInt8.max), symbol.count <= Int(UInt8.max) else { return nil }
        var t = 0
        prefix.withUTF8Buffer { for b in $0 { topic[t] = b; t += 1 } }
        for b in symbol { topic[t] = b; t += 1 }
        payload[0] = WireFormat.magic0
        payload[1] = WireFormat.magic1
        payload[2] = WireFormat.version
        payload[3] = MessageKind.regime.rawValue
        payload[4] = UInt8(values.count)
        payload[5] = UInt8(symbol.count)
        payload[6] = 0
        payload[7] = 0
        payload.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
        payload.storeBytes(of: e.eventTime.littleEndian, toByteOffset: 16, as: Int64.self)
        payload.storeBytes(of: UInt64(0), toByteOffset: 24, as: UInt64.self)
        var p = WireFormat.regimeHeaderSize
        for v in values { payload[p] = UInt8(bitPattern: v); p += 1 }
        for b in symbol { payload[p] = b; p += 1 }
        return (t, p, e.eventTime)
    }
}
