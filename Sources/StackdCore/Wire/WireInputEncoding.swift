/// The binary input messages (prediction, label, regime; `schemas/wire.md`) written in one place.
///
/// Each layout is written once, by a `write…` function into a caller's buffer without allocating
/// (the paced replay publishes millions of messages through them); the `binary…` functions that
/// return arrays (publishers, tests, benchmarks) size a buffer and call the same writer, so the
/// two can never disagree.
extension WireEncoder {
    /// Bytes of a binary prediction with `classCount` probabilities.
    public static func predictionSize(classCount: Int, modelLength: Int, symbolLength: Int) -> Int {
        WireFormat.predictionHeaderSize + 8 * classCount + modelLength + symbolLength
    }

    /// Bytes of a binary label.
    public static func labelSize(symbolLength: Int) -> Int { WireFormat.labelFixedSize + symbolLength }

    /// Bytes of a binary regime message with `valueCount` values.
    public static func regimeSize(valueCount: Int, symbolLength: Int) -> Int {
        WireFormat.regimeHeaderSize + valueCount + symbolLength
    }

    /// Writes a binary prediction into `out`; its length, or nil when it does not fit in `out` or
    /// a field is outside what the format can carry (a count above 255, a negative horizon).
    public static func writeBinaryPrediction(model: UnsafeRawBufferPointer, symbol: UnsafeRawBufferPointer, horizon: Int,
                                             eventTime: Int64, sequence: UInt64, probabilities: [Double],
                                             into out: UnsafeMutableRawBufferPointer) -> Int? {
        let size = predictionSize(classCount: probabilities.count, modelLength: model.count, symbolLength: symbol.count)
        guard size <= out.count, fitsInByte(probabilities.count), fitsInByte(model.count), fitsInByte(symbol.count),
              let h = UInt32(exactly: horizon) else { return nil }
        writeHeader(out, kind: .prediction, UInt8(probabilities.count), UInt8(model.count), UInt8(symbol.count), 0)
        var p = writeKeys(out, horizon: h, eventTime: eventTime, sequence: sequence)
        for v in probabilities { p = store(v.bitPattern, out, p) }
        p = copy(model, out, p)
        return copy(symbol, out, p)
    }

    /// Writes a binary label into `out`; its length, or nil when it does not fit or a field is out
    /// of range (a class index or count outside 0...255, a negative horizon).
    public static func writeBinaryLabel(symbol: UnsafeRawBufferPointer, horizon: Int, eventTime: Int64, sequence: UInt64,
                                        classIndex: Int, classCount: Int, forwardReturn: Double, exitTime: Int64,
                                        into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard labelSize(symbolLength: symbol.count) <= out.count, fitsInByte(classIndex), fitsInByte(classCount),
              fitsInByte(symbol.count), let h = UInt32(exactly: horizon) else { return nil }
        writeHeader(out, kind: .label, UInt8(classIndex), UInt8(classCount), UInt8(symbol.count), 0)
        var p = writeKeys(out, horizon: h, eventTime: eventTime, sequence: sequence)
        p = store(forwardReturn.bitPattern, out, p)
        p = store(UInt64(bitPattern: exitTime), out, p)
        return copy(symbol, out, p)
    }

    /// Writes a binary regime message into `out`; its length, or nil when it does not fit or has
    /// more than 255 values or symbol bytes.
    public static func writeBinaryRegime(symbol: UnsafeRawBufferPointer, eventTime: Int64, sequence: UInt64,
                                         values: [Int8], into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard regimeSize(valueCount: values.count, symbolLength: symbol.count) <= out.count,
              fitsInByte(values.count), fitsInByte(symbol.count) else { return nil }
        writeHeader(out, kind: .regime, UInt8(values.count), UInt8(symbol.count), 0, 0)
        var p = writeKeys(out, horizon: 0, eventTime: eventTime, sequence: sequence)
        for v in values { out[p] = UInt8(bitPattern: v); p += 1 }
        return copy(symbol, out, p)
    }

