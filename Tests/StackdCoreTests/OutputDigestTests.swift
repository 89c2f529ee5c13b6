import StackdCore
import XCTest

/// The digest's values are fixed by its definition (schemas/backtest.schema.json): the expected
/// numbers were computed independently with Python integers from that definition.
final class OutputDigestTests: XCTestCase {
    private func digest(_ outputs: [[UInt8]]) -> OutputDigest {
        var d = OutputDigest()
        for o in outputs { o.withUnsafeBytes { d.add(bytes: $0) } }
        return d
    }

    func testValuesMatchTheDefinition() {
        // One 11-byte output (a full word and a zero-padded tail), then an empty one.
        XCTAssertEqual(digest([Array(1...11)]).value, 0xfbc3_224a_d64e_69f1)
        XCTAssertEqual(digest([Array(1...11), []]).description, "a515615696c26658")
        XCTAssertEqual(digest([]).description, "cbf29ce484222325")
    }

    func testAnyChangedByteOrBoundaryChangesTheDigest() {
        let base: [UInt8] = Array(0..<40)
        let reference = digest([base]).value
        for i in base.indices {
            var changed = base
            changed[i] ^= 0x80
            XCTAssertNotEqual(digest([changed]).value, reference, "byte \(i)")
        }
        // Same bytes, split differently into outputs, or a trailing zero byte: different digests.
        XCTAssertNotEqual(digest([Array(base[0..<8]), Array(base[8...])]).value, reference)
        XCTAssertNotEqual(digest([base + [0]]).value, reference)
        XCTAssertEqual(digest([base, base]).count, 2)
    }
}
