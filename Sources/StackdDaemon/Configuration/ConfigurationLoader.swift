import Foundation
import StackdCore
import TOMLKit

/// A configuration that cannot be used; every problem names its file, line and key.
public struct ConfigurationFileError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Reads the TOML configuration strictly: unknown sections or keys, wrong types and values
/// out of range are all refused at start, each with the line that is wrong, because a typo
/// that silently falls back to a default is worse than a daemon that does not start.
public enum ConfigurationLoader {
    /// Reads `path`, then applies the environment overrides (``environmentKeys``) on top.
    public static func load(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DaemonConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationFileError(problems: ["\(path): cannot read the configuration: \(error.localizedDescription)"])
        }
        var config = try parse(text, source: path)
        try applyEnvironment(environment, to: &config)
        return config
    }

    /// Environment variables that override a key of the file (applied after it, so a unit's
    /// `Environment=` or a drop-in can change them without editing the file).
    public static let environmentKeys: [(variable: String, key: String)] = [
        ("STACKD_STATE_DIRECTORY", "state.directory"),
        ("STACKD_METRICS_ADDRESS", "metrics.address"),
        ("STACKD_LOG_LEVEL", "log.level"),
    ]

    /// Applies the overrides present in `environment`; an invalid value is refused like a bad
    /// key in the file, naming the variable.
    public static func applyEnvironment(_ environment: [String: String], to config: inout DaemonConfiguration) throws {
        var problems: [String] = []
        if let dir = environment["STACKD_STATE_DIRECTORY"] {
            config.stateDirectory = dir.isEmpty ? nil : dir
        }
        if let address = environment["STACKD_METRICS_ADDRESS"] {
            if address.isEmpty || MetricsAddress(address) != nil { config.metricsAddress = address }
            else { problems.append("environment STACKD_METRICS_ADDRESS: \(MetricsAddress.formatHelp), not \"\(address)\"") }
        }
        if let level = environment["STACKD_LOG_LEVEL"] {
            if logLevels.contains(level) { config.logLevel = level }
            else { problems.append("environment STACKD_LOG_LEVEL: must be one of \(logLevels.joined(separator: ", ")), not \"\(level)\"") }
        }
        guard problems.isEmpty else { throw ConfigurationFileError(problems: problems) }
    }

    /// The sections and keys this version understands.
    static let schema: [String: Set<String>] = [
        "models": ["names", "classes"],
        "stream": ["horizons", "symbols", "max_symbols"],
        "input": ["connect", "bind", "topics", "receive_hwm", "max_payload_bytes"],
        "output": ["connect", "bind", "encoding", "send_hwm"],
        "assembly": ["deadline_ms", "min_models", "max_pending_rows", "sum_tolerance"],
        "labels": ["max_awaiting"],
        "log": ["level", "rejects_per_second"],
        "retrain": ["every_labels", "every_event_seconds", "every_event_times", "min_rows", "apply_delay_seconds", "window_rows", "window_age_days"],
        "learner": ["kind", "metric", "features", "validation_fraction", "promotion", "c", "min_improvement_z"],
        "state": ["directory", "flush", "flush_rows", "flush_interval_ms", "sync"],
        "metrics": ["address"],
        "record": ["directory", "compress"],
        "features": ["skill_window"],
        "monitoring": ["enabled", "retrain_on_alert", "retrain_min_labels"],
    ]

    public static func parse(_ text: String, source: String) throws -> DaemonConfiguration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationFileError(problems: ["\(source):\(error.source.begin.line): \(error.description)"])
        }
        var reader = Reader(root: root, lines: LineIndex(text), source: source)
        for section in root.keys.sorted() {
            guard let keys = schema[section] else {
                reader.problem(section, nil, "unknown section [\(section)] (known: \(schema.keys.sorted().joined(separator: ", ")))")
                continue
            }
            guard let table = root[section]?.table else {
                reader.problem(section, nil, "[\(section)] must be a table")
                continue
            }
            for key in table.keys.sorted() where !keys.contains(key) {
                reader.problem(section, key, "unknown key (known in [\(section)]: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        let models = reader.strings("models", "names", required: true) ?? []
        let horizons = reader.ints("stream", "horizons", required: true) ?? []
        var pipeline = PipelineConfiguration(models: models, horizons: horizons)
        pipeline.classCount = reader.int("models", "classes", range: 2...16) ?? 3
        pipeline.symbols = reader.strings("stream", "symbols") ?? []
        pipeline.maxSymbols = max(reader.int("stream", "max_symbols", range: 1...1_000_000) ?? 4096, pipeline.symbols.count)
        pipeline.maxPayloadBytes = reader.int("input", "max_payload_bytes", range: 64...(1 << 24)) ?? 4096
        if let ms = reader.double("assembly", "deadline_ms", range: 0...3_600_000) {
            pipeline.deadlineNanoseconds = Int64(ms * 1_000_000)
        }
        pipeline.minModels = reader.int("assembly", "min_models", range: 1...64) ?? 1
        pipeline.maxPendingRows = reader.int("assembly", "max_pending_rows", range: 1...10_000_000) ?? 65_536
        pipeline.sumTolerance = reader.double("assembly", "sum_tolerance", range: 0...0.5) ?? 1e-3
        pipeline.maxAwaitingLabels = reader.int("labels", "max_awaiting", range: 0...100_000_000) ?? 262_144

        var config = DaemonConfiguration(pipeline: pipeline)
        config.input.connect = reader.strings("input", "connect") ?? []
        config.input.bind = reader.strings("input", "bind") ?? []
        config.input.topics = reader.strings("input", "topics") ?? ["pred.", "label."]
        config.input.receiveHighWaterMark = reader.int("input", "receive_hwm", range: 0...Int(Int32.max)) ?? 1_000_000
        config.output.connect = reader.strings("output", "connect") ?? []
        config.output.bind = reader.strings("output", "bind") ?? []
        config.output.sendHighWaterMark = reader.int("output", "send_hwm", range: 0...Int(Int32.max)) ?? 1_000_000
        if let e = reader.string("output", "encoding") {
            if let encoding = PayloadEncoding(rawValue: e) { config.output.encoding = encoding }
            else { reader.problem("output", "encoding", "must be \"binary\" or \"json\", not \"\(e)\"") }
        }
        if let level = reader.string("log", "level") {
            if logLevels.contains(level) { config.logLevel = level }
            else { reader.problem("log", "level", "must be one of \(logLevels.joined(separator: ", ")), not \"\(level)\"") }
        }
        config.rejectLogPerSecond = reader.int("log", "rejects_per_second", range: 0...1_000_000) ?? 5

        var retrain = RetrainPolicy()
        retrain.everyLabels = reader.int("retrain", "every_labels", range: 0...100_000_000) ?? 0
        if let s = reader.double("retrain", "every_event_seconds", range: 0...1e10) { retrain.everyEventTime = Int64(s * 1e9) }
        retrain.everyEventTimes = reader.int("retrain", "every_event_times", range: 0...100_000_000) ?? 0
        retrain.minRows = reader.int("retrain", "min_rows", range: 10...100_000_000) ?? 2000
        if let s = reader.double("retrain", "apply_delay_seconds", range: 0...1e10) { retrain.applyDelay = Int64(s * 1e9) }
        retrain.windowRows = reader.int("retrain", "window_rows", range: 100...100_000_000) ?? 100_000
        if let d = reader.double("retrain", "window_age_days", range: 0...1e6) { retrain.windowAge = Int64(d * 86_400e9) }
        config.retrain = retrain
        if let kind = reader.string("learner", "kind") {
            if ["logistic", "xgboost", "auto"].contains(kind) { config.learner.kind = kind }
            else { reader.problem("learner", "kind", "must be \"logistic\", \"xgboost\" or \"auto\", not \"\(kind)\"") }
        }
        if let metric = reader.string("learner", "metric") {
            if ["log_loss", "f1", "sharpe", "brier"].contains(metric) { config.learner.metric = metric }
            else { reader.problem("learner", "metric", "must be log_loss, f1, sharpe or brier, not \"\(metric)\"") }
        }
        if let features = reader.string("learner", "features") {
            if ["basic", "extended", "all"].contains(features) { config.learner.features = features }
            else { reader.problem("learner", "features", "must be \"basic\", \"extended\" or \"all\", not \"\(features)\"") }
        }
        config.learner.validationFraction = reader.double("learner", "validation_fraction", range: 0.05...0.5) ?? 0.2
        if let promotion = reader.string("learner", "promotion") {
            if ["gated", "always"].contains(promotion) { config.learner.promotion = promotion }
            else { reader.problem("learner", "promotion", "must be \"gated\" or \"always\", not \"\(promotion)\"") }
        }
        config.learner.c = reader.double("learner", "c", range: 0...1e6) ?? 0
        config.learner.minImprovementZ = reader.double("learner", "min_improvement_z", range: 0...100) ?? 2
        config.monitoring.enabled = reader.bool("monitoring", "enabled") ?? true
        config.monitoring.retrainOnAlert = reader.bool("monitoring", "retrain_on_alert") ?? false
        config.monitoring.retrainMinLabels = reader.int("monitoring", "retrain_min_labels", range: 1...100_000_000) ?? 500
        config.pipeline.skillWindow = reader.int("features", "skill_window", range: 0...1_000_000) ?? 0
        if config.learner.features == "all" && config.pipeline.skillWindow == 0 {
            reader.problem("learner", "features", "\"all\" adds the recent-skill features: set features.skill_window too")
        }
        config.stateDirectory = reader.string("state", "directory")
        config.recordDirectory = reader.string("record", "directory")
        config.recordCompress = reader.bool("record", "compress") ?? true
        if let flush = reader.string("state", "flush") {
            if ["every_row", "every_rows", "interval"].contains(flush) { config.stateFlush = flush }
            else { reader.problem("state", "flush", "must be every_row, every_rows or interval, not \"\(flush)\"") }
        }
        config.stateFlushRows = reader.int("state", "flush_rows", range: 1...1_000_000) ?? 100
        config.stateFlushIntervalMilliseconds = reader.double("state", "flush_interval_ms", range: 1...3_600_000) ?? 100
        if let sync = reader.string("state", "sync") {
            if ["none", "every_flush"].contains(sync) { config.stateSync = sync }
            else { reader.problem("state", "sync", "must be none or every_flush, not \"\(sync)\"") }
        }
        if let address = reader.string("metrics", "address") {
            if address.isEmpty || MetricsAddress(address) != nil { config.metricsAddress = address }
            else { reader.problem("metrics", "address", "\(MetricsAddress.formatHelp), not \"\(address)\"") }
        }

        if config.input.connect.isEmpty && config.input.bind.isEmpty {
            reader.problem("input", nil, "needs at least one endpoint in connect or bind")
        }
        if config.output.connect.isEmpty && config.output.bind.isEmpty {
            reader.problem("output", nil, "needs at least one endpoint in connect or bind")
        }
        for endpoint in config.input.connect + config.input.bind + config.output.connect + config.output.bind
        where !["tcp://", "ipc://", "inproc://"].contains(where: { endpoint.hasPrefix($0) }) {
            reader.problem(nil, nil, "endpoint \"\(endpoint)\" must start with tcp://, ipc:// or inproc://")
        }
        // Semantic checks of the pipeline, attributed to the key most likely at fault.
        for p in pipeline.problems() {
            let key: (String, String) =
                p.contains("model") && !p.contains("min_models") ? ("models", "names")
                : p.contains("horizon") ? ("stream", "horizons")
                : p.contains("symbol") ? ("stream", "symbols")
                : p.contains("min_models") ? ("assembly", "min_models")
                : ("models", "classes")
            reader.problem(key.0, key.1, p)
        }
        guard reader.problems.isEmpty else { throw ConfigurationFileError(problems: reader.problems) }
        return config
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Typed access that records a located problem instead of throwing at the first one.
    struct Reader {
        let root: TOMLTable
        let lines: LineIndex
        let source: String
        var problems: [String] = []

        mutating func problem(_ section: String?, _ key: String?, _ message: String) {
            let line = lines.line(section: section, key: key)
            let location = line.map { "\(source):\($0)" } ?? source
            let name = [section, key].compactMap { $0 }.joined(separator: ".")
            problems.append(name.isEmpty ? "\(location): \(message)" : "\(location): \(name): \(message)")
        }

        func value(_ section: String, _ key: String) -> TOMLValueConvertible? { root[section]?.table?[key] }

        mutating func strings(_ section: String, _ key: String, required: Bool = false) -> [String]? {
            guard let v = value(section, key) else {
                if required { problem(section, key, "is required") }
                return nil
            }
            guard let array = v.array else { problem(section, key, "must be an array of strings"); return nil }
            var out: [String] = []
            for item in array {
                guard let s = item.string else { problem(section, key, "must be an array of strings"); return nil }
                out.append(s)
            }
            return out
        }

        mutating func ints(_ section: String, _ key: String, required: Bool = false) -> [Int]? {
            guard let v = value(section, key) else {
                if required { problem(section, key, "is required") }
                return nil
            }
            guard let array = v.array else { problem(section, key, "must be an array of integers"); return nil }
            var out: [Int] = []
            for item in array {
                guard let i = item.int else { problem(section, key, "must be an array of integers"); return nil }
                out.append(i)
            }
            return out
        }

        mutating func int(_ section: String, _ key: String, range: ClosedRange<Int>) -> Int? {
            guard let v = value(section, key) else { return nil }
            guard let i = v.int else { problem(section, key, "must be an integer"); return nil }
            guard range.contains(i) else { problem(section, key, "must be in \(range.lowerBound)...\(range.upperBound), not \(i)"); return nil }
            return i
        }

        mutating func double(_ section: String, _ key: String, range: ClosedRange<Double>) -> Double? {
            guard let v = value(section, key) else { return nil }
            guard let d = v.double ?? v.int.map(Double.init) else { problem(section, key, "must be a number"); return nil }
            guard range.contains(d) else { problem(section, key, "must be in \(range.lowerBound)...\(range.upperBound), not \(d)"); return nil }
            return d
        }

        mutating func bool(_ section: String, _ key: String) -> Bool? {
            guard let v = value(section, key) else { return nil }
            guard let b = v.bool else { problem(section, key, "must be true or false"); return nil }
            return b
        }

        mutating func string(_ section: String, _ key: String) -> String? {
            guard let v = value(section, key) else { return nil }
            guard let s = v.string else { problem(section, key, "must be a string"); return nil }
            return s
        }
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
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                if let close = line.firstIndex(of: "]") {
                    section = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                    if sectionLines[section] == nil { sectionLines[section] = i + 1 }
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
        return sectionLines[section]
    }
}
