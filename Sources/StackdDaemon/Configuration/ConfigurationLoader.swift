import Foundation
import Logging
import StackdCore
import TOMLKit

/// A configuration that cannot be used; every problem names its file, line and key.
package struct ConfigurationFileError: Error, CustomStringConvertible, Sendable {
    package var problems: [String]
    package var description: String { problems.joined(separator: "\n") }
}

/// Reads the TOML configuration strictly: unknown sections or keys, wrong types and values
/// out of range are all refused at start, each with the line that is wrong, because a typo
/// that silently falls back to a default is worse than a daemon that does not start.
/// The keys themselves are described once, in ``ConfigurationKeys``.
public enum ConfigurationLoader {
    /// Reads `path`, applies the environment overrides (``environmentKeys``) on top, then, with
    /// `checkHost`, checks what the daemon will need from this machine without touching it
    /// (``ConfigurationHostCheck``): what `stackd run` and `stackd check-config` do before binding.
    package static func load(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            checkHost: Bool = true) throws -> DaemonConfiguration {
        let text = try ConfigurationText.read(path: path)
        let lines = LineIndex(text)
        var config = try parse(text, source: path)
        try applyEnvironment(environment, to: &config)
        if checkHost {
            let problems = ConfigurationHostCheck.problems(config) { section, key in locate(lines, path, section, key) }
            guard problems.isEmpty else { throw ConfigurationFileError(problems: problems) }
        }
        return config
    }

    /// Environment variables that override a key of the file (applied after it, so a unit's
    /// `Environment=` or a drop-in can change them without editing the file).
    static let environmentKeys: [(variable: String, key: String)] = [
        ("STACKD_STATE_DIRECTORY", "state.directory"),
        ("STACKD_METRICS_ADDRESS", "metrics.address"),
        ("STACKD_LOG_LEVEL", "log.level"),
    ]

    /// Applies the overrides present in `environment`; an invalid value is refused like a bad
    /// key in the file, naming the variable.
    package static func applyEnvironment(_ environment: [String: String], to config: inout DaemonConfiguration) throws {
        var problems: [String] = []
        if let dir = environment["STACKD_STATE_DIRECTORY"] {
            config.stateDirectory = dir.isEmpty ? nil : dir
        }
        if let address = environment["STACKD_METRICS_ADDRESS"] {
            if address.isEmpty || MetricsAddress(address) != nil { config.metricsAddress = address }
            else { problems.append("environment STACKD_METRICS_ADDRESS: \(MetricsAddress.formatHelp), not \"\(address)\"") }
        }
        if let level = environment["STACKD_LOG_LEVEL"] {
            if let parsed = Logger.Level(rawValue: level) { config.logLevel = parsed }
            else { problems.append("environment STACKD_LOG_LEVEL: must be \(alternatives(Logger.Level.allCases.map(\.rawValue))), not \"\(level)\"") }
        }
        guard problems.isEmpty else { throw ConfigurationFileError(problems: problems) }
    }

