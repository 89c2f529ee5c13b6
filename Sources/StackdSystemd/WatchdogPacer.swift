/// Decides when the ingest loop owes systemd a `WATCHDOG=1`, without reading a clock itself.
///
/// The loop whose stall should trip the watchdog is the one that must ping, so this is called on
/// every iteration: it is a value type doing one comparison, and the caller passes the time
/// (``MonotonicClock/nanoseconds()``), which keeps it deterministic under test.
///
/// ```swift
/// var pacer = notifier.makeWatchdogPacer()
/// while !signals.stopRequested {
///     if pacer.shouldPing(atNanoseconds: MonotonicClock.nanoseconds()) { notifier.watchdog() }
///     // receive with a bounded timeout, process …
/// }
/// ```
public struct WatchdogPacer: Sendable, Hashable {
    /// Time between pings; `nil` when the watchdog is disabled and no ping is ever due.
    public let intervalNanoseconds: UInt64?
    /// When the last ping was granted; `nil` before the first, which is due immediately.
    public private(set) var lastPingNanoseconds: UInt64?

    /// - Parameter intervalNanoseconds: ping period, normally half of `WATCHDOG_USEC`.
    public init(intervalNanoseconds: UInt64?) {
        self.intervalNanoseconds = intervalNanoseconds
        self.lastPingNanoseconds = nil
    }

    /// - Parameter interval: ping period; negative durations count as zero (ping every call).
    public init(interval: Duration?) {
        self.init(intervalNanoseconds: interval.map(Self.nanoseconds(of:)))
    }

    /// Whether pings are wanted at all.
    public var isEnabled: Bool { intervalNanoseconds != nil }

    /// Whether a ping is due at `now`, without recording one.
    public func isDue(atNanoseconds now: UInt64) -> Bool {
        guard let interval = intervalNanoseconds else { return false }
        guard let last = lastPingNanoseconds else { return true }
        // A time before the last ping is not a monotonic reading; wait for a sane one.
        guard now >= last else { return false }
        return now - last >= interval
    }

    /// Returns `true` when a ping is due at `now` and records `now` as the ping time, so the
    /// caller's only job is to send ``NotifyMessage/watchdog`` when told to.
    public mutating func shouldPing(atNanoseconds now: UInt64) -> Bool {
        guard isDue(atNanoseconds: now) else { return false }
        lastPingNanoseconds = now
        return true
    }

    static func nanoseconds(of duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
