#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `CLOCK_MONOTONIC`, the clock systemd uses for `MONOTONIC_USEC=` and for watchdog deadlines, and
/// the one the drivers stamp messages with (arrival times, latencies, pacing, rate limits).
///
/// It is a module of its own so that reading a clock does not pull in libsystemd, and so that the
/// core (`StackdCore`), which must not read any clock, cannot reach it: the drivers read it and
/// hand the core timestamps.
///
/// Swift's `ContinuousClock` is `CLOCK_BOOTTIME` on Linux, which runs ahead after a suspend, so the
/// values systemd compares must come from this clock instead.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot, on Linux).
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Microseconds since the same point, as `MONOTONIC_USEC=` expects.
    public static func microseconds() -> UInt64 {
        nanoseconds() / 1_000
    }
}
