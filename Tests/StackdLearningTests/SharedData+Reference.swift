import Foundation
import StackdTestSupport
import XCTest
@testable import StackdLearning

/// The learning tests' readings of the reference data (`StackdTestSupport.SharedData` locates it).
extension SharedData {
    static func dataset(horizon h: Int, regimes: Bool = false) throws -> OOSDailyDataset {
        try OOSDailyDataset(horizon: h, predictions: text("data/oos-daily/preds_h\(h).csv"),
                            labels: text("data/oos-daily/labels_h\(h).csv"),
                            regimes: regimes ? text("data/oos-daily/regimes.csv") : nil)
    }

    static func referenceLR(horizon h: Int, tag: String) throws -> (objective: Double, coef: [[Double]], intercept: [Double]) {
        let root = try json("reference/golden/meta_lr_coef_h\(h).json") as! [String: Any]
        let t = root[tag] as! [String: Any]
        return (t["objective"] as! Double, t["coef"] as! [[Double]], t["intercept"] as! [Double])
    }

    /// A numeric CSV with two leading key columns (timestamp, symbol): returns keys and the matrix.
    static func keyedMatrix(_ relative: String) throws -> (header: [String], keys: [(String, String)], X: Matrix) {
        let scanner = CSVScanner(text: try text(relative), fileName: relative)
        var header: [String] = []
        var keys: [(String, String)] = []
        var values: [Double] = []
        try scanner.forEachLine { line, f in
            if line == 1 { header = f.map { scanner.string($0) }; return }
            keys.append((scanner.string(f[0]), scanner.string(f[1])))
            for r in f.dropFirst(2) { values.append(try scanner.double(r, line: line, column: "")) }
        }
        return (header, keys, Matrix(rows: keys.count, cols: header.count - 2, storage: values))
    }
}

/// Asserts that every listed metric of `report` equals the reference row to 4 decimals.
func assertMatchesReference(_ report: EvaluationReport, _ ref: [String: Double], _ label: String,
                            keys: [String] = ["f1_macro", "accuracy", "log_loss", "sharpe",
                                              "ece_short", "ece_neutral", "ece_long", "frac_short", "frac_long"],
                            accuracy: Double = 5e-5, file: StaticString = #filePath, line: UInt = #line) {
    let mine: [String: Double] = [
        "f1_macro": report.f1Macro, "accuracy": report.accuracy, "log_loss": report.logLoss,
        "sharpe": report.sharpe, "ece_short": report.ece[0], "ece_neutral": report.ece[1],
        "ece_long": report.ece[2], "frac_short": report.fracShort, "frac_long": report.fracLong,
    ]
    for k in keys {
        guard let r = ref[k], let m = mine[k] else { XCTFail("\(label): no \(k)", file: file, line: line); continue }
        XCTAssertEqual(m, r, accuracy: accuracy, "\(label) \(k)", file: file, line: line)
    }
}
