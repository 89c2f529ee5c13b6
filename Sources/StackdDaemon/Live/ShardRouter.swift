/// Which pipeline of one daemon (`ingest.shards = N`) owns a symbol, and how a topic names it.
///
/// The rule is `fmix64(FNV-1a-64(symbol)) mod N`: the hash of `stackd shard-plan`
/// (``SymbolShardHash``), stable across restarts, machines and languages, passed through
/// MurmurHash3's 64-bit finaliser. Why not `h mod N`: every symbol the plan gives machine shard i
/// has `h ≡ i (mod K)`, so with K = N = 2 all of a daemon's symbols would land on one pipeline.
/// Why not the upper half `h >> 32` (the first version): FNV-1a barely mixes its last bytes into
/// the upper bits, so names that differ in their last character (`SYM00000`…`SYM00063`) all had
/// the same bit 32 and landed on one pipeline of two (bench/SCALING.md §6). The finaliser is a
/// bijection in which every input bit flips every output bit with probability ≈ ½, so the residue
/// mod N is independent of the plan's residue mod K and no key has to tell the daemon the plan's
/// K. In Python:
///
/// ```python
/// def pipeline_of(symbol: str, pipelines: int) -> int:
///     M = 0xFFFFFFFFFFFFFFFF
///     h = 0xcbf29ce484222325
///     for b in symbol.encode():
///         h = ((h ^ b) * 0x100000001b3) & M
///     h ^= h >> 33; h = (h * 0xff51afd7ed558ccd) & M
///     h ^= h >> 33; h = (h * 0xc4ceb9fe1a85ec53) & M
///     h ^= h >> 33
///     return h % pipelines
/// ```
package enum ShardRouter {
    /// The pipeline, in `0..<pipelines`, that owns `symbol`; `pipelines` ≥ 1.
    package static func pipeline(ofSymbol symbol: String, pipelines: Int) -> Int {
        Int(mix(SymbolShardHash.fnv1a64(symbol)) % UInt64(max(1, pipelines)))
    }

    /// MurmurHash3's `fmix64`.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// The pipeline that owns the message with this topic: the symbol is the bytes between the
    /// topic's first and second `.` (`pred.<symbol>.<horizon>.<model>`, `label.<symbol>.<horizon>`,
    /// `regime.<symbol>`). A topic without a `.` goes to pipeline 0, which rejects it exactly as a
    /// single pipeline would. No allocation: this runs once per message on the receive thread.
    @inline(__always)
    static func pipeline(ofTopic topic: UnsafeRawBufferPointer, pipelines: Int) -> Int {
        guard let firstDot = topic.firstIndex(of: UInt8(ascii: ".")) else { return 0 }
        var hash = SymbolShardHash.offsetBasis
        var i = firstDot + 1
        while i < topic.count {
            let byte = topic[i]
            if byte == UInt8(ascii: ".") { break }
            hash = (hash ^ UInt64(byte)) &* SymbolShardHash.prime
            i += 1
        }
        return Int(mix(hash) % UInt64(pipelines))
    }

    /// The topic prefixes a pipeline's own input socket subscribes to when the symbols are known
    /// in advance: every configured kind (`pred.`, `label.`) followed by each owned symbol and
    /// its closing `.`, so that "AB" never selects "ABC". Nil when the configured subscriptions
    /// cannot be narrowed that way (a prefix other than a bare kind, or `regime.<symbol>`, whose
    /// topic has no closing `.`): the daemon then reads one socket and routes by hash.
    static func topicPrefixes(symbols: [String], subscriptions: [String]) -> [String]? {
        let kinds: Set<String> = ["pred.", "label."]
        guard !subscriptions.isEmpty, subscriptions.allSatisfy(kinds.contains) else { return nil }
        return symbols.flatMap { symbol in subscriptions.map { "\($0)\(symbol)." } }
    }
}