    /// Parses and checks `text` without looking at the machine (no filesystem, no network).
    public static func parse(_ text: String, source: String) throws -> DaemonConfiguration {
        if let (line, message) = TOMLPrecheck.firstProblem(text) {
            throw ConfigurationFileError(problems: ["\(source):\(line): \(message)"])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationFileError(problems: ["\(source):\(error.source.begin.line): \(error.description)"])
        } catch {
            throw ConfigurationFileError(problems: ["\(source): not a TOML document"])
        }
        var reader = Reader(root: root, lines: LineIndex(text), source: source)
        let sections = ConfigurationKeys.sections
        let known = Dictionary(uniqueKeysWithValues: sections.map { ($0.name, Set($0.keys.map(\.name))) })
        for section in root.keys.sorted() {
            guard root[section]?.table != nil || known[section] == nil else {
                reader.problem(section, nil, "[\(section)] must be a table")
                continue
            }
            guard root[section]?.table != nil else {
                reader.problem(section, nil, root[section]?.array?.first?.table != nil
                    ? "[[\(section)]] (an array of tables) is not used: write [\(section)]"
                    : "a key outside any [section] (known sections: \(known.keys.sorted().joined(separator: ", ")))")
                continue
            }
            guard let keys = known[section] else {
                reader.problem(section, nil, "unknown section [\(section)] (known: \(known.keys.sorted().joined(separator: ", ")))")
                continue
            }
            guard let table = root[section]?.table else { continue }
            for key in table.keys.sorted() where !keys.contains(key) {
                reader.problem(section, key, "unknown key (known in [\(section)]: \(keys.sorted().joined(separator: ", ")))")
            }
        }

        var config = DaemonConfiguration(pipeline: PipelineConfiguration(models: [], horizons: []))
        for key in ConfigurationKeys.all {
            guard let raw = root[key.section]?.table?[key.name] else {
                if key.required { reader.problem(key.section, key.name, "is required") }
                else if let value = key.defaultValue { key.apply(&config, value) }
                continue
            }
            guard let value = reader.check(raw, key) else { continue }
            if let why = key.validate(value) { reader.problem(key.section, key.name, why); continue }
            key.apply(&config, value)
        }
        config.pipeline.maxSymbols = max(config.pipeline.maxSymbols, config.pipeline.symbols.count)

        if config.learner.features == .all && config.pipeline.skillWindow == 0 {
            reader.problem("learner", "features", "\"all\" adds the recent-skill features: set features.skill_window too")
        }
        let security = config.security
        if security.curve {
            if security.secretKeyFile == nil { reader.problem("security", "secret_key_file", "is required with security.curve = true") }
            if security.clientKeysDirectory == nil { reader.problem("security", "client_keys_directory", "is required with security.curve = true") }
            // A connecting CURVE socket would need each peer's server key: stackd binds, peers connect.
            if !config.input.connect.isEmpty { reader.problem("input", "connect", "is not possible with security.curve = true: bind, and let publishers connect") }
            if !config.output.connect.isEmpty { reader.problem("output", "connect", "is not possible with security.curve = true: bind, and let consumers connect") }
        }
        for why in ShardedIngestRestrictions.problems(config) { reader.problem("ingest", "shards", why) }
        if config.input.connect.isEmpty && config.input.bind.isEmpty && !reader.failed("input", "connect") && !reader.failed("input", "bind") {
            reader.problem("input", nil, "needs at least one endpoint in connect or bind")
        }
        if config.output.connect.isEmpty && config.output.bind.isEmpty && !reader.failed("output", "connect") && !reader.failed("output", "bind") {
            reader.problem("output", nil, "needs at least one endpoint in connect or bind")
        }
        for (section, key, endpoints) in endpointKeys(config) {
            for text in endpoints {
                switch ZMQEndpoint.parse(text) {
                case .failure(let error): reader.problem(section, key, error.message)
                case .success(let endpoint):
                    if !endpoint.isLocal && !security.curve && !security.allowPlaintextRemote {
                        reader.problem(section, key, "endpoint \"\(text)\" reaches beyond this machine in plaintext: set security.curve = true, or security.allow_plaintext_remote = true to accept it")
                    }
                }
            }
        }
        // Semantic checks of the pipeline, attributed to the key most likely at fault; a key
        // already refused above is not blamed twice.
        for p in config.pipeline.problems() {
            let key: (String, String) =
                p.contains("regime") ? ("regimes", "names")
                : p.contains("model") && !p.contains("min_models") ? ("models", "names")
                : p.contains("horizon") ? ("stream", "horizons")
                : p.contains("symbol") ? ("stream", "symbols")
                : p.contains("min_models") ? ("assembly", "min_models")
                : ("models", "classes")
            if !reader.failed(key.0, key.1) { reader.problem(key.0, key.1, p) }
        }
        if reader.problems.isEmpty {
            let estimate = PreallocationEstimate(config)
            if estimate.totalBytes > Double(config.maxPreallocatedMegabytes) * 1_048_576 {
                let largest = estimate.parts.max { $0.bytes < $1.bytes }
                let (section, key) = largest.map { split($0.key) } ?? ("memory", "max_preallocated_mb")
                reader.problem(section, key, "the configuration would preallocate \(estimate.describe()), over memory.max_preallocated_mb = \(config.maxPreallocatedMegabytes)")
            }
        }
        guard reader.problems.isEmpty else { throw ConfigurationFileError(problems: reader.problems) }
        return config
    }

    /// Every endpoint key with its endpoints.
    static func endpointKeys(_ config: DaemonConfiguration) -> [(String, String, [String])] {
        [("input", "connect", config.input.connect), ("input", "bind", config.input.bind),
         ("output", "connect", config.output.connect), ("output", "bind", config.output.bind)]
    }

