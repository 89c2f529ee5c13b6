import Foundation
import TOMLKit

/// One shard's configuration file, as `stackd shard-plan` writes it.
package struct ShardConfiguration: Sendable {
    package var index: Int
    /// `shard-<index>.toml`.
    package var fileName: String
    /// The TOML text written to ``fileName``.
    package var text: String
    /// What `stackd run` will read from ``text`` (parsed without looking at the machine).
    package var configuration: DaemonConfiguration
    package var symbols: [String]
}

/// Turns a template configuration and a ``ShardPlan`` into K configurations.
///
/// For each shard: the template's placeholders are replaced (``ShardTemplate``), then the plan
/// sets `stream.symbols` (the shard's symbols: anything else that arrives is refused and counted),
/// `input.topics` (their `pred.<symbol>.`/`label.<symbol>.` prefixes) and, unless the template
/// sets it, `stream.max_symbols` (the shard's symbol count: the symbol table is preallocated per
/// symbol × horizon). The result must load like any configuration. Shards that would collide
/// are refused: equal `state.directory`, `record.directory`, bound input or output endpoint
/// (`tcp://` with a fixed port, `ipc://`), or metrics address (unless empty or port 0). Endpoints
/// shards *connect* to may be shared (e.g. the proxy's backend).
package enum ShardConfigurations {
    /// Keys the plan writes; a template that sets them is refused rather than silently overridden.
    static let plannedKeys = [("stream", "symbols"), ("input", "topics")]

    package static func render(plan: ShardPlan, template: String, templateSource: String) throws -> [ShardConfiguration] {
        var shards: [ShardConfiguration] = []
        for index in 0..<plan.shardCount {
            shards.append(try render(plan: plan, shard: index, template: template, templateSource: templateSource))
        }
        try checkDistinct(shards)
        return shards
    }

    static func render(plan: ShardPlan, shard index: Int, template: String, templateSource: String) throws -> ShardConfiguration {
        let text = try ShardTemplate.substitute(template, shard: index, source: templateSource)
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ShardPlanError("\(templateSource):\(error.source.begin.line): \(error.description)")
        } catch {
            throw ShardPlanError("\(templateSource): not a TOML document")
        }
        for (section, key) in plannedKeys where root[section]?.table?[key] != nil {
            throw ShardPlanError("\(templateSource): [\(section)] \(key) is written by the plan for each shard: remove it from the template")
        }
        let symbols = plan.symbols[index]
        let stream = section("stream", in: root)
        stream["symbols"] = TOMLArray(symbols)
        if stream["max_symbols"] == nil { stream["max_symbols"] = symbols.count }
        section("input", in: root)["topics"] = TOMLArray(plan.topicPrefixes(shard: index))

        let fileName = "shard-\(index).toml"
        let written = """
            # Shard \(index) of \(plan.shardCount): \(symbols.count) symbol(s), chosen by FNV-1a 64 of the symbol's
            # UTF-8 bytes modulo \(plan.shardCount). Written by `stackd shard-plan` from \(templateSource):
            # change the template and plan again rather than editing this file.

            \(root.convert(to: .toml))

            """
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.parse(written, source: fileName)
        } catch let error as ConfigurationFileError {
            throw ShardPlanError("the template gives shard \(index) a configuration that does not load:\n\(error.description)")
        }
        return ShardConfiguration(index: index, fileName: fileName, text: written, configuration: configuration, symbols: symbols)
    }

    /// The table `name` of `root`, created when absent (TOMLKit tables are references into the document).
    private static func section(_ name: String, in root: TOMLTable) -> TOMLTable {
        if let table = root[name]?.table { return table }
        root[name] = TOMLTable()
        return root[name]?.table ?? TOMLTable()
    }

    static func checkDistinct(_ shards: [ShardConfiguration]) throws {
        guard shards.count > 1 else { return }
        var owners: [String: [String: [Int]]] = [:]   // key → value → shards
        func note(_ key: String, _ value: String?, _ shard: Int) {
            guard let value else { return }
            owners[key, default: [:]][value, default: []].append(shard)
        }
        for shard in shards {
            let c = shard.configuration
            note("state.directory", c.stateDirectory, shard.index)
            note("record.directory", c.recordDirectory, shard.index)
            for endpoint in c.input.bind where isExclusive(endpoint) { note("input.bind", endpoint, shard.index) }
            for endpoint in c.output.bind where isExclusive(endpoint) { note("output.bind", endpoint, shard.index) }
            if !c.metricsAddress.isEmpty, !c.metricsAddress.hasSuffix(":0") { note("metrics.address", c.metricsAddress, shard.index) }
        }
        var problems: [String] = []
        for key in owners.keys.sorted() {
            for (value, indices) in (owners[key] ?? [:]).sorted(by: { $0.key < $1.key }) where indices.count > 1 {
                problems.append("\(key) \"\(value)\" is the same for shards \(indices.map(String.init).joined(separator: ", ")): "
                    + "put `{shard}` or `{shard+N}` in the template's value (e.g. \"/var/lib/stackd/shard-{shard}\", \"tcp://127.0.0.1:{shard+5600}\")")
            }
        }
        guard problems.isEmpty else { throw ShardPlanError(problems.joined(separator: "\n")) }
    }

    /// A bound endpoint two processes on one machine cannot share: `tcp://` with a fixed port and
    /// `ipc://`. An ephemeral port (`:*`, `:0`) and `inproc://` (private to a process) can repeat.
    static func isExclusive(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("inproc://") { return false }
        if endpoint.hasPrefix("tcp://") { return !(endpoint.hasSuffix(":*") || endpoint.hasSuffix(":0")) }
        return true
    }
}
