/// Turns publisher sequence numbers into a count of messages that never reached stackd.
///
/// A publisher's PUB socket drops messages silently at its high-water mark, and a subscriber
/// that connects late misses what was sent before; the only trace either leaves is a jump in
/// the sequence numbers. Counting jumps says that something was lost; summing them says how
/// much, which is what an operator compares with the publisher's own send count.
///
/// Rules (`schemas/wire.md` §6.3): the first number of a stream sets the baseline; `n` after
/// `p` with `n > p + 1` means `n − p − 1` messages were missed; a repeat is ignored; a lower
/// number is a publisher restart and becomes the new baseline (the messages after a restart are
/// tracked again at once, and nothing is counted for the restart itself).
/// Storage is sized at init, so observing never allocates.
public struct SequenceTracker: Sendable, Equatable {
    private var last: [UInt64]
    private var seen: [Bool]

    public init(streamCount: Int) {
        last = Array(repeating: 0, count: streamCount)
        seen = Array(repeating: false, count: streamCount)
    }

    /// Records `sequence` for `stream` and returns how many messages were missed just before it.
    @inline(__always)
    public mutating func observe(stream: Int, sequence: UInt64) -> UInt64 {
        guard seen[stream] else {
            seen[stream] = true
            last[stream] = sequence
            return 0
        }
        let previous = last[stream]
        if sequence == previous { return 0 }
        last[stream] = sequence
        // Below the previous number: a restart, the new baseline. Above: the numbers in between.
        return sequence > previous ? sequence - previous - 1 : 0
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` when that overflows: a counter fed by a hostile or broken
    /// publisher's sequence jump must stick at its maximum, not trap.
    @inline(__always)
    func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
