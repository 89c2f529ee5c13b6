import StackdCore

extension TrainingConfiguration {
    /// With regime columns in the layout (`regimes.csv`), every `extended` candidate is also fitted
    /// on the reference's ext+regime set, so the regimes compete on the validation rows like any
    /// other input instead of being parsed and ignored. Unchanged without regimes.
    public func addingRegimeCandidates(for layout: StackingFeatureLayout) -> TrainingConfiguration {
        guard layout.includesRegimes else { return self }
        var out = self
        for kind in candidates {
            guard let regimeSet = kind.featureSet.withRegimes else { continue }
            let added = CandidateKind(learner: kind.learner, featureSet: regimeSet)
            if !out.candidates.contains(added) { out.candidates.append(added) }
        }
        return out
    }
}
