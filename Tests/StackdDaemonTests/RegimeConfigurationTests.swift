import Foundation
import StackdCore
@testable import StackdDaemon
import XCTest

/// `[regimes] names`: the regime values a deployment receives, checked at load like every key.
final class RegimeConfigurationTests: XCTestCase {
    func text(regimes: String, topics: String? = nil) -> String {
        """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        bind = ["ipc:///tmp/stackd-regime-config-in.sock"]
        \(topics.map { "topics = \($0)" } ?? "")
        [output]
        bind = ["ipc:///tmp/stackd-regime-config-out.sock"]
        [regimes]
        names = \(regimes)
        """
    }

    func problems(_ text: String) -> [String] {
        do { _ = try ConfigurationLoader.parse(text, source: "t.toml"); return [] } catch {
            return (error as? ConfigurationFileError)?.problems ?? ["\(error)"]
        }
    }

    func testRegimesNamesBecomeTheLayoutsRegimeColumns() throws {
        let config = try ConfigurationLoader.parse(text(regimes: #"["vol_regime", "trend_regime"]"#,
                                                        topics: #"["pred.", "label.", "regime."]"#), source: "t.toml")
        XCTAssertEqual(config.pipeline.regimeNames, ["vol_regime", "trend_regime"], "wire order, not sorted")
        let pipeline = try StackingPipeline(configuration: config.pipeline)
        XCTAssertEqual(pipeline.layout.names.suffix(2), ["vol_regime", "trend_regime"])
        XCTAssertEqual(pipeline.layout.count, 2 * 3 + 4 * 2 + 5 + 2)
        // Without the key: no regimes, the layout is unchanged.
        let plain = try ConfigurationLoader.parse(text(regimes: "[]"), source: "t.toml")
        XCTAssertEqual(plain.pipeline.regimeNames, [])
    }

    func testRegimesAddTheRegimeSubscriptionUnlessATopicCoversIt() throws {
        func subscriptions(_ regimes: String, _ topics: String?) throws -> [String] {
            try ConfigurationLoader.parse(text(regimes: regimes, topics: topics), source: "t.toml").inputSubscriptions
        }
        XCTAssertEqual(try subscriptions(#"["vol_regime"]"#, nil), ["pred.", "label.", "regime."])
        XCTAssertEqual(try subscriptions("[]", nil), ["pred.", "label."], "no regimes, no regime subscription")
        XCTAssertEqual(try subscriptions(#"["vol_regime"]"#, #"[""]"#), [""], "the empty prefix covers everything")
        XCTAssertEqual(try subscriptions(#"["vol_regime"]"#, #"["pred.", "regime.SPX"]"#), ["pred.", "regime.SPX"],
                       "an operator's narrower regime prefix is kept as is")
        XCTAssertEqual(try subscriptions(#"["vol_regime"]"#, #"["pred.", "label.", "regime."]"#), ["pred.", "label.", "regime."])
    }

    func testBadRegimeNamesAreRefusedWithTheirKey() {
        let dotted = problems(text(regimes: #"["vol.regime"]"#, topics: #"["regime."]"#))
        XCTAssertEqual(dotted.count, 1, "\(dotted)")
        XCTAssertTrue(dotted.first?.hasPrefix("t.toml:11: regimes.names") ?? false, "\(dotted)")
        let duplicate = problems(text(regimes: #"["vol", "vol"]"#, topics: #"["regime."]"#))
        XCTAssertTrue(duplicate.contains { $0.contains("regime names must be unique") }, "\(duplicate)")
        let many = (0..<17).map { "\"r\($0)\"" }.joined(separator: ", ")
        let tooMany = problems(text(regimes: "[\(many)]", topics: #"["regime."]"#))
        XCTAssertTrue(tooMany.contains { $0.contains("at most 16 regimes") }, "\(tooMany)")
    }
}
