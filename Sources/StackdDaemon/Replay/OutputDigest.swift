import StackdCore

/// A running 64-bit FNV-1a digest of every ensemble output in its binary encoding, with the
/// wall-clock latency field zeroed: equal digests mean byte-identical outputs, which is how a
/// live run and its replay (or two replays) are compared.
public struct OutputDigest: Sendable, Equatable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public private(set) var count = 0

    public init() {}

    public mutating func add(_ e: EnsembleEmission, scratch: UnsafeMutableRawBufferPointer) {
        let n = WireEncoder.writeBinaryEnsemble(e, latencyNanoseconds: 0, into: scratch)
        for i in 0..<n { value = (value ^ UInt64(scratch[i])) &* 0x0000_0100_0000_01b3 }
        count += 1
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
