import Dispatch
import StackdZMQ
import Synchronization

/// A single-producer single-consumer ring of received messages: how the receive thread of a
/// daemon with several pipelines hands each `[topic][payload]` message to the pipeline that owns
/// its symbol, with no lock, no copy and no allocation per message.
///
/// The slots are preallocated (a power of two of them, each two `zmq_msg_t`s and a receive
/// time); the producer moves the frames it received into a slot (`zmq_msg_move`) and publishes
/// the slot with a release store of its index; the consumer reads with an acquire load, handles
/// a batch and publishes its own index once per batch. Each index lives in its own object padded
/// to its own cache lines, so the two threads do not share a line on the hot path. A full ring
/// refuses the message (counted in ``dropped``): ingest never waits.
///
/// A consumer with nothing to do parks on a semaphore instead of spinning; the producer wakes it
/// only when it says it is parked (one relaxed load per message otherwise).
final class SPSCRing: @unchecked Sendable {
    let capacity: Int
    private let mask: Int
    private let topics: [ZMQMessage]
    private let payloads: [ZMQMessage]
    private let receivedAt: UnsafeMutablePointer<UInt64>
    private let produced = PaddedIndex()
    private let consumed = PaddedIndex()
    /// Producer-side copy of `consumed`, refreshed only when the ring looks full.
    private var consumedSeen = 0
    /// Messages refused because the ring was full (written by the producer, read by snapshots).
    private let droppedCount = Atomic<Int>(0)
    private let consumerParked = Atomic<Bool>(false)
    private let wakeup = DispatchSemaphore(value: 0)

    /// - Parameter capacity: slots, rounded up to a power of two (at least 2).
    init(capacity: Int) {
        var c = 2
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = c - 1
        topics = (0..<c).map { _ in ZMQMessage() }
        payloads = (0..<c).map { _ in ZMQMessage() }
        receivedAt = .allocate(capacity: c)
        receivedAt.initialize(repeating: 0, count: c)
    }

    deinit { receivedAt.deallocate() }

    /// The slots of a pipeline's ring: as deep as the input's queue (`input.receive_hwm`; 0 is
    /// unbounded), so the ring is not the first to overflow, within 1 024…65 536 (≈ 13 MB; at
    /// 1 M messages/s, 65 ms of a pipeline falling behind).
    static func capacity(receiveHighWaterMark: Int) -> Int {
        receiveHighWaterMark == 0 ? 65_536 : min(max(receiveHighWaterMark, 1024), 65_536)
    }

    var dropped: Int { droppedCount.load(ordering: .relaxed) }

    // MARK: producer (the receive thread)

    /// Moves `topic` and `payload` into the next slot; false (and counted) when the ring is full,
    /// the frames then stay where they are.
    @inline(__always)
    func push(topic: ZMQMessage, payload: ZMQMessage, receivedAt time: UInt64) -> Bool {
        let p = produced.value.load(ordering: .relaxed)
        if p &- consumedSeen >= capacity {
            consumedSeen = consumed.value.load(ordering: .acquiring)
            if p &- consumedSeen >= capacity {
                droppedCount.add(1, ordering: .relaxed)
                return false
            }
        }
        let slot = p & mask
        topics[slot].move(from: topic)
        payloads[slot].move(from: payload)
        receivedAt[slot] = time
        produced.value.store(p &+ 1, ordering: .releasing)
        // Pairs with the fence in `park`: either the consumer sees this slot before it sleeps, or
        // this load sees it parked and wakes it.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if consumerParked.load(ordering: .relaxed), consumerParked.exchange(false, ordering: .acquiringAndReleasing) {
            wakeup.signal()
        }
        return true
    }

    // MARK: consumer (the pipeline thread)

    /// Hands up to `limit` messages to `body` in arrival order and frees their slots; returns how
    /// many. The frames are valid only inside `body`.
    @inline(__always)
    func consume(limit: Int, _ body: (ZMQMessage, ZMQMessage, UInt64) -> Void) -> Int {
        let c = consumed.value.load(ordering: .relaxed)
        let available = produced.value.load(ordering: .acquiring) &- c
        let n = min(available, limit)
        if n == 0 { return 0 }
        for i in 0..<n {
            let slot = (c &+ i) & mask
            body(topics[slot], payloads[slot], receivedAt[slot])
        }
        consumed.value.store(c &+ n, ordering: .releasing)
        return n
    }

    /// Whether a message is waiting (consumer side).
    var isEmpty: Bool {
        produced.value.load(ordering: .acquiring) == consumed.value.load(ordering: .relaxed)
    }

    /// Sleeps until the producer pushes or `nanoseconds` pass, unless a message is already there.
    func park(nanoseconds: Int) {
        consumerParked.store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if !isEmpty {
            consumerParked.store(false, ordering: .relaxed)
            return
        }
        _ = wakeup.wait(timeout: .now() + .nanoseconds(max(0, nanoseconds)))
        consumerParked.store(false, ordering: .relaxed)
    }

    /// Wakes a parked consumer (a stop request).
    func wake() { wakeup.signal() }
}

/// One index on cache lines of its own: 56 bytes of padding after the object header and before
/// the value, and 56 after it, keep it apart from its neighbours in the allocator.
private final class PaddedIndex {
    private let before: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)
    let value = Atomic<Int>(0)
    private let after: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)
}
