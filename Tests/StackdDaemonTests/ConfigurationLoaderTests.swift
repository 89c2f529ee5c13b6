import Foundation
import StackdDaemon
import XCTest

final class ConfigurationLoaderTests: XCTestCase {
    func testEmbeddedDemoConfigurationEqualsTheShippedExample() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/stackd.toml")
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), EmbeddedConfiguration.demo)
        let c = try ConfigurationLoader.parse(EmbeddedConfiguration.demo, source: "demo")
        XCTAssertEqual(c.pipeline.models, ["lgbm", "logreg", "mlp", "xgb"])
        XCTAssertEqual(c.pipeline.horizons, [5, 10, 15, 20])
        XCTAssertEqual(c.pipeline.deadlineNanoseconds, 50_000_000)
        XCTAssertEqual(c.pipeline.minModels, 2)
        XCTAssertEqual(c.output.encoding, .json)
    }

    func testEveryErrorIsReportedWithItsLineAndKey() {
        let text = """
            [models]
            names = ["a", "b"]
            classes = 40

            [stream]
            horizons = [5, 5]

            [input]
            bind = ["tcp://127.0.0.1:1"]
            topcs = ["pred."]

            [output]
            bind = ["udp://x"]
            encoding = "xml"

            [assembly]
            deadline_ms = "soon"

            [extras]
            """
        XCTAssertThrowsError(try ConfigurationLoader.parse(text, source: "bad.toml")) { error in
            let problems = (error as! ConfigurationFileError).problems
            let expected = [
                "bad.toml:19: extras: unknown section [extras]",
                "bad.toml:10: input.topcs: unknown key",
                "bad.toml:3: models.classes: must be in 2...16, not 40",
                "bad.toml:17: assembly.deadline_ms: must be a number",
                "bad.toml:14: output.encoding: must be one of \"binary\", \"json\", not \"xml\"",
                "bad.toml:13: output.bind: endpoint \"udp://x\" must start with tcp://, ipc:// or inproc://",
                "bad.toml:6: stream.horizons: horizons must be unique",
            ]
            for e in expected {
                XCTAssertTrue(problems.contains { $0.hasPrefix(e) }, "missing \(e) in \(problems)")
            }
            XCTAssertEqual(problems.count, expected.count, "\(problems)")
        }
    }

    func testDottedQuotedAndArrayHeadersAreLocated() {
        for (text, expected) in [("x = 1\n[mo.els]\nnames = [\"a\"]\n", "h.toml:2: mo: unknown section [mo]"),
                                 ("x = 1\n[\"lear\"]\n", "h.toml:2: lear: unknown section [lear]"),
                                 ("x = 1\n[[models]]\n", "h.toml:2: models: [models] must be a table"),
                                 ("\nstray = 1\n", "h.toml:2: stray: a key outside any [section]")] {
            XCTAssertThrowsError(try ConfigurationLoader.parse(text, source: "h.toml")) { error in
                let problems = (error as? ConfigurationFileError)?.problems ?? []
                XCTAssertTrue(problems.contains { $0.hasPrefix(expected) }, "\(expected) not in \(problems)")
            }
        }
    }

    func testSyntaxErrorNamesTheLine() {
        XCTAssertThrowsError(try ConfigurationLoader.parse("[models]\nnames = [\"a\"\n\n", source: "x.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.toml:"), "\(error)")
        }
    }

    func testMissingRequiredKeysAreNamed() {
        XCTAssertThrowsError(try ConfigurationLoader.parse("[input]\nbind = [\"tcp://127.0.0.1:1\"]\n[output]\nbind = [\"tcp://127.0.0.1:2\"]\n", source: "m.toml")) { error in
            let problems = (error as! ConfigurationFileError).problems
            XCTAssertTrue(problems.contains("m.toml: models.names: is required"), "\(problems)")
            XCTAssertTrue(problems.contains("m.toml: stream.horizons: is required"), "\(problems)")
        }
    }

    func testRecordCompressionIsOnByDefaultAndCanBeTurnedOff() throws {
        let base = """
            [models]
            names = ["a", "b"]
            [stream]
            horizons = [5]
            [input]
            bind = ["tcp://127.0.0.1:1"]
            [output]
            bind = ["tcp://127.0.0.1:2"]
            [record]
            directory = "/tmp/j"

            """
        XCTAssertTrue(try ConfigurationLoader.parse(base, source: "r.toml").recordCompress)
        XCTAssertFalse(try ConfigurationLoader.parse(base + "compress = false\n", source: "r.toml").recordCompress)
        XCTAssertThrowsError(try ConfigurationLoader.parse(base + "compress = \"no\"\n", source: "r.toml")) { error in
            let problems = (error as! ConfigurationFileError).problems
            XCTAssertTrue(problems.contains { $0.hasPrefix("r.toml:11: record.compress: must be true or false") }, "\(problems)")
        }
    }
}
