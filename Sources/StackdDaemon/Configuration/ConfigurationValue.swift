/// The kind of value a key holds and the range the code accepts, in the file's unit.
package enum ConfigurationValueType {
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
package enum ConfigurationValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case string(String)
    case strings([String])
    case integers([Int])

    package var description: String {
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
    package var plain: String {
        if case .string(let s) = self { return s }
        return description
    }
}
