import StackdCore
@testable import StackdStorage
import XCTest

final class LZ4Tests: XCTestCase {
    func testRoundTrip() throws {
        let text = Array(String(repeating: "{\"p\":[0.25,0.5,0.25],\"model\":\"a\"}\n", count: 200).utf8)
        var compressed = [UInt8](repeating: 0, count: LZ4.compressBound(text.count))
        let size = try text.withUnsafeBytes { src in
            try compressed.withUnsafeMutableBytes { try LZ4.compress(src, into: $0) }
        }
        XCTAssertLessThan(size, text.count / 4)
        var restored = [UInt8](repeating: 0, count: text.count)
        let restoredSize = try compressed[..<size].withUnsafeBytes { src in
            try restored.withUnsafeMutableBytes { try LZ4.decompress(src, into: $0) }
        }
        XCTAssertEqual(restoredSize, text.count)
        XCTAssertEqual(restored, text)
    }

    func testEmptyInput() throws {
        var compressed = [UInt8](repeating: 0, count: LZ4.compressBound(0))
        let size = try [UInt8]().withUnsafeBytes { src in
            try compressed.withUnsafeMutableBytes { try LZ4.compress(src, into: $0) }
        }
        var restored = [UInt8](repeating: 0, count: 4)
        let restoredSize = try compressed[..<size].withUnsafeBytes { src in
            try restored.withUnsafeMutableBytes { try LZ4.decompress(src, into: $0) }
        }
        XCTAssertEqual(restoredSize, 0)
    }

    func testGarbageIsRefused() {
        // A literal-length token claiming far more bytes than follow.
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02, 0x03]
        var out = [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try garbage.withUnsafeBytes { src in
            try out.withUnsafeMutableBytes { try LZ4.decompress(src, into: $0) }
        }) { XCTAssertEqual($0 as? LZ4Error, .malformedInput) }
    }

    func testTooSmallDestinationIsRefused() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        var tiny = [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try data.withUnsafeBytes { src in
            try tiny.withUnsafeMutableBytes { try LZ4.compress(src, into: $0) }
        }) { XCTAssertEqual($0 as? LZ4Error, .destinationTooSmall) }
    }

    /// Every path — the CPU instruction (when present), slicing-by-8 and byte at a time — gives
    /// the same CRC over lengths and offsets that exercise each tail.
    func testCRC32CSlicingMatchesBytewise() {
        var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099] {
            let bytes = (0..<length).map { _ -> UInt8 in
                UInt8(truncatingIfNeeded: rng.next())
            }
            for start in 0..<min(3, length + 1) {
                let slice = Array(bytes[start...])
                let bytewise = slice.withUnsafeBytes { CRC32C.checksumBytewise($0) }
                XCTAssertEqual(CRC32C.checksum(slice), bytewise, "length \(slice.count)")
                XCTAssertEqual(slice.withUnsafeBytes { CRC32C.checksumTables($0) }, bytewise, "tables, length \(slice.count)")
            }
        }
    }

    func testCRC32CKnownVector() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32C.checksumTables($0) }, 0xE306_9283)
        #if arch(x86_64)
        // Every x86-64 machine this runs on since 2008 has SSE4.2; the hardware path must be the one tested.
        XCTAssertTrue(CRC32C.usesHardware)
        #endif
    }
}
