@testable import StackdCore
import XCTest

/// The word-at-a-time name check and topic comparison against the grammar of `schemas/wire.md`
/// written out byte by byte: every byte value at every position of names of every length.
final class NameAndTopicCheckTests: XCTestCase {
    /// The rule as wire.md states it: 1–64 bytes of 0x21–0x7E other than `.`, `"` and `\`.
    func allowedByTheGrammar(_ b: UInt8) -> Bool {
        b >= 0x21 && b <= 0x7E && b != 0x2E && b != 0x22 && b != 0x5C
    }

    func check(_ name: [UInt8]) -> Bool { name.withUnsafeBytes { isValidName($0) } }

    func testEveryByteAtEveryPositionOfEveryLength() {
        for length in 1...WireFormat.maxNameLength {
            // A valid name that cycles through the allowed bytes, so every allowed value appears.
            let allowed = (0...255).map(UInt8.init).filter(allowedByTheGrammar)
            let base = (0..<length).map { allowed[$0 % allowed.count] }
            XCTAssertTrue(check(base), "valid name of length \(length)")
            for position in 0..<length {
                for value in 0...255 {
                    var name = base
                    name[position] = UInt8(value)
                    if check(name) != allowedByTheGrammar(UInt8(value)) {
                        XCTFail("length \(length), byte 0x\(String(value, radix: 16)) at \(position)")
                        return
                    }
                }
            }
        }
    }

    func testEmptyAndTooLongNamesAreRefused() {
        XCTAssertFalse(check([]))
        XCTAssertTrue(check(Array(repeating: UInt8(ascii: "A"), count: 64)))
        XCTAssertFalse(check(Array(repeating: UInt8(ascii: "A"), count: 65)))
    }

    /// A topic that differs from the payload's in any one byte of any segment is refused; the
    /// exact one is accepted. Symbols of 1–20 bytes cover the 8-byte words and their tails.
    func testTopicDifferingInAnyByteIsRefused() throws {
        for symbolLength in 1...20 {
            let symbol = String((0..<symbolLength).map { Character(UnicodeScalar(UInt8(ascii: "A") + UInt8($0 % 26))) })
            for model in ["x", "lgbm", "logistic", "gradient_boosting_v2"] {
                let payload = WireEncoder.binaryPrediction(model: model, symbol: symbol, horizon: 15, eventTime: 1, sequence: 1,
                                                           probabilities: [0.2, 0.3, 0.5])
                let probabilities = UnsafeMutableBufferPointer<Double>.allocate(capacity: WireFormat.maxClassCount)
                defer { probabilities.deallocate() }
                let fields = try payload.withUnsafeBytes { p -> [UInt8] in
                    guard case .prediction(let f) = try BinaryDecoder.decode(p, probabilities: probabilities) else {
                        XCTFail("not a prediction"); return []
                    }
                    let topic = Array(Topic.prediction(symbol: symbol, horizon: 15, model: model).utf8)
                    XCTAssertTrue(topic.withUnsafeBytes { Topic.matches($0, prediction: f) }, "\(symbol) \(model)")
                    for position in topic.indices {
                        var wrong = topic
                        wrong[position] ^= 0x01
                        XCTAssertFalse(wrong.withUnsafeBytes { Topic.matches($0, prediction: f) }, "byte \(position) of \(String(decoding: topic, as: UTF8.self))")
                    }
                    XCTAssertFalse(Array(topic.dropLast()).withUnsafeBytes { Topic.matches($0, prediction: f) })
                    XCTAssertFalse((topic + [UInt8(ascii: "x")]).withUnsafeBytes { Topic.matches($0, prediction: f) })
                    return topic
                }
                XCTAssertFalse(fields.isEmpty)
            }
        }
    }
}
