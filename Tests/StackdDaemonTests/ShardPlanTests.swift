import Foundation
import StackdDaemon
import XCTest

/// `stackd shard-plan`'s logic: the hash, the assignment, the topic prefixes, the template
/// placeholders, the refusals and the files. Expected shard indices were computed independently
/// with the Python function documented in `SymbolShardHash` (and schemas/shard-plan.md).
final class ShardPlanTests: XCTestCase {
    /// Six symbols whose FNV-1a 64 mod 3 is: GOOG, ABC → 0; AAPL, NQ → 1; MSFT, AB → 2.
    let symbols = ["AAPL", "MSFT", "GOOG", "ABC", "AB", "NQ"]

    let template = """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        connect = ["tcp://127.0.0.1:5556"]
        [output]
        bind = ["tcp://127.0.0.1:{shard+5600}"]
        [state]
        directory = "/var/lib/stackd/shard-{shard}"
        [record]
        directory = "/var/log/stackd/shard-{shard}"
        [metrics]
        address = "127.0.0.1:{shard+9464}"
        """

    func testFNV1a64MatchesThePublishedVectors() {
        XCTAssertEqual(SymbolShardHash.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(SymbolShardHash.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(SymbolShardHash.fnv1a64("foobar"), 0x8594_4171_f739_67e8)
        XCTAssertEqual(SymbolShardHash.fnv1a64("SPX"), 0x97fc_9519_fa5d_464a)
    }

    func testSymbolsGoToTheShardOfTheirHashInFileOrder() throws {
        let plan = try ShardPlan(symbols: symbols, shards: 3)
        XCTAssertEqual(plan.symbols, [["GOOG", "ABC"], ["AAPL", "NQ"], ["MSFT", "AB"]])
        XCTAssertEqual(plan.topicPrefixes(shard: 2), ["pred.MSFT.", "label.MSFT.", "pred.AB.", "label.AB."])
        let one = try ShardPlan(symbols: symbols, shards: 1)
        XCTAssertEqual(one.symbols, [symbols])
    }

    /// "AB" and "ABC" live on different shards: AB's prefixes must not select ABC's topics.
    func testEachPrefixSelectsExactlyItsOwnSymbolsTopics() throws {
        for owner in symbols {
            for other in symbols {
                let topics = ["pred.\(other).5.a", "pred.\(other).50.b", "label.\(other).5"]
                for topic in topics {
                    let selected = ShardPlan.topicPrefixes(symbol: owner).contains { topic.hasPrefix($0) }
                    XCTAssertEqual(selected, owner == other, "\(owner)'s prefixes vs \(topic)")
                }
            }
        }
    }

    func testRefusesBadShardCounts() {
        XCTAssertThrowsError(try ShardPlan(symbols: symbols, shards: 0)) { error in
            XCTAssertEqual((error as? ShardPlanError)?.message, "--shards must be at least 1, not 0")
        }
        XCTAssertThrowsError(try ShardPlan(symbols: symbols, shards: 7)) { error in
            XCTAssertTrue("\(error)".contains("more than the 6 symbols"), "\(error)")
        }
        // AB and MSFT both hash to 2 mod 3, so with 3 shards and these 3 symbols shard 1 stays empty.
        XCTAssertThrowsError(try ShardPlan(symbols: ["MSFT", "AB", "GOOG"], shards: 3)) { error in
            XCTAssertTrue("\(error)".contains("leaves shard(s) 1 without a symbol"), "\(error)")
        }
    }

    func testSymbolsFileSkipsCommentsAndRefusesEmptyDuplicateAndInvalid() throws {
        XCTAssertEqual(try SymbolList.parse("# list\nAAPL\n\n  MSFT \t\r\nGOOG", source: "s.txt"), ["AAPL", "MSFT", "GOOG"])
        XCTAssertThrowsError(try SymbolList.parse("\n# nothing\n", source: "s.txt")) { error in
            XCTAssertTrue("\(error)".hasPrefix("s.txt: no symbols"), "\(error)")
        }
        XCTAssertThrowsError(try SymbolList.parse("AAPL\nMSFT\nAAPL\n", source: "s.txt")) { error in
            XCTAssertEqual("\(error)", "s.txt:3: duplicate symbol \"AAPL\" (first on line 1)")
        }
        XCTAssertThrowsError(try SymbolList.parse("BRK.B\nok\nwith space\n", source: "s.txt")) { error in
            let lines = "\(error)".split(separator: "\n")
            XCTAssertEqual(lines.count, 2)
            XCTAssertTrue(lines[0].hasPrefix("s.txt:1: \"BRK.B\" is not a symbol name"), "\(error)")
            XCTAssertTrue(lines[1].hasPrefix("s.txt:3: \"with space\""), "\(error)")
        }
        XCTAssertFalse(SymbolList.isWireName(String(repeating: "x", count: 65)))
        XCTAssertTrue(SymbolList.isWireName(String(repeating: "x", count: 64)))
    }

    func testPlaceholdersAreReplacedAndUnknownOnesRefused() throws {
        XCTAssertEqual(try ShardTemplate.substitute("a-{shard}:{shard+5600} {x}", shard: 3, source: "t"), "a-3:5603 {x}")
        XCTAssertThrowsError(try ShardTemplate.substitute("ok\nport = {shard-1}", shard: 0, source: "t.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("t.toml:2: unknown placeholder `{shard-1}`"), "\(error)")
        }
        XCTAssertThrowsError(try ShardTemplate.substitute("x = \"{shard", shard: 0, source: "t.toml")) { error in
            XCTAssertTrue("\(error)".contains("unterminated"), "\(error)")
        }
    }

    func testEachShardConfigurationLoadsWithItsSymbolsTopicsAndOwnPlaces() throws {
        let plan = try ShardPlan(symbols: symbols, shards: 3)
        let shards = try ShardConfigurations.render(plan: plan, template: template, templateSource: "t.toml")
        XCTAssertEqual(shards.map(\.fileName), ["shard-0.toml", "shard-1.toml", "shard-2.toml"])
        for shard in shards {
            // What `stackd run` will read back from the written text.
            let c = try ConfigurationLoader.parse(shard.text, source: shard.fileName)
            XCTAssertEqual(c.pipeline.symbols, plan.symbols[shard.index])
            XCTAssertEqual(c.pipeline.maxSymbols, 2)
            XCTAssertEqual(c.input.topics, plan.topicPrefixes(shard: shard.index))
            XCTAssertEqual(c.input.connect, ["tcp://127.0.0.1:5556"])
            XCTAssertEqual(c.output.bind, ["tcp://127.0.0.1:\(5600 + shard.index)"])
            XCTAssertEqual(c.stateDirectory, "/var/lib/stackd/shard-\(shard.index)")
            XCTAssertEqual(c.recordDirectory, "/var/log/stackd/shard-\(shard.index)")
            XCTAssertEqual(c.metricsAddress, "127.0.0.1:\(9464 + shard.index)")
            XCTAssertEqual(c.pipeline.models, ["a", "b"])
            XCTAssertTrue(shard.text.hasPrefix("# Shard \(shard.index) of 3: 2 symbol(s)"))
        }
    }

    func testSharedDirectoriesEndpointsAndPlannedKeysAreRefused() throws {
        let plan = try ShardPlan(symbols: symbols, shards: 3)
        let shared = template.replacingOccurrences(of: "shard-{shard}\"\n[record]", with: "shared\"\n[record]")
            .replacingOccurrences(of: "{shard+5600}", with: "5600")
        XCTAssertThrowsError(try ShardConfigurations.render(plan: plan, template: shared, templateSource: "t.toml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("output.bind \"tcp://127.0.0.1:5600\" is the same for shards 0, 1, 2"), text)
            XCTAssertTrue(text.contains("state.directory \"/var/lib/stackd/shared\" is the same for shards 0, 1, 2"), text)
            XCTAssertFalse(text.contains("record.directory"), text)
        }
        // Ephemeral ports and one shared upstream endpoint are fine.
        let ephemeral = template.replacingOccurrences(of: "{shard+5600}", with: "*")
        XCTAssertNoThrow(try ShardConfigurations.render(plan: plan, template: ephemeral, templateSource: "t.toml"))

        let withTopics = template.replacingOccurrences(of: "[input]\n", with: "[input]\ntopics = [\"pred.\"]\n")
        XCTAssertThrowsError(try ShardConfigurations.render(plan: plan, template: withTopics, templateSource: "t.toml")) { error in
            XCTAssertEqual("\(error)", "t.toml: [input] topics is written by the plan for each shard: remove it from the template")
        }
        let broken = template.replacingOccurrences(of: "horizons = [5]", with: "horizons = [0]")
        XCTAssertThrowsError(try ShardConfigurations.render(plan: plan, template: broken, templateSource: "t.toml")) { error in
            XCTAssertTrue("\(error)".contains("shard 0 a configuration that does not load"), "\(error)")
            XCTAssertTrue("\(error)".contains("horizons"), "\(error)")
        }
    }

    func testFilesAreWrittenOnceAndReplacedOnlyWithForce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shard-plan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let three = try ShardConfigurations.render(plan: try ShardPlan(symbols: symbols, shards: 3), template: template, templateSource: "t")
        try ShardPlanOutput.write(three, to: dir, overwrite: false)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(),
                       ["plan.json", "shard-0.toml", "shard-1.toml", "shard-2.toml"])
        let manifest = try JSONDecoder().decode(ShardPlanManifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/plan.json")))
        XCTAssertEqual(manifest.version, 1)
        XCTAssertEqual(manifest.hash, "fnv1a64-utf8-mod-shards")
        XCTAssertEqual(manifest.shardCount, 3)
        XCTAssertEqual(manifest.shards.map(\.symbols), [["GOOG", "ABC"], ["AAPL", "NQ"], ["MSFT", "AB"]])
        XCTAssertEqual(manifest.shards[1].outputBind, ["tcp://127.0.0.1:5601"])
        XCTAssertEqual(manifest.shards[1].inputTopics, ["pred.AAPL.", "label.AAPL.", "pred.NQ.", "label.NQ."])

        let two = try ShardConfigurations.render(plan: try ShardPlan(symbols: symbols, shards: 2), template: template, templateSource: "t")
        XCTAssertThrowsError(try ShardPlanOutput.write(two, to: dir, overwrite: false)) { error in
            XCTAssertTrue("\(error)".contains("already holds a plan"), "\(error)")
        }
        try ShardPlanOutput.write(two, to: dir, overwrite: true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["plan.json", "shard-0.toml", "shard-1.toml"])
    }
}
