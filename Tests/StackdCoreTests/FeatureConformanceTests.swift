import StackdCore
import StackdTestSupport
import XCTest

/// Stacking features computed by the live pipeline equal the reference implementation's
/// (`../shared/reference/golden/features_ext_h5.csv`, produced by reference.py with numpy).
final class FeatureConformanceTests: XCTestCase {
    func testExtendedFeaturesMatchReferenceRowForRow() throws {
        let preds = try SharedData.csv("data/oos-daily/preds_h5.csv")
        let golden = try SharedData.csv("reference/golden/features_ext_h5.csv")
        let pipeline = try StackingPipeline(configuration: PipelineConfiguration(
            models: ["xgb", "mlp", "logreg", "lgbm"], horizons: [5], maxPendingRows: 1024))
        XCTAssertEqual(pipeline.layout.names, Array(golden.header[2 ..< 2 + 33]))
        var collector = OutputRecorder()
        for (i, r) in preds.rows.enumerated() {
            // timestamp,symbol,horizon,model,p_short,p_neutral,p_long; sent as JSON like a Python client would.
            let json = WireEncoder.jsonPrediction(
                model: r[3], symbol: r[1], horizon: Int(r[2])!, eventTime: try XCTUnwrap(SharedData.nanoseconds(r[0]), r[0]),
                sequence: UInt64(i + 1), probabilities: [Double(r[4])!, Double(r[5])!, Double(r[6])!])
            var bytes = Array(json.utf8)
            let outcome = bytes.withUnsafeMutableBytes {
                pipeline.ingest(topic: nil, payload: UnsafeRawBufferPointer($0), receivedAt: Int64(i), handler: &collector)
            }
            XCTAssertEqual(outcome, .prediction, "row \(i + 2) of preds_h5.csv")
        }
        XCTAssertEqual(pipeline.pendingRows, 0)
        var rows: [String: [Double]] = [:]
        for o in collector.outputs { rows["\(o.eventTime)|\(o.symbol)"] = o.features }
        XCTAssertEqual(rows.count, golden.rows.count)
        var worst = 0.0
        for g in golden.rows {
            let key = "\(try XCTUnwrap(SharedData.nanoseconds(g[0]), g[0]))|\(g[1])"
            guard let mine = rows[key] else { XCTFail("no output for \(g[0]) \(g[1])"); continue }
            for j in 0..<33 {
                let d = abs(mine[j] - Double(g[2 + j])!)
                worst = max(worst, d)
                if d > 1e-9 { XCTFail("\(g[0]) \(g[1]) \(golden.header[2 + j]): \(mine[j]) vs \(g[2 + j])"); return }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-9)
    }
}
