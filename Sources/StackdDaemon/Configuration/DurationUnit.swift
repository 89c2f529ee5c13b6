/// The unit a duration key is written in; the code uses Int64 nanoseconds.
package enum DurationUnit: String, Sendable {
    case milliseconds, seconds, days

    package var nanoseconds: Double {
        switch self {
        case .milliseconds: return 1e6
        case .seconds: return 1e9
        case .days: return 86_400e9
        }
    }
}

/// Seconds, days or milliseconds to Int64 nanoseconds without trapping.
package enum DurationConversion {
    /// nil when `value` is not finite or its nanoseconds do not fit an Int64.
    package static func nanoseconds(_ value: Double, _ unit: DurationUnit) -> Int64? {
        let ns = (value * unit.nanoseconds).rounded()
        guard ns.isFinite else { return nil }
        return Int64(exactly: ns)
    }
}
