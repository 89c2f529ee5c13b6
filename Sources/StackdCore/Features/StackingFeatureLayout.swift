/// The order and names of the stacking features, exactly as the reference defines them:
/// `[all basic] + [per model: conf, entropy, margin, pred] + [all_agree, majority_vote,
/// agree_count, avg_conf, conf_spread]` (+ optional regime values, `[vol_regime, trend_regime]` in
/// the reference and by default, or the deployment's `regimes.names`) (+ optional
/// `[<model>_recent_log_loss per model]`: each model's log-loss over its last `skillWindow`
/// labelled rows, known when the row is emitted — recent skill as an input).
public struct StackingFeatureLayout: Sendable, Equatable, Codable {
    public let models: [String]
    public let classCount: Int
    /// Names of the regime columns, in wire order (empty: no regime features).
    public let regimeNames: [String]
    public var includesRegimes: Bool { !regimeNames.isEmpty }
    /// Rows over which recent per-model skill is measured; 0: no skill features.
    public let skillWindow: Int

    /// The reference's regime columns (`regimes.csv`): what `includesRegimes: true` means.
    public static let referenceRegimeNames = ["vol_regime", "trend_regime"]

    public init(models: [String], classCount: Int = 3, includesRegimes: Bool = false, skillWindow: Int = 0) {
        self.init(models: models, classCount: classCount,
                  regimeNames: includesRegimes ? Self.referenceRegimeNames : [], skillWindow: skillWindow)
    }

    public init(models: [String], classCount: Int = 3, regimeNames: [String], skillWindow: Int = 0) {
        self.models = models
        self.classCount = classCount
        self.regimeNames = regimeNames
        self.skillWindow = skillWindow
    }

    enum CodingKeys: String, CodingKey { case models, classCount, includesRegimes, regimeNames, skillWindow }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(models, forKey: .models)
        try c.encode(classCount, forKey: .classCount)
        try c.encode(includesRegimes, forKey: .includesRegimes)
        try c.encode(regimeNames, forKey: .regimeNames)
        try c.encode(skillWindow, forKey: .skillWindow)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decode([String].self, forKey: .models)
        classCount = try c.decode(Int.self, forKey: .classCount)
        // Layouts written before regime names were configurable say only whether the two
        // reference regimes were included.
        if let names = try c.decodeIfPresent([String].self, forKey: .regimeNames) {
            regimeNames = names
        } else {
            regimeNames = try c.decode(Bool.self, forKey: .includesRegimes) ? Self.referenceRegimeNames : []
        }
        skillWindow = try c.decodeIfPresent(Int.self, forKey: .skillWindow) ?? 0
    }

    /// Where the skill features start.
    public var skillOffset: Int { extendedCount + regimeNames.count }

    /// The M×K raw probabilities.
    public var basicCount: Int { models.count * classCount }
    /// Basic + per-model + cross-model features.
    public var extendedCount: Int { basicCount + 4 * models.count + 5 }
    public var count: Int { skillOffset + (skillWindow > 0 ? models.count : 0) }

    public var names: [String] {
        let classNames = Self.classNames(classCount)
        var out: [String] = []
        for m in models { for c in classNames { out.append("\(m)_\(c)") } }
        for m in models { out += ["\(m)_conf", "\(m)_entropy", "\(m)_margin", "\(m)_pred"] }
        out += ["all_agree", "majority_vote", "agree_count", "avg_conf", "conf_spread"]
        out += regimeNames
        if skillWindow > 0 { for m in models { out.append("\(m)_recent_log_loss") } }
        return out
    }

    /// `p_short, p_neutral, p_long` for three classes, `p_0 … p_{K-1}` otherwise.
    public static func classNames(_ k: Int) -> [String] {
        k == 3 ? ["p_short", "p_neutral", "p_long"] : (0..<k).map { "p_\($0)" }
    }

    /// The signed value of a class index: −1, 0, +1 for three classes, the index otherwise.
    @inline(__always)
    public static func classValue(_ index: Int, classCount: Int) -> Double {
        classCount == 3 ? Double(index - 1) : Double(index)
    }
}
