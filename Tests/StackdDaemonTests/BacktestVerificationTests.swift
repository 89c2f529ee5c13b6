import Foundation
@testable import StackdDaemon
@testable import StackdReport
import StackdTestSupport
import XCTest

/// The real `stackd` binary on real data, without flags beyond the folder: `stackd replay` (with
/// the embedded configuration's retraining) writes the report and the per-row outputs, and
/// `scripts/verify_backtest.py` (numpy only, no shared code) recomputes every verdict number;
/// a stream where one model misses 5 % of its predictions trains and replays as well.
final class BacktestVerificationTests: XCTestCase {
    static let binary = Repository.stackdBinary
    var scratch: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip("\(Self.binary.path) is not built (swift build --build-tests first)")
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// The first python3 with numpy (on PATH, then the system's), or a failure that says how to get it.
    func numpyPython() throws -> (URL, [String]) {
        for (exe, prefix) in [(URL(fileURLWithPath: "/usr/bin/env"), ["python3"]), (URL(fileURLWithPath: "/usr/bin/python3"), [])] {
            if let probe = try? CapturedProcess.run(exe, prefix + ["-c", "import numpy"], timeout: 60), probe.status == 0 {
                return (exe, prefix)
            }
        }
        XCTFail("no python3 with numpy (scripts/install-deps.sh --for-tests installs python3-numpy)")
        throw XCTSkip("no numpy")
    }

