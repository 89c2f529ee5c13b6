import Foundation
import StackdCore
import StackdTestSupport
import XCTest

/// The daemon's answer to every conformance vector of `schemas/examples/conformance.json`, whose
/// quotes `tests/python/test_wire_contract.py` finds in `schemas/wire.md`: code and document
/// cannot disagree on a case without one of the two tests failing.
final class WireContractTests: XCTestCase {
    struct Case {
        var name: String
        var topic: String
        var payload: [UInt8]
        var outcome: String
    }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schemas/examples/conformance.json")

    func loadVectors() throws -> (PipelineConfiguration, [Case]) {
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.file)) as? [String: Any])
        let c = try XCTUnwrap(root["configuration"] as? [String: Any])
        var configuration = PipelineConfiguration(
            models: try XCTUnwrap(c["models"] as? [String]), horizons: try XCTUnwrap(c["horizons"] as? [Int]),
            symbols: try XCTUnwrap(c["symbols"] as? [String]), classCount: try XCTUnwrap(c["classes"] as? Int))
        configuration.regimeNames = c["regimes"] as? [String] ?? []
        var cases: [Case] = []
        for raw in try XCTUnwrap(root["cases"] as? [[String: Any]]) {
            let name = try XCTUnwrap(raw["name"] as? String)
            let payload: [UInt8]
            if let text = raw["payload_text"] as? String {
                payload = Array(text.utf8)
            } else {
                payload = try XCTUnwrap(Self.bytes(hex: try XCTUnwrap(raw["payload_hex"] as? String, name)), name)
            }
            cases.append(Case(name: name, topic: try XCTUnwrap(raw["topic"] as? String, name), payload: payload,
                              outcome: try XCTUnwrap(raw["outcome"] as? String, name)))
        }
        return (configuration, cases)
    }

    func testEveryConformanceVectorGetsItsDocumentedAnswer() throws {
        let (configuration, cases) = try loadVectors()
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for c in cases {
            let pipeline = try StackingPipeline(configuration: configuration)
            var handler = OutputRecorder()
            let answer: String
            switch pipeline.feed(c.payload, topic: c.topic, into: &handler) {
            case .prediction, .label, .regime: answer = "accepted"
            case .rejected(let r): answer = r.reason.rawValue
            }
            XCTAssertEqual(answer, c.outcome, c.name)
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let b = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
