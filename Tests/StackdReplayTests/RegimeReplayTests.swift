import Foundation
import StackdCore
@testable import StackdDaemon
@testable import StackdReplay
import StackdTestSupport
import XCTest

/// Replay of an oos-daily folder with `regimes.names`: `regimes.csv` becomes regime messages in
/// event order (before each bar's predictions), they go through the same decoding and assembly as
/// live, and the features of every emitted row are the reference's ext+regime matrix
/// (`../shared/reference/golden/features_ext_h5.csv`, 35 columns).
final class RegimeReplayTests: XCTestCase {
    static var shared: URL { SharedData.root }

    func testReplayedRegimesGiveTheReferenceExtRegimeFeatures() throws {
        let data = Self.shared.appendingPathComponent("data/oos-daily")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("regimes.csv").path) else {
            throw XCTSkip("\(data.path) is absent (set STACKD_SHARED)")
        }
        let names = ["vol_regime", "trend_regime"]
        let loaded = try OOSDailyStream.load(directory: data.path, horizons: [5], regimeNames: names)
        var regimeEvents = 0
        for e in loaded.events { if case .regime = e.kind { regimeEvents += 1 } }
        var configuration = PipelineConfiguration(models: loaded.models, horizons: [5], deadlineNanoseconds: 1)
        configuration.regimeNames = names
        let pipeline = try StackingPipeline(configuration: configuration)
        XCTAssertEqual(pipeline.layout.count, 35)
        var handler = OutputRecorder()
        var topic = [UInt8](repeating: 0, count: 256), payload = [UInt8](repeating: 0, count: 1024)
        for e in loaded.events {
            let (t, p, at) = StreamEncoding.encode(e, classCount: 3, topic: &topic, payload: &payload)
            pipeline.advance(to: at, handler: &handler)
            let outcome = topic.withUnsafeBytes { tb in
                payload.withUnsafeBytes { pb in
                    pipeline.ingest(topic: UnsafeRawBufferPointer(rebasing: tb[0..<t]), payload: UnsafeRawBufferPointer(rebasing: pb[0..<p]),
                                    receivedAt: at, handler: &handler)
                }
            }
            if case .rejected(let r) = outcome { XCTFail("\(e): \(r.reason) \(r.detail)"); break }
        }
        pipeline.drain(handler: &handler)
        XCTAssertEqual(pipeline.counters.regimesAccepted, regimeEvents)
        XCTAssertEqual(pipeline.counters.rowsWithoutRegime, 0)
        XCTAssertEqual(pipeline.counters.regimesUnused, 0)

