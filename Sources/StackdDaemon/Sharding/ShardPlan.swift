/// Which shard owns which symbols, and the ZeroMQ subscriptions that deliver exactly those
/// symbols' predictions and labels to it.
///
/// A symbol belongs to shard ``SymbolShardHash/shard(of:shards:)``. ZeroMQ filters on byte
/// prefixes of the topic, at the publisher (or the proxy in front of it), so each shard subscribes
/// to `pred.<symbol>.` and `label.<symbol>.` for each of its symbols: with the terminating `.`, the
/// prefix of `AB` does not match the topics of `ABC` (schemas/wire.md section 2, prefix caveat).
/// Labels use the same rule as predictions, so a symbol's labels reach the shard that assembled
/// its rows.
package struct ShardPlan: Equatable, Sendable {
    /// `symbols[i]`: the symbols of shard `i`, in the order of the input list.
    package let symbols: [[String]]

    package var shardCount: Int { symbols.count }

    /// Assigns `symbols` (already checked: valid, distinct) to `shards` shards.
    ///
    /// Refused: fewer than one shard, more shards than symbols, and a plan where the hash leaves
    /// a shard empty (a shard with no symbol would subscribe to nothing and serve no purpose;
    /// with few symbols, choose fewer shards).
    package init(symbols list: [String], shards: Int) throws {
        guard shards >= 1 else { throw ShardPlanError("--shards must be at least 1, not \(shards)") }
        guard !list.isEmpty else { throw ShardPlanError("no symbols to distribute") }
        guard shards <= list.count else {
            throw ShardPlanError("--shards \(shards) is more than the \(list.count) symbols: every shard needs at least one symbol")
        }
        var bins = Array(repeating: [String](), count: shards)
        for symbol in list { bins[SymbolShardHash.shard(of: symbol, shards: shards)].append(symbol) }
        let empty = bins.indices.filter { bins[$0].isEmpty }
        guard empty.isEmpty else {
            throw ShardPlanError("with \(shards) shards the hash (FNV-1a 64 mod \(shards)) leaves shard(s) \(empty.map(String.init).joined(separator: ", ")) without a symbol: choose fewer shards")
        }
        self.symbols = bins
    }

    /// The input subscriptions of shard `index`: `pred.<symbol>.` and `label.<symbol>.` per symbol.
    package func topicPrefixes(shard index: Int) -> [String] {
        symbols[index].flatMap { Self.topicPrefixes(symbol: $0) }
    }

    /// The two prefixes that select every prediction and label of `symbol` and nothing else.
    package static func topicPrefixes(symbol: String) -> [String] {
        ["pred.\(symbol).", "label.\(symbol)."]
    }
}
