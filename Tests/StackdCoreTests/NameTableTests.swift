import XCTest
@testable import StackdCore

/// Names are matched on their first and last 8 bytes and length, and byte by byte beyond 16
/// bytes: names that agree on those words must still get distinct ids.
final class NameTableTests: XCTestCase {
    private func id(_ table: NameTable, _ name: String) -> Int? {
        var copy = name
        return copy.withUTF8 { table.id(of: UnsafeRawBufferPointer($0)) }
    }

    func testNamesThatShareTheirOuterWordsGetDistinctIds() {
        let names = [
            "A", "B", "AB", "BTCUSDT", "BTCUSDT1", "BTCUSDT2", "ETHUSDT",
            "AAAAAAAABBBBBBBB",                     // 16 bytes: the two words are the whole name
            "AAAAAAAACBBBBBBB",
            "AAAAAAAAxBBBBBBBB", "AAAAAAAAyBBBBBBBB", // 17 bytes: same first and last 8 bytes
            String(repeating: "z", count: 64), String(repeating: "z", count: 63) + "y",
        ]
        var table = NameTable(capacity: names.count)
        for (i, name) in names.enumerated() { XCTAssertEqual(table.insert(name), i, name) }
        for (i, name) in names.enumerated() {
            XCTAssertEqual(id(table, name), i, name)
            XCTAssertEqual(table.insert(name), i, "re-inserting \(name) returns its id")
        }
        XCTAssertEqual(table.names, names)
        for unknown in ["", "C", "BTCUSD", "BTCUSDT3", "AAAAAAAAzBBBBBBBB", "AAAAAAAABBBBBBBBB"] {
            XCTAssertNil(id(table, unknown), unknown)
        }
        XCTAssertNil(table.insert("one more"), "full")
        XCTAssertEqual(table.count, names.count)
    }

    func testNameValidityFollowsTheWireRule() {
        // wire.md: printable ASCII except `.`, `"` and `\`; 1…64 bytes.
        for b in 0...255 {
            let expected = b > 0x20 && b < 0x7F && b != 0x2E && b != 0x22 && b != 0x5C
            let valid = withUnsafeBytes(of: UInt8(b)) { isValidName($0) }
            XCTAssertEqual(valid, expected, "byte \(b)")
        }
        XCTAssertTrue(Array(repeating: UInt8(ascii: "a"), count: 64).withUnsafeBytes { isValidName($0) })
        XCTAssertFalse(Array(repeating: UInt8(ascii: "a"), count: 65).withUnsafeBytes { isValidName($0) })
        XCTAssertFalse([UInt8]().withUnsafeBytes { isValidName($0) })
    }
}
