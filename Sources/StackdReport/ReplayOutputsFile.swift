import Foundation

/// `stackd replay --outputs FILE`: every labelled row of the replay with what each predictor
/// said, so that anyone can recompute the backtest's numbers without stackd
/// (`scripts/verify_backtest.py` does, with numpy only). Format in `schemas/replay-outputs.md`:
///
///     #stackd-replay-outputs v1 models=["lgbm","logreg"]
///     horizon,event_time,exit_time,label,forward_return,model_version,ensemble_0,…,base_0_0,…
///
/// One line per labelled row, horizons in configuration order, rows in the order the replay
/// labelled them; integers in decimal, doubles in Swift's shortest round-trip form (parsed back
/// to the identical value).
public enum ReplayOutputsFile {
    public static let formatVersion = 1

    public static func render(_ result: ReplayResult) -> String {
        let classes = result.classCount
        let modelsJSON = (try? JSONEncoder().encode(result.modelNames)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        var out = "#stackd-replay-outputs v\(formatVersion) models=\(modelsJSON)\n"
        var header = ["horizon", "event_time", "exit_time", "label", "forward_return", "model_version"]
        header += (0..<classes).map { "ensemble_\($0)" }
        for j in result.modelNames.indices { header += (0..<classes).map { "base_\(j)_\($0)" } }
        out += header.joined(separator: ",") + "\n"
        let m = result.modelNames.count
        for (hi, h) in result.horizons.enumerated() where hi < result.labelled.count {
            let r = result.labelled[hi]
            for i in r.labels.indices {
                var line = "\(h),\(r.eventTimes[i]),\(i < r.exitTimes.count ? r.exitTimes[i] : r.eventTimes[i]),\(r.labels[i]),\(r.forwardReturns[i]),\(r.modelVersions[i])"
                for c in 0..<classes { line += ",\(r.ensemble[i * classes + c])" }
                for k in 0..<(m * classes) { line += ",\(r.base[i * m * classes + k])" }
                out += line + "\n"
            }
        }
        return out
    }

    /// Writes the file atomically.
    public static func write(_ result: ReplayResult, to path: String) throws {
        try Data(render(result).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
