/// One key of the configuration file, described once: the loader parses and range-checks it
/// from this, reload classifies its changes from this, and the JSON Schema and the README table
/// are generated from this. Keeping all of that in one row is what stops them from drifting.
public struct ConfigurationKey {
    public let section: String
    public let name: String
    public let type: ConfigurationValueType
    /// The value used when the file does not set the key; nil: required, or "none".
    public let defaultValue: ConfigurationValue?
    public let required: Bool
    public let reload: ReloadClass
    /// One line for the README table and the schema's description.
    public let doc: String
    /// How the default reads in the README when it is not a plain value (e.g. "none").
    public let defaultText: String?
    /// Stores a checked value into the configuration.
    let apply: (inout DaemonConfiguration, ConfigurationValue) -> Void
    /// Reads the key's value back, in the file's terms, to compare two configurations.
    let read: (DaemonConfiguration) -> ConfigurationValue?
    /// A check beyond type and range (e.g. an address's syntax): the problem, or nil.
    let validate: (ConfigurationValue) -> String?

    public var path: String { "\(section).\(name)" }
}

/// What a changed key does to a running daemon on reload (SIGHUP).
public enum ReloadClass: String, Sendable, CaseIterable {
    /// Applied at once, without dropping or reordering a message.
    case live = "applied live"
    /// Logged; the running value stays until the next start.
    case restart = "needs restart"
    /// Cannot change under a running daemon's state (models, classes, horizons, the state
    /// directory): the whole reload is refused and the running configuration kept.
    case refused = "refuses the reload"
}

/// The unit a duration key is written in; the code uses Int64 nanoseconds.
public enum DurationUnit: String, Sendable {
    case milliseconds, seconds, days

    public var nanoseconds: Double {
        switch self {
        case .milliseconds: return 1e6
        case .seconds: return 1e9
        case .days: return 86_400e9
        }
    }
}

/// The kind of value a key holds and the range the code accepts, in the file's unit.
public enum ConfigurationValueType {
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    /// A number of `unit`s converted to Int64 nanoseconds; the range's maximum is chosen so the
    /// conversion (and an event time plus it) fits.
    case duration(ClosedRange<Double>, DurationUnit)
    case boolean
    case string
    /// One of these words.
    case choice([String])
    /// An array of strings; each matches `itemPattern` (a JSON Schema regex) when given.
    case strings(itemPattern: String?)
    case integers(ClosedRange<Int>)
}

/// A key's value in the file's terms (durations in their unit, choices as their word).
public enum ConfigurationValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case string(String)
    case strings([String])
    case integers([Int])

    public var description: String {
        switch self {
        case .integer(let i): return "\(i)"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? "\(Int64(d))" : "\(d)"
        case .boolean(let b): return "\(b)"
        case .string(let s): return "\"\(s)\""
        case .strings(let a): return "[" + a.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .integers(let a): return "[" + a.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// As in a log line: a lone string without quotes.
    public var plain: String {
        if case .string(let s) = self { return s }
        return description
    }
}
