import StackdCore
import StackdDaemon

/// Encodes stream events as the binary wire messages a publisher would send, so that replay
/// exercises the same decoding and validation as live ingest.
enum StreamEncoding {
    /// Labels per configured horizon (index order) in `events`: an upper bound on labelled rows.
    static func labelCounts(_ events: [StreamEvent], horizons: [Int]) -> [Int] {
        var counts = [Int](repeating: 0, count: horizons.count)
        for e in events {
            guard case .label = e.kind, let h = horizons.firstIndex(of: e.horizon) else { continue }
            counts[h] += 1
        }
        return counts
    }

    /// The bytes of `encode` written into caller-owned buffers without allocating; falls back to
    /// `encode` when an event does not fit (or has a negative horizon). Returns (topic length,
    /// payload length, delivery time). A label states `classCount`, the deployment's K.
    static func write(_ e: StreamEvent, classCount: Int, topic: UnsafeMutableRawBufferPointer,
                      payload: UnsafeMutableRawBufferPointer) -> (Int, Int, Int64) {
        var symbol = e.symbol
        let ok: (Int, Int, Int64)? = symbol.withUTF8 { sym -> (Int, Int, Int64)? in
            guard e.horizon >= 0 else { return nil }
            switch e.kind {
            case .prediction(var model, let probabilities):
                return model.withUTF8 { mod -> (Int, Int, Int64)? in
                    // "pred.<symbol>.<horizon>.<model>"
                    guard sym.count + mod.count + 30 <= topic.count,
                          let p = WireEncoder.writeBinaryPrediction(
                            model: UnsafeRawBufferPointer(mod), symbol: UnsafeRawBufferPointer(sym), horizon: e.horizon,
                            eventTime: e.eventTime, sequence: 0, probabilities: probabilities, into: payload) else { return nil }
                    var t = put("pred.", topic, 0)
                    t = put(sym, topic, t)
                    topic[t] = UInt8(ascii: "."); t += 1
                    t += Topic.writeDecimal(UInt64(e.horizon), into: UnsafeMutableRawBufferPointer(rebasing: topic[t...]))
                    topic[t] = UInt8(ascii: "."); t += 1
                    t = put(mod, topic, t)
                    return (t, p, e.eventTime)
                }
            case .label(let c, let r, let exit):
                // "label.<symbol>.<horizon>"
                guard sym.count + 30 <= topic.count,
                      let p = WireEncoder.writeBinaryLabel(
                        symbol: UnsafeRawBufferPointer(sym), horizon: e.horizon, eventTime: e.eventTime, sequence: 0,
                        classIndex: c, classCount: classCount, forwardReturn: r, exitTime: exit, into: payload) else { return nil }
                var t = put("label.", topic, 0)
                t = put(sym, topic, t)
                topic[t] = UInt8(ascii: "."); t += 1
                t += Topic.writeDecimal(UInt64(e.horizon), into: UnsafeMutableRawBufferPointer(rebasing: topic[t...]))
                return (t, p, exit)
            case .regime(let values):
                return writeRegime(e, values: values, symbol: sym, topic: topic, payload: payload)
            }
        }
        if let ok { return ok }
        var t = [UInt8](repeating: 0, count: topic.count), p = [UInt8](repeating: 0, count: payload.count)
        let r = encode(e, classCount: classCount, topic: &t, payload: &p)
        precondition(r.0 <= topic.count && r.1 <= payload.count, "replay event larger than the encoding buffers")
        t.withUnsafeBytes { topic.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<r.0])) }
        p.withUnsafeBytes { payload.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<r.1])) }
        return r
    }

    @inline(__always)
    private static func put(_ bytes: UnsafeBufferPointer<UInt8>, _ out: UnsafeMutableRawBufferPointer, _ at: Int) -> Int {
        UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + bytes.count)]).copyMemory(from: UnsafeRawBufferPointer(bytes))
        return at + bytes.count
    }

    @inline(__always)
    private static func put(_ text: StaticString, _ out: UnsafeMutableRawBufferPointer, _ at: Int) -> Int {
        text.withUTF8Buffer { put($0, out, at) }
    }

    /// Returns (topic length, payload length, delivery time). A label states `classCount`.
    static func encode(_ e: StreamEvent, classCount: Int, topic: inout [UInt8], payload: inout [UInt8]) -> (Int, Int, Int64) {
        switch e.kind {
        case .prediction(let model, let probabilities):
            let t = Array(Topic.prediction(symbol: e.symbol, horizon: e.horizon, model: model).utf8)
            let p = WireEncoder.binaryPrediction(model: model, symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime,
                                                 sequence: 0, probabilities: probabilities)
            topic.replaceSubrange(0..<t.count, with: t)
            payload.replaceSubrange(0..<p.count, with: p)
            return (t.count, p.count, e.eventTime)
        case .label(let c, let r, let exit):
            let t = Array(Topic.label(symbol: e.symbol, horizon: e.horizon).utf8)
            let p = WireEncoder.binaryLabel(symbol: e.symbol, horizon: e.horizon, eventTime: e.eventTime, sequence: 0,
                                            classIndex: c, classCount: classCount, forwardReturn: r, exitTime: exit)
            topic.replaceSubrange(0..<t.count, with: t)
            payload.replaceSubrange(0..<p.count, with: p)
            return (t.count, p.count, exit)
        case .regime(let values):
            return encodeRegime(e, values: values, topic: &topic, payload: &payload)
        }
    }
}
