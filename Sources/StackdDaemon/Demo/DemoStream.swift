#if canImport(Glibc)
import Glibc
#endif

import StackdCore

/// A built-in, seeded stream of base-model predictions and delayed labels, so `stackd demo`
/// needs no data and no other process.
///
/// Each (symbol, step) has a true class drawn from fixed priors; each base model sees it
/// through its own amount of noise (so the models differ in skill and agree only partly),
/// and the label for step t is published h steps later, as a real label would be.
package struct DemoStream: Sendable {
    package typealias Event = StreamEvent

    package let symbols: [String]
    package let horizons: [Int]
    package let models: [String]
    /// Per model: weight of the true class in its logits (higher = more skilful).
    package let skill: [Double]
    let stepNanoseconds: Int64
    private var rng: SplitMix64
    private var pendingLabels: [(due: Int, event: Event)] = []

    package init(symbols: [String] = ["SPX", "IXIC", "MSFT", "GOOG"], horizons: [Int] = [5, 10, 15, 20],
                models: [String] = ["lgbm", "logreg", "mlp", "xgb"], skill: [Double] = [1.1, 0.6, 0.8, 1.0],
                stepNanoseconds: Int64 = 86_400_000_000_000, seed: UInt64 = 42) {
        self.symbols = symbols
        self.horizons = horizons
        self.models = models
        self.skill = skill
        self.stepNanoseconds = stepNanoseconds
        rng = SplitMix64(seed: seed)
    }

    /// All events of step `t`: the labels that fall due, then every model's prediction for
    /// every (symbol, horizon).
    package mutating func events(step t: Int) -> [Event] {
        var out: [Event] = []
        let due = pendingLabels.filter { $0.due <= t }
        pendingLabels.removeAll { $0.due <= t }
        out += due.map(\.event)
        let ts = Int64(t) * stepNanoseconds + 1_420_070_400_000_000_000
        for symbol in symbols {
            for h in horizons {
                let truth = sampleClass()
                let ret = (Double(truth) - 1) * 0.01 + (rng.nextUnitInterval() - 0.5) * 0.01
                for (j, model) in models.enumerated() {
                    var logits = [0.0, 0.0, 0.0]
                    logits[truth] += skill[j]
                    for c in 0..<3 { logits[c] += gaussian() * 0.9 }
                    logits[2] += 0.15   // a mild long bias, as rising markets give
                    let m = logits.max()!
                    let e = logits.map { exp($0 - m) }
                    let s = e.reduce(0, +)
                    out.append(Event(symbol: symbol, horizon: h, eventTime: ts, kind: .prediction(model: model, probabilities: e.map { $0 / s })))
                }
                pendingLabels.append((t + h, Event(symbol: symbol, horizon: h, eventTime: ts,
                                                   kind: .label(classIndex: truth, forwardReturn: ret, exitTime: ts + Int64(h) * stepNanoseconds))))
            }
        }
        return out
    }

    private mutating func sampleClass() -> Int {
        let u = rng.nextUnitInterval()
        return u < 0.28 ? 0 : (u < 0.62 ? 1 : 2)
    }

    private mutating func gaussian() -> Double {
        let u1 = max(rng.nextUnitInterval(), 1e-300), u2 = rng.nextUnitInterval()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
