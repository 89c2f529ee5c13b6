import Foundation
import StackdLearning
import XCTest
@testable import StackdTraining

/// Access to `../shared` beside the repository; tests skip only when it is absent.
enum SharedData {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared` beside the repository, or `STACKD_SHARED` (a worktree kept elsewhere).
    static let root: URL = ProcessInfo.processInfo.environment["STACKD_SHARED"].map { URL(fileURLWithPath: $0) }
        ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static var dataDirectory: URL { root.appendingPathComponent("data/oos-daily") }

    static func requireRoot() throws -> URL {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("preds_h5.csv").path) else {
            throw XCTSkip("reference data not found at \(root.path) (expected ../shared beside the repository)")
        }
        return root
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: requireRoot().appendingPathComponent(relative), encoding: .utf8)
    }

    static func rows(horizon h: Int, regimes: Bool = true) throws -> TrainingRows {
        TrainingRows(dataset: try OOSDailyDataset(
            horizon: h, predictions: text("data/oos-daily/preds_h\(h).csv"), labels: text("data/oos-daily/labels_h\(h).csv"),
            regimes: regimes ? text("data/oos-daily/regimes.csv") : nil))
    }

    static func referenceMetrics(horizon h: Int, method: String) throws -> [String: Double] {
        let data = try Data(contentsOf: requireRoot().appendingPathComponent("reference/reference_results.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let methods = (root["\(h)"] as! [String: Any])["methods"] as! [[String: Any]]
        guard let row = methods.first(where: { ($0["method"] as? String) == method }) else {
            XCTFail("method \(method) not in reference_results.json"); return [:]
        }
        return row.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}

/// The reference's metric names mapped to a report.
func metricValues(_ r: EvaluationReport) -> [String: Double] {
    ["f1_macro": r.f1Macro, "accuracy": r.accuracy, "log_loss": r.logLoss, "sharpe": r.sharpe,
     "ece_short": r.ece[0], "ece_neutral": r.ece[1], "ece_long": r.ece[2], "frac_short": r.fracShort, "frac_long": r.fracLong]
}
