/// The order and names of the stacking features, exactly as the reference defines them:
/// `[all basic] + [per model: conf, entropy, margin, pred] + [all_agree, majority_vote,
/// agree_count, avg_conf, conf_spread]` (+ optional `[vol_regime, trend_regime]`) (+ optional
/// `[<model>_recent_log_loss per model]`: each model's log-loss over its last `skillWindow`
/// labelled rows, known when the row is emitted — recent skill as an input).
public struct StackingFeatureLayout: Sendable, Equatable, Codable {
    public let models: [String]
    public let classCount: Int
    public let includesRegimes: Bool
    /// Rows over which recent per-model skill is measured; 0: no skill features.
    public let skillWindow: Int

    public init(models: [String], classCount: Int = 3, includesRegimes: Bool = false, skillWindow: Int = 0) {
        self.models = models
        self.classCount = classCount
        self.includesRegimes = includesRegimes
        self.skillWindow = skillWindow
    }

    enum CodingKeys: String, CodingKey { case models, classCount, includesRegimes, skillWindow }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decode([String].self, forKey: .models)
        classCount = try c.decode(Int.self, forKey: .classCount)
        includesRegimes = try c.decode(Bool.self, forKey: .includesRegimes)
        skillWindow = try c.decodeIfPresent(Int.self, forKey: .skillWindow) ?? 0
    }

    /// Where the skill features start.
    public var skillOffset: Int { extendedCount + (includesRegimes ? 2 : 0) }

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
        if includesRegimes { out += ["vol_regime", "trend_regime"] }
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