    func testIndependentScriptRecomputesEveryVerdictNumberOnOOSDaily() throws {
        let folder = try ReportFixtures.oosDaily()
        let python = try numpyPython()
        let report = scratch.appendingPathComponent("report"), outputs = scratch.appendingPathComponent("outputs.csv")
        let replay = try CapturedProcess.run(Self.binary, ["replay", folder, "--report", report.path, "--outputs", outputs.path],
                                             timeout: 900)
        XCTAssertFalse(replay.timedOut)
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertFalse(replay.stderr.contains("ETA"), "no progress line when stderr is not a terminal")
        let json = report.appendingPathComponent("backtest.json")
        let script = ReportFixtures.repository.appendingPathComponent("scripts/verify_backtest.py")
        let check = try CapturedProcess.run(python.0, python.1 + [script.path, outputs.path, json.path, "--tolerance", "1e-9"], timeout: 600)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains(", 0 disagreements"), check.stdout)
        // The file follows its schema (jsonschema from the project's .venv, when present).
        let venv = ReportFixtures.repository.appendingPathComponent(".venv/bin/python")
        if FileManager.default.isExecutableFile(atPath: venv.path) {
            let schema = ReportFixtures.repository.appendingPathComponent("schemas/backtest.schema.json")
            let code = "import json,sys; from jsonschema import Draft202012Validator as V; "
                + "e=list(V(json.load(open(sys.argv[1]))).iter_errors(json.load(open(sys.argv[2])))); "
                + "[print(x.message[:300], list(x.path)) for x in e[:5]]; sys.exit(1 if e else 0)"
            let valid = try CapturedProcess.run(venv, ["-c", code, schema.path, json.path], timeout: 120)
            XCTAssertEqual(valid.status, 0, "backtest.json does not follow schemas/backtest.schema.json:\n" + valid.stdout + valid.stderr)
        }
        // The check can fail: one standard error off by 1e-6 is caught.
        let text = try String(contentsOf: json, encoding: .utf8)
        let tampered = scratch.appendingPathComponent("tampered.json")
        let se = try XCTUnwrap(text.range(of: #""standardError" : 0\.0\d+"#, options: .regularExpression))
        let original = try XCTUnwrap(Double(text[se].split(separator: ":")[1].trimmingCharacters(in: .whitespaces)))
        try text.replacingCharacters(in: se, with: "\"standardError\" : \(original + 1e-6)").write(to: tampered, atomically: true, encoding: .utf8)
        let caught = try CapturedProcess.run(python.0, python.1 + [script.path, outputs.path, tampered.path], timeout: 600)
        XCTAssertEqual(caught.status, 1, caught.stdout + caught.stderr)
        XCTAssertTrue(caught.stdout.contains("SE"), caught.stdout)

        // The verdict is on the held-out window, with standard errors, and names the class prior
        // wherever it has the best log-loss.
        let parsed = try BacktestReport.decode(Data(contentsOf: json))
        XCTAssertEqual(parsed.horizons.map(\.horizon), [5, 10, 15, 20])
        for h in parsed.horizons {
            let ev = try XCTUnwrap(h.evaluation, "h=\(h.horizon)")
            XCTAssertGreaterThan(ev.warmupRows, ev.rows, "h=\(h.horizon): the window is the last 20 % of event time")
            XCTAssertEqual(ev.comparisons.count, 15)
            XCTAssertTrue(ev.comparisons.contains { $0.standardError > 0 })
            let verdict = try XCTUnwrap(BacktestVerdict(h))
            let logLoss = try XCTUnwrap(verdict.lines.first { $0.metric == .logLoss })
            let prior = try XCTUnwrap(logLoss.comparisons.first { $0.baseline == "class_prior" })
            // What stackd served (learned models and fallbacks) is never worse than knowing nothing
            // by more than 2 SE: the fallback is the prior (or a blend) whenever averaging is worse.
            XCTAssertNotEqual(prior.verdict, "loses", "h=\(h.horizon): \(prior)")
            let values = [logLoss.ensembleValue] + logLoss.comparisons.map(\.baselineValue)
            if prior.baselineValue == values.min() {
                XCTAssertTrue(logLoss.best.contains("class prior"), "h=\(h.horizon)")
                XCTAssertTrue(replay.stdout.contains("best class prior"), replay.stdout)
            }
        }
    }

    func testAMalformedRowIsRefusedWithItsPathAndLine() throws {
        let dir = scratch.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "timestamp,symbol,horizon,model,p_short,p_neutral,p_long\n2020-01-02,SPX,5,a,0.2,0.3,0.5\n2020-01-03,SPX,5,a,0.2,x,0.5\n"
            .write(to: dir.appendingPathComponent("preds_h5.csv"), atomically: true, encoding: .utf8)
        try "timestamp,symbol,horizon,label,fwd_return,exit_timestamp\n2020-01-02,SPX,5,1,0.01,2020-01-09\n"
            .write(to: dir.appendingPathComponent("labels_h5.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try OOSDailyStream.load(directory: dir.path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.appendingPathComponent("preds_h5.csv").path + ":3: "), "\(error)")
        }
        for command in [["replay", dir.path], ["train", dir.path, "--out", scratch.appendingPathComponent("out").path]] {
            let run = try CapturedProcess.run(Self.binary, command, timeout: 120)
            XCTAssertNotEqual(run.status, 0)
            XCTAssertTrue(run.stderr.contains(dir.appendingPathComponent("preds_h5.csv").path + ":3: "), "\(command[0]): \(run.stderr)")
        }
    }

    func testAModelMissingFivePercentOfItsPredictionsTrainsAndReplays() throws {
        let source = try ReportFixtures.oosDaily()
        // h = 5 only; model "mlp" drops every 20th of its rows (5 %).
        let data = scratch.appendingPathComponent("gappy")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let preds = try String(contentsOfFile: "\(source)/preds_h5.csv", encoding: .utf8).split(separator: "\n")
        var kept: [Substring] = [preds[0]], mlp = 0, dropped = 0
        for line in preds.dropFirst() {
            if line.split(separator: ",")[3] == "mlp" {
                mlp += 1
                if mlp % 20 == 0 { dropped += 1; continue }
            }
            kept.append(line)
        }
        XCTAssertGreaterThan(dropped, 600)
        try (kept.joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("preds_h5.csv"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: "\(source)/labels_h5.csv", toPath: data.appendingPathComponent("labels_h5.csv").path)

        let out = scratch.appendingPathComponent("artifacts")
        let train = try CapturedProcess.run(Self.binary, ["train", data.path, "--out", out.path], timeout: 900)
        XCTAssertEqual(train.status, 0, train.stdout + train.stderr)
        XCTAssertTrue(train.stdout.contains("h5: \(dropped) of "), train.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("h5/model.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("h10").path), "horizons come from the files")

        let report = scratch.appendingPathComponent("report")
        let replay = try CapturedProcess.run(Self.binary, ["replay", data.path, "--report", report.path], timeout: 900)
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        let parsed = try BacktestReport.decode(Data(contentsOf: report.appendingPathComponent("backtest.json")))
        XCTAssertEqual(parsed.horizons.map(\.horizon), [5])
        // Every event is emitted (at its deadline when mlp is missing) and labelled.
        XCTAssertEqual(parsed.horizons[0].rows, mlp, "one event per original mlp row, each labelled once")
        XCTAssertGreaterThan(parsed.counters.rowsEmitted["deadline", default: 0] + parsed.counters.rowsEmitted["drained", default: 0]
                             + parsed.counters.rowsEmitted["evicted", default: 0], 0)
    }
}
