import StackdCore
@testable import StackdStorage
import XCTest

/// The writer's in-place block encoding (reused scratch, no allocation per flush) produces
/// exactly the bytes of the array encoder that compaction uses and readers were tested against.
final class BlockEncodingTests: XCTestCase {
    func pending(records: Int, compressible: Bool) -> PendingBlock {
        var p = PendingBlock()
        var rng = SplitMix64(seed: 0x5EED_0012)
        for i in 0..<records {
            let payload: [UInt8] = (0..<(40 + i % 50)).map { j in
                if compressible { return UInt8(j % 4) }
                return UInt8(truncatingIfNeeded: rng.next())
            }
            payload.withUnsafeBytes { p.add(sequence: UInt64(100 + i), timestamp: Int64(1_000 * i - 500), payload: $0) }
        }
        return p
    }

    func testInPlaceEncodingEqualsTheArrayEncoding() throws {
        var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        defer { scratch.deallocate() }
        for (records, compressible, compress) in [(1, true, true), (1, false, true), (300, true, true), (300, false, true),
                                                  (7, true, false), (2_000, true, true), (3, false, false)] {
            let p = pending(records: records, compressible: compressible)
            let expected = try BlockCodec.encode(p, compress: compress)
            let (header, count) = try BlockCodec.encode(p, compress: compress, into: &scratch)
            XCTAssertEqual(header, expected.header, "\(records) \(compressible) \(compress)")
            XCTAssertEqual(Array(UnsafeRawBufferPointer(rebasing: scratch[0..<count])), expected.bytes,
                           "\(records) records, compressible \(compressible), compress \(compress)")
            if !compress { XCTAssertEqual(header.codec, .raw) }
            if compress && compressible { XCTAssertEqual(header.codec, .lz4) }
            XCTAssertNotNil(BlockHeader.decode(Array(expected.bytes.prefix(BlockHeader.size))))
        }
    }
}
