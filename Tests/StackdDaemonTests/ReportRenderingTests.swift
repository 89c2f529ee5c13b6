import Foundation
import StackdCore
@testable import StackdReplay
@testable import StackdReport
import StackdTestSupport
import StackdTraining
import XCTest

/// The HTML report: one self-contained file, every chart present, all text escaped, and it
/// really renders in a browser (headless Chromium via `scripts/check-report.sh`).
final class ReportRenderingTests: XCTestCase {
    static let hostile = "<script>alert(\"x\")</script> & 'quote'"

    func testHTMLIsSelfContainedEscapedAndHasEveryChart() throws {
        let result = ReportFixtures.synthetic(rows: 600, horizons: [5, 10], hostile: Self.hostile)
        let html = BacktestArtifacts(result: result, source: "source \(Self.hostile)").html
        for forbidden in ["http://", "https://", "<script", "src=", "@import", "url("] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "report.html must not contain \(forbidden)")
        }
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quote&#39;"))
        XCTAssertFalse(html.contains(Self.hostile))
        // Per horizon section: the charts sit between its heading and the next one.
        let sections = html.components(separatedBy: "<section class=\"horizon\"").dropFirst()
        XCTAssertEqual(sections.count, 2)
        for s in sections {
            XCTAssertEqual(s.components(separatedBy: "<svg").count - 1, HTMLReport.chartsPerHorizon)
            for title in ["cumulative P&amp;L without overlapping holding periods", "cumulative log-loss difference",
                          "ensemble − class prior", "ensemble − averaging", "rolling log-loss", "model version, numbered per horizon",
                          "model weights of the combiner in use",
                          "Evaluation window", "Warm-up (shown, not scored)", "reliability, short",
                          "reliability, neutral", "reliability, long"] {
                XCTAssertTrue(s.contains(title), "missing chart \(title)")
            }
            XCTAssertTrue(s.contains("always long"))
        }
        // The summary comes first, on the held-out window, with a verdict against every baseline.
        let summary = try XCTUnwrap(html.range(of: "who wins"))
        for column in ["vs averaging", "vs best single", "vs class prior", "vs always majority", "vs always long"] {
            XCTAssertTrue(html.contains(column), "summary lacks \(column)")
        }
        XCTAssertLessThan(summary.lowerBound, try XCTUnwrap(html.range(of: "<section")).lowerBound)
        // Retrains and the window start are marked on the time axis (two retrains per horizon, on
        // five time charts).
        XCTAssertEqual(html.components(separatedBy: "stroke-dasharray=\"4 3\"").count - 1, 2 * 5 * 2)
        XCTAssertEqual(html.components(separatedBy: "stroke-dasharray=\"8 2\"").count - 1, 5 * 2)
        // Model weights: one line per model plus the class prior (a prior fallback was installed).
        XCTAssertTrue(html.contains("<title>class prior</title>"))
        // Alerts (two per horizon) on the log-loss charts (cumulative difference and rolling).
        XCTAssertEqual(html.components(separatedBy: "stroke-dasharray=\"1 3\"").count - 1, 2 * 2 * 2)
        // Dates label the time axis.
        XCTAssertTrue(html.contains(">2020-01-01<"))
    }

    /// Every chart of a horizon, one per 340-pixel band, rendered by Chromium: each band must hold
    /// coloured lines or points (`check-report.sh` counts them per band). The same page with the
    /// data drawings removed must fail, so the check can tell a drawn chart from an empty frame.
    func testEveryChartDrawsInHeadlessChromium() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-charts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = BacktestArtifacts(result: ReportFixtures.synthetic(rows: 800, horizons: [5], hostile: "m2"), source: "charts").html
        var charts: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            charts.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        XCTAssertEqual(charts.count, HTMLReport.chartsPerHorizon)
        func page(_ charts: [String]) -> String {
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0} div{height:340px;overflow:hidden}</style></head><body>"
                + charts.map { "<div>\($0)</div>" }.joined() + "</body></html>"
        }
        let script = ReportFixtures.repository.appendingPathComponent("scripts/check-report.sh").path
        func check(_ name: String, _ charts: [String]) throws -> CapturedProcess.Finished {
            let file = dir.appendingPathComponent("\(name).html")
            try page(charts).write(to: file, atomically: true, encoding: .utf8)
            let run = try CapturedProcess.run(URL(fileURLWithPath: "/bin/bash"),
                                              [script, file.path, dir.appendingPathComponent("\(name).png").path, "340", "\(charts.count)"],
                                              timeout: 300)
            XCTAssertFalse(run.timedOut)
            if run.status == 3 { XCTFail("Chromium is not installed (scripts/install-deps.sh --for-tests installs it)") }
            return run
        }
        func counts(_ run: CapturedProcess.Finished) -> [Int] {
            let line = run.stdout.split(separator: "\n").first { $0.contains("coloured pixels per chart:") } ?? ""
            return line.split(separator: ":").last.map { $0.split(separator: " ").compactMap { Int($0) } } ?? []
        }
        let drawn = try check("drawn", charts)
        XCTAssertEqual(drawn.status, 0, drawn.stdout + drawn.stderr)
        // Without the data (polylines, reliability curves and points) each chart is a frame with
        // axes, legend and markers: every drawn chart must have more coloured pixels than that.
        let stripped = charts.map { svg in
            svg.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("<polyline") && !$0.hasPrefix("<circle") }
                .joined(separator: "\n")
        }
        let frames = try check("stripped", stripped)
        let (withData, withoutData) = (counts(drawn), counts(frames))
        XCTAssertEqual(withData.count, charts.count, drawn.stdout)
        XCTAssertEqual(withoutData.count, charts.count, frames.stdout + frames.stderr)
        for (i, (a, b)) in zip(withData, withoutData).enumerated() {
            XCTAssertGreaterThan(a, b, "chart \(i) (\(charts[i].prefix(160))) drew no data in Chromium")
        }
        // The time charts' lines span the whole axis.
        XCTAssertTrue(withData.prefix(5).allSatisfy { $0 >= 1000 }, "\(withData)")
        print("[charts] coloured pixels with data \(withData), frames only \(withoutData)")
    }

    func testReportRendersInHeadlessChromium() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = ReportFixtures.synthetic(rows: 800, horizons: [5, 20], hostile: Self.hostile)
        let paths = try BacktestArtifacts(result: result, source: "synthetic").write(to: dir.path)
        let script = ReportFixtures.repository.appendingPathComponent("scripts/check-report.sh").path
        let png = dir.appendingPathComponent("report.png").path

        // check-report.sh bounds Chromium at 120 s itself; this bound is for the script as a whole.
        let finished = try CapturedProcess.run(URL(fileURLWithPath: "/bin/bash"), [script, paths.html, png], timeout: 300)
        let text = finished.stdout + finished.stderr
        XCTAssertFalse(finished.timedOut, "check-report.sh did not finish:\n\(text)")
        switch finished.status {
        case 0:
            XCTAssertTrue(FileManager.default.fileExists(atPath: png))
            XCTAssertTrue(text.contains("distinct colours"), text)
        case 3:
            XCTFail("Chromium is not installed (scripts/install-deps.sh --for-tests installs it), so the report's rendering is unchecked:\n\(text)")
        default:
            XCTFail("report.html did not render cleanly in headless Chromium (exit \(finished.status)):\n\(text)")
        }
    }
}

