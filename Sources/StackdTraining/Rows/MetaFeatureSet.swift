import StackdCore

/// Which stacking features a meta-learner reads.
///
/// The three sets are prefixes of the `StackingFeatureLayout` order (basic ⊂ extended ⊂
/// extended + regimes), so a combiner can read its inputs from the front of the live feature
/// vector without copying or re-indexing.
public enum MetaFeatureSet: String, Sendable, Codable, CaseIterable {
    /// The M·K raw probabilities.
    case basic
    /// Basic plus per-model confidence/entropy/margin/vote and the cross-model features.
    case extended
    /// Extended plus the regime columns (`vol_regime`, `trend_regime` in the reference; the
    /// deployment's `regimes.names` live).
    case extendedRegime = "extended_regime"
    /// Every column of the layout (extended, regimes and recent per-model skill when present).
    case all

    /// Number of leading feature columns this set uses under `layout`.
    public func columnCount(_ layout: StackingFeatureLayout) -> Int {
        switch self {
        case .basic: return layout.basicCount
        case .extended: return layout.extendedCount
        case .extendedRegime: return layout.extendedCount + (layout.includesRegimes ? layout.regimeNames.count : 2)
        case .all: return layout.count
        }
    }

    /// Whether `layout` provides every column of this set.
    public func isAvailable(in layout: StackingFeatureLayout) -> Bool {
        self != .extendedRegime || layout.includesRegimes
    }

    /// Column names of the set.
    public func names(_ layout: StackingFeatureLayout) -> [String] {
        if self == .all { return layout.names }
        let full = layout.includesRegimes ? layout.names
            : StackingFeatureLayout(models: layout.models, classCount: layout.classCount, includesRegimes: true).names
        return Array(full.prefix(columnCount(layout)))
    }

    /// The set that adds the regime columns to this one (`extended` → `extendedRegime`), or nil.
    public var withRegimes: MetaFeatureSet? { self == .extended ? .extendedRegime : nil }

    /// The reference's short tag (`basic`, `ext`, `ext+regime`), used in method names.
    public var tag: String {
        switch self {
        case .basic: return "basic"
        case .extended: return "ext"
        case .extendedRegime: return "ext+regime"
        case .all: return "all"
        }
    }

    /// Columns per base model (its probabilities and, for extended sets, its own confidence
    /// features): what "how much does the meta-model rely on model m" is measured over.
    public func modelColumnGroups(_ layout: StackingFeatureLayout) -> [[Int]] {
        let k = layout.classCount
        return layout.models.indices.map { m in
            var cols = Array((m * k)..<((m + 1) * k))
            if self != .basic { cols += Array((layout.basicCount + 4 * m)..<(layout.basicCount + 4 * m + 4)) }
            return cols
        }
    }
}
