/// Maps names (models, symbols) received as raw bytes to small dense ids, without allocating on
/// lookup: the hot path sees a name as a borrowed byte range inside a ZeroMQ frame.
///
/// Open addressing over FNV-1a hashes; names are kept in one byte arena. Insertion allocates
/// (once per new name) and is refused when the table is full.
public struct NameTable: Sendable {
    private var slots: [Int32]          // -1 empty, else id
    private var offsets: [Int]          // id -> start in arena
    private var lengths: [Int]
    private var arena: [UInt8]
    public private(set) var names: [String]
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        offsets = []
        lengths = []
        arena = []
        names = []
        offsets.reserveCapacity(capacity)
        lengths.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
        arena.reserveCapacity(capacity * 16)
    }

    public var count: Int { names.count }

    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// The id of `bytes`, or nil when the name is not in the table.
    @inline(__always)
    public func id(of bytes: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(bytes)) & mask
        while true {
            let id = Int(slots[i])
            if id < 0 { return nil }
            if lengths[id] == bytes.count && matches(id, bytes) { return id }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func matches(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        arena.withUnsafeBufferPointer { a in
            let start = offsets[id]
            for j in 0..<bytes.count where a[start + j] != bytes[j] { return false }
            return true
        }
    }

    /// Inserts a name and returns its id (the existing id if present); nil when full.
    @discardableResult
    public mutating func insert(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let existing = id(of: bytes) { return existing }
        guard names.count < capacity else { return nil }
        let id = names.count
        offsets.append(arena.count)
        lengths.append(bytes.count)
        arena.append(contentsOf: bytes)
        names.append(String(decoding: bytes, as: UTF8.self))
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(bytes)) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(id)
        return id
    }

    @discardableResult
    public mutating func insert(_ name: String) -> Int? {
        var copy = name
        return copy.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with the bytes of the name with this id.
    public func withName<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try arena.withUnsafeBytes { a in
            try body(UnsafeRawBufferPointer(rebasing: a[offsets[id] ..< offsets[id] + lengths[id]]))
        }
    }
}
