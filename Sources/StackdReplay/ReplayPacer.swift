#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import StackdClock

/// How fast a paced replay runs: wall-clock time = driver time ÷ `factor`. Driver times are
/// nanoseconds in both replay sources (journal receive times, oos-daily event/exit times), so
/// `factor` 1 is real time, 86400 makes a recorded day last a wall second, and 0 means unpaced
/// (as fast as possible).
public struct ReplaySpeed: Sendable, Equatable, CustomStringConvertible {
    /// Driver nanoseconds per wall nanosecond; 0 = unpaced.
    public var factor: Double

    public init(factor: Double) { self.factor = factor }

    public static let unpaced = ReplaySpeed(factor: 0)

    public var isPaced: Bool { factor > 0 }

    /// `×86400 (1d per 1s of wall time)`, or `unpaced`.
    public var description: String {
        guard isPaced else { return "unpaced" }
        let f = factor.rounded() == factor && factor < 1e15 ? "\(Int64(factor))" : "\(factor)"
        return "×\(f) (1d per \(String(format: "%.6g", 86_400 / factor))s of wall time)"
    }

    /// Parses `--speed`: a plain multiple of real time (`1`, `60`, `86400`, `0` = unpaced), or a
    /// ratio `DRIVER/WALL` of two durations (`1d/1s` = one recorded day per wall second,
    /// `1d/10ms`, `1h/1s`, `500ms/1ms`). Units: ns, us, ms, s, m, h, d; a bare number in a
    /// ratio is seconds.
    public static func parse(_ text: String) throws -> ReplaySpeed {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let factor: Double
        switch parts.count {
        case 1:
            guard let f = Double(parts[0]), f.isFinite, f >= 0 else { throw ReplaySpeedError(text) }
            factor = f
        case 2:
            guard let driver = duration(parts[0]), let wall = duration(parts[1]), driver > 0, wall > 0 else {
                throw ReplaySpeedError(text)
            }
            factor = driver / wall
        default:
            throw ReplaySpeedError(text)
        }
        guard factor.isFinite else { throw ReplaySpeedError(text) }
        return ReplaySpeed(factor: factor)
    }

    /// A duration like `10ms`, `1d`, `2.5s` or `3` (seconds), in nanoseconds.
    static func duration(_ text: Substring) -> Double? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9)]
        let s = text.trimmingCharacters(in: .whitespaces)
        // Longest suffix first, so "ms" is not read as "s" after "m".
        for (suffix, scale) in units.sorted(by: { $0.0.count > $1.0.count }) where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v.isFinite, v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Double(s), v.isFinite, v >= 0 else { return nil }
        return v * 1e9
    }
}

public struct ReplaySpeedError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String) {
        description = "--speed: \"\(text)\" is neither a non-negative number (multiple of real time, 0 = unpaced) nor a ratio of durations like 1d/1s or 1d/10ms"
    }
}

/// Where a pacer reads wall time and waits: the real monotonic clock, or a test double.
public protocol PacingClock: AnyObject {
    /// Wall nanoseconds since an arbitrary fixed point.
    func now() -> UInt64
    /// Returns once `now() >= deadline` (an absolute time on the same scale).
    func sleep(until deadline: UInt64)
}

/// `CLOCK_MONOTONIC`, sleeping with an absolute deadline (`clock_nanosleep(TIMER_ABSTIME)`), so
/// a late wake-up does not push back the next one.
public final class MonotonicPacingClock: PacingClock {
    public init() {}

    public func now() -> UInt64 { MonotonicClock.nanoseconds() }

    public func sleep(until deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        // EINTR: a signal woke us early; the deadline still holds.
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// Paces a replay: before each message, waits until the wall clock reaches the time at which
/// that message is due, so that the wall gap between two messages equals their driver-time
/// gap ÷ the speed factor.
///
/// Due times are computed from one anchor — (first driver time, wall time of the first
/// message) — never by adding up sleeps, so time spent processing between messages and late
/// wake-ups do not accumulate into drift: a message that is already late is delivered at once,
/// and the following ones are still due on the original schedule.
public final class ReplayPacer {
    public let speed: ReplaySpeed
    let clock: any PacingClock
    /// (driver time, wall time) of the first paced message; nil before it.
    public private(set) var anchor: (driver: Int64, wall: UInt64)?
    /// Messages that had to wait, and for how long in total (ns): the pacing share of the run.
    public private(set) var sleeps = 0
    public private(set) var sleptNanoseconds: UInt64 = 0

    public init(speed: ReplaySpeed, clock: any PacingClock = MonotonicPacingClock()) {
        self.speed = speed
        self.clock = clock
    }

    /// The wall time at which a message of `driverTime` is due: the wall anchor plus the driver
    /// time elapsed since the driver anchor ÷ `factor`. A driver time before the anchor (clocks
    /// never run backwards in a recording, but be safe) is due at the anchor. Pure.
    public static func dueWallTime(driverTime: Int64, driverAnchor: Int64, wallAnchor: UInt64, factor: Double) -> UInt64 {
        guard factor > 0, driverTime > driverAnchor else { return wallAnchor }
        // Subtract in the integer domain first: driver times are ~1e18 ns, beyond Double's exact range.
        let elapsed = Double(UInt64(bitPattern: driverTime &- driverAnchor)) / factor
        guard elapsed < Double(UInt64.max - wallAnchor) else { return .max }
        return wallAnchor + UInt64(elapsed.rounded())
    }

    /// Called on the driving thread before the message of `driverTime` is delivered; sleeps
    /// until it is due. The first call sets the anchor and returns at once.
    public func pace(to driverTime: Int64) {
        guard speed.isPaced else { return }
        guard let anchor else {
            anchor = (driverTime, clock.now())
            return
        }
        let due = Self.dueWallTime(driverTime: driverTime, driverAnchor: anchor.driver, wallAnchor: anchor.wall,
                                   factor: speed.factor)
        let now = clock.now()
        guard due > now else { return }
        sleeps += 1
        sleptNanoseconds += due - now
        clock.sleep(until: due)
    }
}
