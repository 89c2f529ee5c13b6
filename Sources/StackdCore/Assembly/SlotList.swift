/// Slots of a fixed table in the order they were linked: a doubly linked list threaded through
/// two index arrays, so unlinking any slot is O(1) and the oldest is always `head`.
///
/// Shared by the row assembler (pending rows, oldest deadline first) and the scoreboard (rows
/// awaiting labels, oldest evicted first). Allocates only at init.
struct SlotList {
    private var previous: [Int32]
    private var next: [Int32]
    /// The oldest linked slot, or −1 when the list is empty.
    private(set) var head: Int32 = -1
    private(set) var tail: Int32 = -1

    init(capacity: Int) {
        previous = Array(repeating: -1, count: capacity)
        next = Array(repeating: -1, count: capacity)
    }

    /// The slot linked after `slot`, or −1.
    func after(_ slot: Int) -> Int32 { next[slot] }

    /// Links `slot` (not linked) as the newest.
    mutating func append(_ slot: Int) {
        previous[slot] = tail
        next[slot] = -1
        if tail >= 0 { next[Int(tail)] = Int32(slot) } else { head = Int32(slot) }
        tail = Int32(slot)
    }

    /// Unlinks `slot` (linked).
    mutating func remove(_ slot: Int) {
        let p = previous[slot], n = next[slot]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { previous[Int(n)] = p } else { tail = p }
        previous[slot] = -1
        next[slot] = -1
    }
}
