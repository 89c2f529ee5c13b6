import Foundation
import Logging
import StackdCore
@testable import StackdDaemon
import XCTest

/// The schema file and the README table are generated from the key table and must equal what
/// is committed; `STACKD_REGENERATE_CONFIG_REFERENCE=1` rewrites them instead of failing.
final class ConfigurationReferenceTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let regenerate = ProcessInfo.processInfo.environment["STACKD_REGENERATE_CONFIG_REFERENCE"] == "1"
    static let begin = "<!-- configuration-table:begin -->\n", end = "<!-- configuration-table:end -->"

    func testSchemaFileIsGeneratedFromTheKeyTable() throws {
        let url = Self.repository.appendingPathComponent("schemas/config.schema.json")
        let generated = ConfigurationReference.jsonSchema()
        if Self.regenerate { try generated.write(to: url, atomically: true, encoding: .utf8) }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), generated,
                       "schemas/config.schema.json differs from the key table: regenerate it (see README, Configuration reference)")
    }

    func testReadmeTableIsGeneratedFromTheKeyTable() throws {
        let url = Self.repository.appendingPathComponent("README.md")
        let readme = try String(contentsOf: url, encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: Self.begin)), stop = try XCTUnwrap(readme.range(of: Self.end))
        let generated = ConfigurationReference.markdownTable()
        if Self.regenerate {
            try (readme[..<start.upperBound] + generated + readme[stop.lowerBound...]).write(to: url, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(String(readme[start.upperBound..<stop.lowerBound]), generated,
                       "the README configuration table differs from the key table: regenerate it")
    }

    func testEveryKeyAppearsOnceAndTheTableIsComplete() {
        let paths = ConfigurationKeys.all.map(\.path)
        XCTAssertEqual(Set(paths).count, paths.count, "duplicate keys")
        XCTAssertEqual(paths.count, 62)
        // Written out by hand: the reload classes the daemon promises.
        XCTAssertEqual(ConfigurationKeys.all.filter { $0.reload == .live }.map(\.path), ["log.level", "log.rejects_per_second"])
        XCTAssertEqual(ConfigurationKeys.all.filter { $0.reload == .refused }.map(\.path),
                       ["models.names", "models.classes", "stream.horizons", "regimes.names", "state.directory"])
    }

    /// The table's defaults are the ones the configuration types carry on their own.
    func testTableDefaultsAreTheTypeDefaults() {
        let plain = DaemonConfiguration(pipeline: PipelineConfiguration(models: [], horizons: []))
        for key in ConfigurationKeys.all where !key.required {
            XCTAssertEqual(key.read(plain), key.defaultValue, key.path)
        }
    }
}
