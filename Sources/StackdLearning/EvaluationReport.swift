/// Every metric of one method on one evaluation set, in one value.
///
/// Backtest reports and the reference tables show the same row of numbers per method; computing
/// them together guarantees they describe the same rows and the same predicted classes.
public struct EvaluationReport: Sendable, Equatable, Codable {
    /// Rows evaluated.
    public var rows: Int
    /// Macro F1 over the K classes (absent classes count as 0).
    public var f1Macro: Double
    /// Share of rows whose arg-max class is the true class.
    public var accuracy: Double
    /// mean(−ln max(p_true, 1e-15)).
    public var logLoss: Double
    /// Multiclass Brier score.
    public var brier: Double
    /// Annualised Sharpe of trading the arg-max class (see `Metrics.sharpe`).
    public var sharpe: Double
    /// Spearman correlation of P(long) − P(short) with the forward return.
    public var informationCoefficient: Double
    /// Share of traded rows with positive P&L.
    public var winRate: Double
    /// ECE per class index (K = 3: short, neutral, long).
    public var ece: [Double]
    /// Reliability curve per class index.
    public var reliability: [[ReliabilityBin]]
    /// Share of rows predicted short (the lowest class).
    public var fracShort: Double
    /// Share of rows predicted long (the highest class).
    public var fracLong: Double

    /// Evaluates K-class probabilities (K = `P.cols` ≥ 2) against class-index labels and forward
    /// returns at horizon h; positions as `Metrics.position(ofClass:classCount:)`.
    public init(probabilities P: Matrix, labels y: [Int], forwardReturns: [Double], horizon: Int, bins: Int = 10) {
        precondition(P.cols >= 2, "EvaluationReport expects at least 2 classes")
        let k = P.cols
        let pred = Metrics.predictedClasses(P)
        rows = y.count
        f1Macro = Metrics.macroF1(predicted: pred, actual: y, classes: k)
        accuracy = Metrics.accuracy(predicted: pred, actual: y)
        logLoss = Metrics.logLoss(probabilities: P, labels: y)
        brier = Metrics.brierScore(probabilities: P, labels: y)
        sharpe = Metrics.sharpe(predicted: pred, forwardReturns: forwardReturns, horizon: horizon, classCount: k)
        informationCoefficient = Metrics.informationCoefficient(probabilities: P, forwardReturns: forwardReturns)
        winRate = Metrics.winRate(predicted: pred, forwardReturns: forwardReturns, classCount: k)
        reliability = (0..<k).map { Metrics.reliabilityCurve(probabilities: P, labels: y, class: $0, bins: bins) }
        ece = (0..<k).map { Metrics.expectedCalibrationError(probabilities: P, labels: y, class: $0, bins: bins) }
        let n = Double(max(1, pred.count))
        fracShort = Double(pred.filter { $0 == 0 }.count) / n
        fracLong = Double(pred.filter { $0 == k - 1 }.count) / n
    }
}
