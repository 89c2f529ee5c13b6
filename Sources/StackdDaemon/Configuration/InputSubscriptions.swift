extension DaemonConfiguration {
    /// The topic prefixes the input socket subscribes to: `input.topics`, plus `regime.` when
    /// `regimes.names` is set and no configured prefix already covers regime topics. Without it,
    /// every row would wait for a regime that can never arrive.
    package var inputSubscriptions: [String] {
        guard !pipeline.regimeNames.isEmpty,
              !input.topics.contains(where: { "regime.".hasPrefix($0) || $0.hasPrefix("regime.") }) else { return input.topics }
        return input.topics + ["regime."]
    }
}