        // The golden matrix, keyed by (symbol, event time).
        let lines = try String(contentsOf: Self.shared.appendingPathComponent("reference/golden/features_ext_h5.csv"), encoding: .utf8)
            .split(separator: "\n")
        XCTAssertEqual(lines[0].split(separator: ",").dropFirst(2).map(String.init), pipeline.layout.names)
        var features: [String: [Double]] = [:]
        for o in handler.outputs { features["\(o.symbol) \(o.eventTime)"] = o.features }
        XCTAssertEqual(features.count, lines.count - 1)
        XCTAssertEqual(regimeEvents, lines.count - 1, "one regime per predicted (symbol, time)")
        var worst = 0.0, compared = 0
        for line in lines.dropFirst() {
            let f = line.split(separator: ",")
            let ts = try XCTUnwrap(CivilDateParsing.epochNanoseconds(String(f[0])))
            guard let mine = features["\(f[1]) \(ts)"] else { XCTFail("no row for \(f[0]) \(f[1])"); continue }
            for (j, text) in f.dropFirst(2).enumerated() {
                let want = try XCTUnwrap(Double(text))
                worst = max(worst, abs(mine[j] - want))
                if j >= 33 { XCTAssertEqual(mine[j], want, "regime column \(j) of \(f[0]) \(f[1])") }
            }
            compared += 1
        }
        XCTAssertEqual(compared, lines.count - 1)
        // The golden file is written with 10 significant digits.
        XCTAssertLessThan(worst, 1e-8)
        print("[regimes] replayed h5 rows: \(compared), worst |Δ feature| vs golden ext+regime = \(worst)")
    }

    /// `stackd replay` with a configuration naming regimes: every bar's regime joins its rows (all
    /// complete, none rejected), and the events replayed include one regime per predicted bar.
    func testReplayCommandJoinsRegimesCSVWhenTheConfigurationNamesRegimes() throws {
        let data = Self.shared.appendingPathComponent("data/oos-daily")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("regimes.csv").path) else {
            throw XCTSkip("\(data.path) is absent (set STACKD_SHARED)")
        }
        let binary = Repository.stackdBinary
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-regime-replay-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("stackd.toml")
        try """
            [models]
            names = ["lgbm", "logreg", "mlp", "xgb"]
            [stream]
            horizons = [5]
            [regimes]
            names = ["vol_regime", "trend_regime"]
            [input]
            bind = ["ipc://\(scratch.path)/in.sock"]
            [output]
            bind = ["ipc://\(scratch.path)/out.sock"]
            [monitoring]
            enabled = false
            """.write(to: config, atomically: true, encoding: .utf8)
        let report = scratch.appendingPathComponent("report")
        let run = try CapturedProcess.run(binary, ["replay", data.path, "--config", config.path, "--report", report.path, "--quiet"],
                                          timeout: 600)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report.appendingPathComponent("backtest.json"))) as? [String: Any])
        let counters = try XCTUnwrap(json["counters"] as? [String: Any])
        let emitted = try XCTUnwrap(counters["rowsEmitted"] as? [String: Int])
        XCTAssertEqual(counters["totalRejected"] as? Int, 0)
        // A row waits for its regime: complete means the regime was there.
        XCTAssertEqual(emitted["complete"], counters["labelsMatched"] as? Int)
        XCTAssertEqual(emitted["deadline"], 0)
        let predictions = try XCTUnwrap(counters["predictionsAccepted"] as? Int), labels = try XCTUnwrap(counters["labelsAccepted"] as? Int)
        XCTAssertEqual(json["events"] as? Int, predictions + 2 * labels, "predictions, labels and one regime per bar")
    }

    func testRegimesCSVErrorsNameTheFileAndLine() {
        func message(_ text: String) -> String {
            do { _ = try RegimeCSV.parse(text, names: ["vol_regime", "trend_regime"], file: "r.csv"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("timestamp,symbol,vol_regime\n"), "r.csv:1: missing column 'trend_regime' (regimes.names)")
        XCTAssertEqual(message("timestamp,symbol,vol_regime,trend_regime\n2020-01-02,SPX,1,x\n"),
                       "r.csv:2: trend_regime: not an integer in -128...127: 'x'")
        XCTAssertEqual(message("timestamp,symbol,vol_regime,trend_regime\n2020-01-02,SPX,200,0\n"),
                       "r.csv:2: vol_regime: not an integer in -128...127: '200'")
        XCTAssertEqual(message("timestamp,symbol,vol_regime,trend_regime\n2020-01-02,SPX,1,0\n2020-01-02,SPX,0,0\n"),
                       "r.csv:3: duplicate regime row for this event")
        XCTAssertEqual(message("timestamp,symbol,vol_regime,trend_regime\n2020-13-02,SPX,1,0\n"),
                       "r.csv:2: timestamp: not a YYYY-MM-DD date: '2020-13-02'")
        XCTAssertEqual(message("timestamp,symbol,vol_regime,trend_regime\n2020-01-02,SPX,1\n"), "r.csv:2: 3 fields, the header has 4")
        XCTAssertEqual(message(""), "r.csv: empty file (no header)")
        // Columns are found by name, in any order, extra columns ignored.
        let rows = try? RegimeCSV.parse("symbol,rv,trend_regime,timestamp,vol_regime\nSPX,0.1,-1,2020-01-02,1\n",
                                        names: ["vol_regime", "trend_regime"], file: "r.csv")
        XCTAssertEqual(rows?.map(\.values), [[1, -1]])
        XCTAssertEqual(rows?.first?.symbol, "SPX")
    }
}

/// Dates of the golden files, parsed independently of the code under test's CSV reader.
enum CivilDateParsing {
    static func epochNanoseconds(_ s: String) -> Int64? {
        let parts = s.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var c = DateComponents()
        c.year = parts[0]; c.month = parts[1]; c.day = parts[2]
        c.timeZone = TimeZone(identifier: "UTC")
        guard let date = Calendar(identifier: .gregorian).date(from: c) else { return nil }
        return Int64(date.timeIntervalSince1970) * 1_000_000_000
    }
}
