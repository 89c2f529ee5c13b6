import CLZ4

/// A failure reported by liblz4.
public enum LZ4Error: Error, Equatable, Sendable {
    /// The input exceeds `LZ4.maxInputSize`; liblz4 addresses buffers with `int`.
    case inputTooLarge(Int)
    /// Compression needs more room; size the destination with `LZ4.compressBound(_:)`.
    case destinationTooSmall
    /// The input is not a valid LZ4 block, or it expands beyond the destination. liblz4's
    /// `LZ4_decompress_safe` never reads or writes out of bounds, so this is safe to hit on
    /// untrusted bytes.
    case malformedInput
}

/// LZ4 *block* compression (not the frame format): the log stores its own lengths and
/// checksums, so the frame format's headers would only duplicate them.
///
/// Buffers are the caller's, so a writer can reuse one scratch buffer per flush instead of
/// allocating per block.
public enum LZ4 {
    /// The largest input liblz4 accepts (`LZ4_MAX_INPUT_SIZE`).
    public static let maxInputSize = 0x7E00_0000

    /// The destination size that guarantees `compress` succeeds for `count` input bytes.
    public static func compressBound(_ count: Int) -> Int {
        precondition(count >= 0 && count <= maxInputSize, "LZ4 input size out of range")
        return Int(LZ4_compressBound(Int32(count)))
    }

    /// Compresses `source` into `destination`, returning the number of bytes written.
    public static func compress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws(LZ4Error) -> Int {
        guard source.count <= maxInputSize else { throw .inputTooLarge(source.count) }
        let written = withCPointers(source, destination) { src, dst, dstCount in
            LZ4_compress_default(src, dst, Int32(source.count), dstCount)
        }
        guard written > 0 else { throw .destinationTooSmall }
        return Int(written)
    }

    /// Decompresses the LZ4 block `source` into `destination`, returning the decompressed size.
    public static func decompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws(LZ4Error) -> Int {
        guard source.count <= maxInputSize else { throw .inputTooLarge(source.count) }
        let written = withCPointers(source, destination) { src, dst, dstCount in
            LZ4_decompress_safe(src, dst, Int32(source.count), dstCount)
        }
        guard written >= 0 else { throw .malformedInput }
        return Int(written)
    }

    /// Empty Swift buffers may have a nil base address, which liblz4 must not receive; a
    /// one-byte stand-in is passed instead (with a zero length it is never dereferenced beyond
    /// what liblz4's bounds allow).
    private static func withCPointers(
        _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
        _ body: (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int32) -> Int32
    ) -> Int32 {
        var srcStandIn: CChar = 0
        var dstStandIn: CChar = 0
        let dstCount = Int32(min(destination.count, Int(Int32.max)))
        return withUnsafeMutablePointer(to: &srcStandIn) { srcFallback in
            withUnsafeMutablePointer(to: &dstStandIn) { dstFallback in
                let src = source.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
                    ?? UnsafePointer(srcFallback)
                let dst = destination.baseAddress?.assumingMemoryBound(to: CChar.self) ?? dstFallback
                return body(src, dst, destination.baseAddress == nil ? 0 : dstCount)
            }
        }
    }
}