extension ReportFixtures {
    /// A deterministic pseudo-random replay result with enough rows for every chart to draw,
    /// a retrain and a fallback per horizon, and hostile text in a model name and a reason.
    static func synthetic(rows n: Int, horizons: [Int], hostile: String) -> ReplayRunner.Result {
        var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> Double { rng.uniform() }
        func vector(_ lean: Int) -> [Double] {
            var v = (0..<3).map { c in 0.2 + next() + (c == lean ? 0.6 : 0) }
            let s = v.reduce(0, +)
            v = v.map { $0 / s }
            return v
        }
        let models = ["m1", hostile, "m3"]
        var labelled: [ReplayRunner.LabelledRows] = []
        var trainings: [TrainingSummary] = []
        var alerts: [Alert] = []
        var weights: [ReplayRunner.ModelWeights] = []
        for h in horizons {
            weights.append(.init(horizon: h, applyFrom: day(Int64(n / 3)), version: 1, models: [0.5, 0.3, 0.2], prior: 0))
            weights.append(.init(horizon: h, applyFrom: day(Int64(2 * n / 3)), version: 2, models: [0.1, 0.1, 0.1], prior: 0.7))
            alerts.append(Alert(kind: .psiDrift, horizon: h, model: "m1", classIndex: 0, statistic: 0.4, threshold: 0.2,
                                eventTime: day(Int64(n / 4)), message: "PSI drift \(hostile)"))
            alerts.append(Alert(kind: .calibration, horizon: h, classIndex: 2, statistic: 0.2, threshold: 0.1,
                                eventTime: day(Int64(n / 2)), message: "calibration"))
            var rows = ReplayRunner.LabelledRows()
            for i in 0..<n {
                let y = Int(next() * 3)
                let r = (Double(y) - 1) * 0.01 + (next() - 0.45) * 0.02
                let base = models.map { _ in vector(next() < 0.45 ? y : Int(next() * 3)) }
                rows.eventTimes.append(day(Int64(i)))
                rows.exitTimes.append(day(Int64(i + h)))
                rows.labels.append(y)
                rows.forwardReturns.append(r)
                rows.base.append(contentsOf: base.flatMap { $0 })
                let avg = (0..<3).map { c in base.map { $0[c] }.reduce(0, +) / 3 }
                let version: UInt32 = i < n / 3 ? 0 : i < 2 * n / 3 ? 1 : 0
                rows.modelVersions.append(version)
                rows.ensemble.append(contentsOf: version == 0 ? avg : vector(y))
            }
            labelled.append(rows)
            var promote = TrainingSummary(TrainingResult(horizon: h, horizonIndex: 0, requestSequence: 1, applyFrom: day(Int64(n / 3)),
                                                         rows: n / 3, decision: .promote, reason: "candidate beat averaging", combiner: nil))
            promote.version = 1
            trainings.append(promote)
            trainings.append(TrainingSummary(TrainingResult(horizon: h, horizonIndex: 0, requestSequence: 2, applyFrom: day(Int64(2 * n / 3)),
                                                            rows: 2 * n / 3, decision: .fallback, reason: "fallback: \(hostile)", combiner: nil)))
        }
        return ReplayRunner.Result(digest: OutputDigest(), counters: PipelineCounters(horizonCount: horizons.count), horizons: horizons,
                                   modelNames: models, labelled: labelled, trainings: trainings, alerts: alerts, modelWeights: weights, events: n * 8,
                                   ingestNanoseconds: 2_000_000_000, trainingNanoseconds: 100_000_000)
    }
}
