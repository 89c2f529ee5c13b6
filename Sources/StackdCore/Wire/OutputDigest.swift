/// A running 64-bit digest of every ensemble output in its binary encoding, with the wall-clock
/// latency field zeroed: equal digests mean byte-identical outputs, which is how a live run and
/// its replay (or two replays) are compared.
///
/// Each output is folded in 8 bytes at a time (its length first, the last word zero-padded),
/// each step `x = (h ^ word) · C; h = x ^ (x >> 29)` with an odd `C`. Every step is a bijection
/// of the state for a given word, so an output that differs in any one word always changes the
/// digest. Word-wise because the digest runs on every output of a replay: the byte-wise FNV-1a
/// it replaced (report format 1) was a serial chain of ~100 multiplies per output, 3 % of a
/// replay's time.
public struct OutputDigest: Sendable, Equatable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public private(set) var count = 0

    public init() {}

    @inline(__always)
    private static func step(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let x = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
        return x ^ (x >> 29)
    }

    /// Folds `bytes` (one output's encoding) into the digest.
    public mutating func add(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        var h = Self.step(value, UInt64(n))
        var i = 0
        while i + 8 <= n {
            h = Self.step(h, UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            for j in i..<n { tail |= UInt64(bytes[j]) << UInt64(8 * (j - i)) }
            h = Self.step(h, tail)
        }
        value = h
        count += 1
    }

    /// Folds one output in, as its binary encoding without the optional contributions block
    /// (flags bit 1 clear): digests stay comparable whether or not `outputs.contributions` is on.
    public mutating func add(_ e: EnsembleEmission, scratch: UnsafeMutableRawBufferPointer) {
        let n = Self.digestedBytes(e, scratch: scratch)
        add(bytes: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
    }

    /// Writes what the digest folds for `e` to `scratch`: its binary encoding with a zero latency
    /// and without contributions. Returns the length.
    public static func digestedBytes(_ e: EnsembleEmission, scratch: UnsafeMutableRawBufferPointer) -> Int {
        var plain = e
        plain.contributions = nil
        return WireEncoder.writeBinaryEnsemble(plain, latencyNanoseconds: 0, into: scratch)
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
