import ArgumentParser
import Foundation
import StackdDaemon

struct ShardPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard-plan",
        abstract: "Split the symbols over K daemons: write shard-0.toml … shard-<K-1>.toml and plan.json.",
        discussion: """
            A symbol goes to shard FNV-1a-64(UTF-8 bytes) mod K. Each shard's configuration is the \
            template with {shard} replaced by its index and {shard+N} by N plus it (use them in \
            state.directory, record.directory, output.bind, metrics.address), plus stream.symbols \
            and input.topics (pred.<symbol>. and label.<symbol>. for each of its symbols, so the \
            publishers filter by symbol). plan.json lists each shard's symbols and output endpoints \
            (schemas/shard-plan.md). Refused: an empty or invalid symbols file, duplicate symbols, \
            K < 1, K > symbols, a shard the hash leaves empty, shards sharing a directory, bound \
            endpoint or metrics address.
            """)

    @Option(help: "File with one symbol per line (blank lines and # comments skipped).")
    var symbols: String

    @Option(help: "Number of shards K.")
    var shards: Int

    @Option(help: "Template configuration (a stackd TOML file with {shard} placeholders).")
    var template: String

    @Option(help: "Directory to write the plan into (created if absent).")
    var out: String

    @Flag(help: "Replace an earlier plan in --out.")
    var force = false

    func run() throws {
        do {
            let list = try SymbolList.parse(try read(symbols, what: "--symbols"), source: symbols)
            let plan = try ShardPlan(symbols: list, shards: shards)
            let configurations = try ShardConfigurations.render(plan: plan, template: try read(template, what: "--template"),
                                                                templateSource: template)
            try ShardPlanOutput.write(configurations, to: out, overwrite: force)
            for shard in configurations {
                let outputs = (shard.configuration.output.bind + shard.configuration.output.connect.map { ">" + $0 })
                print("\(out)/\(shard.fileName): \(shard.symbols.count) symbols, output \(outputs.joined(separator: ","))")
            }
            print("\(out)/\(ShardPlanOutput.manifestName): \(list.count) symbols over \(plan.shardCount) shards")
        } catch let error as ShardPlanError {
            FileHandle.standardError.write(Data("stackd shard-plan: \(error.message)\n".utf8))
            throw ExitCode(78)
        }
    }

    private func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShardPlanError("\(what) \(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ShardPlanError("\(what) \(path): not UTF-8 text") }
        return text
    }
}
