/// Which base model each stacking feature column belongs to, for per-model contributions.
///
/// Group m (0 ..< M) holds model m's columns: its K probabilities, its confidence, entropy,
/// margin and vote, and its recent log-loss. Group M ("shared") holds the columns no single model
/// owns: the five cross-model features and the regime values. Group M + 1 is the bias (intercept,
/// base value or prior), which no column maps to. Integers only, so the ingest thread can build
/// and consult it per output without allocating.
public struct ContributionGroups: Sendable, Equatable {
    public let modelCount: Int
    public let classCount: Int
    public let regimeCount: Int
    public let hasSkill: Bool

    public init(_ layout: StackingFeatureLayout) {
        modelCount = layout.models.count
        classCount = layout.classCount
        regimeCount = layout.regimeNames.count
        hasSkill = layout.skillWindow > 0
    }

    /// M + 2: every model, then shared, then bias.
    public var count: Int { modelCount + 2 }
    public var shared: Int { modelCount }
    public var bias: Int { modelCount + 1 }
    /// Doubles a learned combiner needs to decompose one row: K × (columns + 1).
    public var scratchCount: Int { classCount * (columnCount + 1) }

    var basicCount: Int { modelCount * classCount }
    var extendedCount: Int { basicCount + 4 * modelCount + 5 }
    var columnCount: Int { extendedCount + regimeCount + (hasSkill ? modelCount : 0) }

    /// The group of feature column `column` (layout order).
    @inline(__always)
    public func group(ofColumn column: Int) -> Int {
        if column < basicCount { return column / classCount }
        if column < basicCount + 4 * modelCount { return (column - basicCount) / 4 }
        let skillStart = extendedCount + regimeCount
        if hasSkill && column >= skillStart && column < skillStart + modelCount { return column - skillStart }
        return shared
    }

    /// Sums K × (F + 1) per-column contributions (row-major by class, the bias last in each
    /// class's row, as `FittedMetaLearner.contributions` writes them) into the M + 2 groups of
    /// class `servedClass`.
    public func sum(perColumn values: UnsafeBufferPointer<Double>, featureCount f: Int, servedClass c: Int,
                    into out: UnsafeMutableBufferPointer<Double>) {
        for g in 0..<count { out[g] = 0 }
        let row = c * (f + 1)
        for j in 0..<f { out[group(ofColumn: j)] += values[row + j] }
        out[bias] = values[row + f]
    }
}
