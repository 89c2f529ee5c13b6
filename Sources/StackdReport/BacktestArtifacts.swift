import Foundation

/// The report and the chart series of one replay, and how they are written to disk.
///
/// Both come from the same `LabelledMatrices`, built once, so the tables and the charts
/// describe the same rows.
public struct BacktestArtifacts: Sendable {
    public var report: BacktestReport
    public var charts: [HorizonCharts]

    public init(result: ReplayResult, source: String, window: EvaluationWindow = .standard) {
        let matrices = LabelledMatrices.all(result)
        let report = BacktestReport(result: result, source: source, matrices: matrices, window: window)
        self.report = report
        charts = zip(matrices, report.horizons).map { m, hr in
            HorizonCharts(m, report: hr, predictors: HeldOutPredictors(m, window: window), alerts: result.alerts,
                          weights: result.modelWeights, contributions: result.contributions.first { $0.horizon == m.horizon })
        }
    }

    public var html: String { HTMLReport.render(report, charts: charts) }

    /// Writes `backtest.json` and `report.html` into `directory` (created if needed). Each file is
    /// written to a temporary name and renamed, so a reader never sees half a report.
    /// - Returns: the two paths written.
    @discardableResult
    public func write(to directory: String) throws -> (json: String, html: String) {
        let dir = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let json = dir.appendingPathComponent("backtest.json"), page = dir.appendingPathComponent("report.html")
        try report.jsonData().write(to: json, options: .atomic)
        try Data(html.utf8).write(to: page, options: .atomic)
        return (json.path, page.path)
    }
}
