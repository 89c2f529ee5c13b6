import StackdCore

/// Every fitted learner decomposes a row into per-column contributions
/// (`FittedMetaLearner.contributions`); for an output they are summed into the per-model groups
/// of `ContributionGroups`, for the served class. Exact wherever the learner's decomposition is:
/// logistic (coefficient × feature), blend (weight × probability), MLP (through each hidden
/// unit's secant) and XGBoost (TreeSHAP `pred_contribs`, which allocates, as its `combine` does).
/// A temperature-calibrated learner reports its uncalibrated learner's contributions (the served
/// logits are those divided by T).
/// An isotonic-calibrated learner reports its uncalibrated learner's too (the maps are monotone
/// per class but not additive), and a learner restricted to selected models
/// (`ModelSelectionCombiner`) gives the dropped models 0.
extension ContributingCombiner where Self: FittedMetaLearner {
    public var contributionScale: ContributionScale {
        switch contributionSpace {
        case .logit: return .logit
        case .probability: return .probability
        }
    }

    public func writeContributions(servedClass: Int, basePredictions: UnsafeBufferPointer<Double>,
                                   features: UnsafeBufferPointer<Double>, presentMask: UInt64,
                                   scratch: UnsafeMutableBufferPointer<Double>,
                                   into out: UnsafeMutableBufferPointer<Double>) -> Bool {
        let f = featureCount, groups = ContributionGroups(layout)
        guard scratch.count >= layout.classCount * (f + 1), out.count >= groups.count, features.count >= f,
              servedClass >= 0, servedClass < layout.classCount else { return false }
        do {
            try contributions(features: features, into: scratch)
        } catch {
            return false
        }
        groups.sum(perColumn: UnsafeBufferPointer(scratch), featureCount: f, servedClass: servedClass, into: out)
        return true
    }
}

extension LogisticCombiner: ContributingCombiner {}
extension FittedBlendCombiner: ContributingCombiner {}
extension XGBoostCombiner: ContributingCombiner {}
extension MLPCombiner: ContributingCombiner {}
extension CalibratedCombiner: ContributingCombiner {}
extension IsotonicCalibratedCombiner: ContributingCombiner {}
extension ModelSelectionCombiner: ContributingCombiner {}
