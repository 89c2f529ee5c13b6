/// The byte layout of one labelled out-of-sample row in the durable window
/// (`schemas/window-row.md`, version 1): what a restart restores.
///
/// Little-endian: u8 version (1), u8 K, u8 M, u8 symbol length, u32 horizon, i64 event time,
/// i64 exit time, u32 model version, u16 feature count F, u8 label, u8 reserved, f64 forward
/// return, then M·K f64 base probabilities, F f64 features, K f64 ensemble, symbol bytes.
public enum LabeledRowCodec {
    public static let version: UInt8 = 1
    public static let headerSize = 40

    public static func size(modelCount m: Int, classCount k: Int, featureCount f: Int, symbolLength: Int) -> Int {
        headerSize + 8 * (m * k + f + k) + symbolLength
    }

    /// Writes `row` into `out` (at least `size(...)` bytes) and returns the length.
    public static func encode(_ row: LabeledRow, modelCount m: Int, classCount k: Int,
                              into out: UnsafeMutableRawBufferPointer) -> Int {
        let f = row.features.count
        out[0] = version
        out[1] = UInt8(k)
        out[2] = UInt8(m)
        out[3] = UInt8(row.symbol.count)
        out.storeBytes(of: UInt32(row.horizon).littleEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: row.eventTime.littleEndian, toByteOffset: 8, as: Int64.self)
        out.storeBytes(of: row.exitTime.littleEndian, toByteOffset: 16, as: Int64.self)
        out.storeBytes(of: row.modelVersion.littleEndian, toByteOffset: 24, as: UInt32.self)
        out.storeBytes(of: UInt16(f).littleEndian, toByteOffset: 28, as: UInt16.self)
        out[30] = row.label < 0 ? 255 : UInt8(row.label)   // 255: not labelled yet (awaiting rows)
        out[31] = 0
        out.storeBytes(of: row.forwardReturn.bitPattern.littleEndian, toByteOffset: 32, as: UInt64.self)
        var o = headerSize
        for v in row.basePredictions { out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt64.self); o += 8 }
        for v in row.features { out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt64.self); o += 8 }
        for v in row.ensemble { out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt64.self); o += 8 }
        for b in row.symbol { out[o] = b; o += 1 }
        return o
    }

    /// A decoded row (owned values: restoring is a cold path).
    public struct Decoded: Sendable, Equatable {
        public var horizon: Int
        public var symbol: String
        public var eventTime: Int64
        public var exitTime: Int64
        public var label: Int
        public var forwardReturn: Double
        public var modelVersion: UInt32
        public var basePredictions: [Double]
        public var features: [Double]
        public var ensemble: [Double]
    }

    public enum DecodeError: Error, Equatable { case truncated, unsupportedVersion(UInt8), shapeMismatch }

    public static func decode(_ p: UnsafeRawBufferPointer, modelCount m: Int, classCount k: Int) throws(DecodeError) -> Decoded {
        guard p.count >= headerSize else { throw .truncated }
        guard p[0] == version else { throw .unsupportedVersion(p[0]) }
        guard Int(p[1]) == k, Int(p[2]) == m else { throw .shapeMismatch }
        let f = Int(p.readLE(28, as: UInt16.self))
        let symbolLength = Int(p[3])
        guard p.count == size(modelCount: m, classCount: k, featureCount: f, symbolLength: symbolLength) else { throw .truncated }
        var o = headerSize
        func doubles(_ n: Int) -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(p.readDoubleLE(o)); o += 8 }
            return out
        }
        let base = doubles(m * k), features = doubles(f), ensemble = doubles(k)
        return Decoded(
            horizon: Int(p.readLE(4, as: UInt32.self)),
            symbol: String(decoding: UnsafeRawBufferPointer(rebasing: p[o ..< o + symbolLength]), as: UTF8.self),
            eventTime: p.readLE(8, as: Int64.self), exitTime: p.readLE(16, as: Int64.self), label: p[30] == 255 ? -1 : Int(p[30]),
            forwardReturn: p.readDoubleLE(32), modelVersion: p.readLE(24, as: UInt32.self),
            basePredictions: base, features: features, ensemble: ensemble)
    }
}
