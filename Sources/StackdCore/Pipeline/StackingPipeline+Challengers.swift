/// Challengers (`learner.challengers`): scored on every emitted row beside the served model,
/// never published.
extension StackingPipeline {
    /// The challengers' predictions for the row being emitted, into `challengerOut` (NaN first
    /// for a challenger not installed yet). Installs the pending challengers due at this row.
    /// Never published: they are only remembered with the row, to be scored when its label comes.
    @inline(__always)
    func shadow(horizonIndex h: Int, eventTime: Int64, probabilities: UnsafeBufferPointer<Double>,
                            features: UnsafeBufferPointer<Double>, presentMask: UInt64) {
        let c = challengerNames.count, k = configuration.classCount
        if let p = pendingChallengers[h], eventTime >= p.applyFrom {
            for i in 0..<c { challengers[h * c + i] = p.combiners[i] }
            pendingChallengers[h] = nil
        }
        for i in 0..<c {
            let out = UnsafeMutableBufferPointer(rebasing: challengerOut[(i * k)..<((i + 1) * k)])
            if let model = challengers[h * c + i] {
                model.combine(basePredictions: probabilities, features: features, presentMask: presentMask, into: out)
            } else {
                out[0] = .nan
            }
        }
    }
}