    static func split(_ path: String) -> (String, String) {
        guard let dot = path.firstIndex(of: ".") else { return (path, "") }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    /// `one of "a", "b", "c"`.
    static func alternatives(_ words: [String]) -> String {
        "one of " + words.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// `FILE:LINE: section.key: ` for a problem found after parsing.
    static func locate(_ lines: LineIndex, _ source: String, _ section: String?, _ key: String?) -> String {
        let line = lines.line(section: section, key: key)
        let location = line.map { "\(source):\($0)" } ?? source
        let name = [section, key].compactMap { $0 }.joined(separator: ".")
        return name.isEmpty ? "\(location): " : "\(location): \(name): "
    }

    /// Typed access that records a located problem instead of throwing at the first one.
    struct Reader {
        let root: TOMLTable
        let lines: LineIndex
        let source: String
        var problems: [String] = []
        private var failedKeys: Set<String> = []

        init(root: TOMLTable, lines: LineIndex, source: String) {
            self.root = root
            self.lines = lines
            self.source = source
        }

        mutating func problem(_ section: String?, _ key: String?, _ message: String) {
            if let section, let key { failedKeys.insert("\(section).\(key)") }
            problems.append(ConfigurationLoader.locate(lines, source, section, key) + message)
        }

        func failed(_ section: String, _ key: String) -> Bool { failedKeys.contains("\(section).\(key)") }

        /// The value of `raw` in the file's terms if it has the key's type and range.
        mutating func check(_ raw: TOMLValueConvertible, _ key: ConfigurationKey) -> ConfigurationValue? {
            let s = key.section, k = key.name
            switch key.type {
            case .integer(let range):
                guard let i = raw.int else { problem(s, k, "must be an integer"); return nil }
                guard range.contains(i) else { problem(s, k, "must be in \(range.lowerBound)...\(range.upperBound), not \(i)"); return nil }
                return .integer(i)
            case .number(let range):
                guard let d = number(raw) else { problem(s, k, "must be a number"); return nil }
                guard range.contains(d) else { problem(s, k, "must be in \(show(range.lowerBound))...\(show(range.upperBound)), not \(show(d))"); return nil }
                return .number(d)
            case .duration(let range, let unit):
                guard let d = number(raw) else { problem(s, k, "must be a number of \(unit.rawValue)"); return nil }
                guard range.contains(d) else {
                    problem(s, k, "must be in \(show(range.lowerBound))...\(show(range.upperBound)) \(unit.rawValue), not \(show(d))")
                    return nil
                }
                guard DurationConversion.nanoseconds(d, unit) != nil else {
                    problem(s, k, "\(show(d)) \(unit.rawValue) does not fit in 64-bit nanoseconds")
                    return nil
                }
                return .number(d)
            case .boolean:
                guard let b = raw.bool else { problem(s, k, "must be true or false"); return nil }
                return .boolean(b)
            case .string:
                guard let v = raw.string else { problem(s, k, "must be a string"); return nil }
                return .string(v)
            case .choice(let words):
                guard let v = raw.string else { problem(s, k, "must be \(alternatives(words))"); return nil }
                guard words.contains(v) else { problem(s, k, "must be \(alternatives(words)), not \"\(v)\""); return nil }
                return .string(v)
            case .strings:
                guard let array = raw.array else { problem(s, k, "must be an array of strings"); return nil }
                var out: [String] = []
                for item in array {
                    guard let v = item.string else { problem(s, k, "must be an array of strings"); return nil }
                    out.append(v)
                }
                return .strings(out)
            case .integers(let range):
                guard let array = raw.array else { problem(s, k, "must be an array of integers"); return nil }
                var out: [Int] = []
                for item in array {
                    guard let i = item.int else { problem(s, k, "must be an array of integers"); return nil }
                    guard range.contains(i) else { problem(s, k, "items must be in \(range.lowerBound)...\(range.upperBound), not \(i)"); return nil }
                    out.append(i)
                }
                return .integers(out)
            }
        }

        private func number(_ raw: TOMLValueConvertible) -> Double? { raw.double ?? raw.int.map(Double.init) }

        private func show(_ d: Double) -> String { ConfigurationValue.number(d).description }
    }
}

/// Finds the line of `[section]` and of `key = …` inside it, for error messages. toml++ does
/// not expose value positions through TOMLKit, and a located error is what an operator needs.
struct LineIndex {
    private var sectionLines: [String: Int] = [:]
    private var keyLines: [String: Int] = [:]

    init(_ text: String) {
        var section = ""
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.drop { $0 == "[" }
                if let close = name.firstIndex(of: "]") {
                    section = name[..<close].trimmingCharacters(in: .whitespaces)
                    if sectionLines[section] == nil { sectionLines[section] = i + 1 }
                    // `[a.b]` (or `["a"]`) defines the table `a` too: problems name `a`.
                    let first = section.split(separator: ".", maxSplits: 1).first.map {
                        $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
                    } ?? section
                    if sectionLines[first] == nil { sectionLines[first] = i + 1 }
                }
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                let full = "\(section).\(key)"
                if keyLines[full] == nil { keyLines[full] = i + 1 }
            }
        }
    }

    func line(section: String?, key: String?) -> Int? {
        guard let section else { return nil }
        if let key, let l = keyLines["\(section).\(key)"] { return l }
        if let l = sectionLines[section] { return l }
        // A key written before any [section] header.
        return key == nil ? keyLines[".\(section)"] : nil
    }
}
