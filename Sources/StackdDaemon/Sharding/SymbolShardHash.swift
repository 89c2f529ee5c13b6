/// Which shard owns a symbol: FNV-1a 64 of the symbol's UTF-8 bytes, modulo the shard count.
///
/// Why this hash: it is stable across processes, machines, languages and releases (no seed, unlike
/// Swift's `Hasher`), it is a few lines in any language, so a publisher or consumer can compute a
/// symbol's shard itself, and it spreads short ticker-like names evenly. In Python:
///
/// ```python
/// def shard_of(symbol: str, shards: int) -> int:
///     h = 0xcbf29ce484222325
///     for b in symbol.encode():
///         h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
///     return h % shards
/// ```
package enum SymbolShardHash {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// FNV-1a 64 of `symbol`'s UTF-8 bytes.
    package static func fnv1a64(_ symbol: String) -> UInt64 {
        var hash = offsetBasis
        for byte in symbol.utf8 {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }

    /// The shard, in `0..<shards`, that owns `symbol`; `shards` must be at least 1.
    package static func shard(of symbol: String, shards: Int) -> Int {
        precondition(shards >= 1, "the shard count is checked by the caller")
        return Int(fnv1a64(symbol) % UInt64(shards))
    }
}