    /// A binary prediction (publishers, tests, benchmarks).
    public static func binaryPrediction(model: String, symbol: String, horizon: Int, eventTime: Int64,
                                        sequence: UInt64, probabilities: [Double]) -> [UInt8] {
        let size = predictionSize(classCount: probabilities.count, modelLength: model.utf8.count, symbolLength: symbol.utf8.count)
        return encoded(size, "prediction") { out in
            withUTF8(model) { m in withUTF8(symbol) { s in
                writeBinaryPrediction(model: m, symbol: s, horizon: horizon, eventTime: eventTime, sequence: sequence,
                                      probabilities: probabilities, into: out)
            } }
        }
    }

    /// A binary label.
    public static func binaryLabel(symbol: String, horizon: Int, eventTime: Int64, sequence: UInt64,
                                   classIndex: Int, classCount: Int, forwardReturn: Double, exitTime: Int64) -> [UInt8] {
        encoded(labelSize(symbolLength: symbol.utf8.count), "label") { out in
            withUTF8(symbol) { s in
                writeBinaryLabel(symbol: s, horizon: horizon, eventTime: eventTime, sequence: sequence, classIndex: classIndex,
                                 classCount: classCount, forwardReturn: forwardReturn, exitTime: exitTime, into: out)
            }
        }
    }

    /// A binary regime message (kind 5): values are signed bytes, in `regimes.names` order.
    public static func binaryRegime(symbol: String, eventTime: Int64, sequence: UInt64, values: [Int8]) -> [UInt8] {
        encoded(regimeSize(valueCount: values.count, symbolLength: symbol.utf8.count), "regime") { out in
            withUTF8(symbol) { s in
                writeBinaryRegime(symbol: s, eventTime: eventTime, sequence: sequence, values: values, into: out)
            }
        }
    }

    // MARK: - The shared pieces of the three layouts

    @inline(__always)
    private static func fitsInByte(_ n: Int) -> Bool { n >= 0 && n <= Int(UInt8.max) }

    /// Bytes 0–7: magic, version, kind and the kind's four one-byte fields.
    @inline(__always)
    private static func writeHeader(_ out: UnsafeMutableRawBufferPointer, kind: MessageKind,
                                    _ b4: UInt8, _ b5: UInt8, _ b6: UInt8, _ b7: UInt8) {
        out[0] = WireFormat.magic0; out[1] = WireFormat.magic1; out[2] = WireFormat.version; out[3] = kind.rawValue
        out[4] = b4; out[5] = b5; out[6] = b6; out[7] = b7
    }

    /// Bytes 8–31: horizon, 4 reserved zero bytes, event time, sequence. Returns the next offset.
    @inline(__always)
    private static func writeKeys(_ out: UnsafeMutableRawBufferPointer, horizon: UInt32, eventTime: Int64,
                                  sequence: UInt64) -> Int {
        var p = store(horizon, out, 8)
        p = store(UInt32(0), out, p)
        p = store(UInt64(bitPattern: eventTime), out, p)
        return store(sequence, out, p)
    }

    @inline(__always)
    private static func store<T: FixedWidthInteger>(_ v: T, _ out: UnsafeMutableRawBufferPointer, _ at: Int) -> Int {
        out.storeBytes(of: v.littleEndian, toByteOffset: at, as: T.self)
        return at + MemoryLayout<T>.size
    }

    @inline(__always)
    private static func copy(_ bytes: UnsafeRawBufferPointer, _ out: UnsafeMutableRawBufferPointer, _ at: Int) -> Int {
        if !bytes.isEmpty { UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + bytes.count)]).copyMemory(from: bytes) }
        return at + bytes.count
    }

    private static func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var text = text
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// A `size`-byte message written by `write`. A field the format cannot carry is a programming
    /// error of the caller (these builders serve publishers and tests with known-good values).
    private static func encoded(_ size: Int, _ kind: StaticString,
                                _ write: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        let n = out.withUnsafeMutableBytes { write($0) }
        precondition(n == size, "\(kind): a count above 255 or a negative horizon cannot be encoded")
        return out
    }
}
