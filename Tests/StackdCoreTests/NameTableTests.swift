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

/// The name check and the topic match against their definitions (wire.md), at every byte value
/// and position and for names shorter and longer than a machine word.
final class WireNameAndTopicRuleTests: XCTestCase {
    private func validByDefinition(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.count <= 64
            && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2E && $0 != 0x22 && $0 != 0x5C }
    }

    func testEveryByteAtEveryPositionOfNamesOfEveryWordShape() {
        for length in [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 63, 64] {
            let base = (0..<length).map { UInt8(ascii: "A") + UInt8($0 % 26) }
            XCTAssertTrue(base.withUnsafeBytes { isValidName($0) })
            for position in 0..<length {
                for b in 0...255 {
                    var name = base
                    name[position] = UInt8(b)
                    let got = name.withUnsafeBytes { isValidName($0) }
                    if got != validByDefinition(name) {
                        XCTFail("length \(length), byte \(b) at \(position): got \(got)")
                        return
                    }
                }
            }
        }
    }

    func testTopicsMatchOnlyTheirCanonicalForm() {
        func matches(_ topic: String, symbol: String, horizon: Int, model: String) -> Bool {
            var t = topic, s = symbol, m = model
            return t.withUTF8 { tb in s.withUTF8 { sb in m.withUTF8 { mb in
                Topic.matches(UnsafeRawBufferPointer(tb), prediction: PredictionFields(
                    model: UnsafeRawBufferPointer(mb), symbol: UnsafeRawBufferPointer(sb), horizon: horizon,
                    eventTime: 0, sequence: 0, classCount: 3))
            } } }
        }
        let symbol = "MSFT", longSymbol = "BRK-B.US.EQUITY".replacingOccurrences(of: ".", with: "_")
        XCTAssertTrue(matches("pred.MSFT.5.lgbm", symbol: symbol, horizon: 5, model: "lgbm"))
        XCTAssertTrue(matches("pred.MSFT.0.x", symbol: symbol, horizon: 0, model: "x"))
        XCTAssertTrue(matches("pred.\(longSymbol).120.transformer_v2", symbol: longSymbol, horizon: 120, model: "transformer_v2"))
        for wrong in ["pred.MSFT.05.lgbm", "pred.MSFT.50.lgbm", "pred.MSFT.6.lgbm", "pred.MSFT.5.lgbn", "pred.MSFT.5.lgbmx",
                      "pred.MSFU.5.lgbm", "pred.MSFT5.lgbm", "pred.MSFT.5lgbm", "prod.MSFT.5.lgbm", "label.MSFT.5",
                      "pred.MSFT.5.", "pred.MSFT.5.lgb", "", "pred.MSFT.+5.lgbm"] {
            XCTAssertFalse(matches(wrong, symbol: symbol, horizon: 5, model: "lgbm"), wrong)
        }
        XCTAssertFalse(matches("pred.MSFT.5.lgbm", symbol: symbol, horizon: -5, model: "lgbm"))
    }
}
