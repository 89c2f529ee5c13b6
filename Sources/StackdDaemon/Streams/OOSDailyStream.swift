import Foundation
import StackdLearning

/// Turns a folder in the `oos-daily` format into the stream a live deployment would have seen:
/// at each timestamp, every model's prediction for every (symbol, horizon), then the labels that
/// became known at that timestamp (their `exit_timestamp`). A label is therefore usable only by
/// retrains after its exit time — the purge rule of the reference walk-forward.
public enum OOSDailyStream {
    public struct Loaded: Sendable {
        public var events: [StreamEvent]
        public var models: [String]
        public var horizons: [Int]
        public var symbols: [String]
    }

    /// Reads `preds_h{H}.csv` and `labels_h{H}.csv` for every horizon present in `directory`.
    public static func load(directory: String, horizons requested: [Int]? = nil) throws -> Loaded {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let available = files.compactMap { name -> Int? in
            guard name.hasPrefix("preds_h"), name.hasSuffix(".csv") else { return nil }
            return Int(name.dropFirst(7).dropLast(4))
        }.sorted()
        let horizons = requested ?? available
        guard !horizons.isEmpty else { throw StreamLoadError("\(directory): no preds_h{H}.csv files") }
        var predictions: [(Int64, Int, StreamEvent)] = []
        var labels: [(Int64, Int, StreamEvent)] = []
        var models: [String] = []
        var symbols = Set<String>()
        for h in horizons {
            let preds = try String(contentsOfFile: "\(directory)/preds_h\(h).csv", encoding: .utf8)
            let labs = try String(contentsOfFile: "\(directory)/labels_h\(h).csv", encoding: .utf8)
            let dataset = try OOSDailyDataset(horizon: h, predictions: preds, labels: labs)
            models = dataset.models
            for e in dataset.events {
                symbols.insert(e.symbol)
                for (j, m) in dataset.models.enumerated() {
                    predictions.append((e.timestamp, 0, StreamEvent(
                        symbol: e.symbol, horizon: h, eventTime: e.timestamp,
                        kind: .prediction(model: m, probabilities: Array(e.probabilities[3 * j ..< 3 * j + 3])))))
                }
                labels.append((e.exitTimestamp, 1, StreamEvent(
                    symbol: e.symbol, horizon: h, eventTime: e.timestamp,
                    kind: .label(classIndex: e.classIndex, forwardReturn: e.forwardReturn, exitTime: e.exitTimestamp))))
            }
        }
        // Delivery time, then predictions before labels, then a stable order within each.
        let all = (labels + predictions).enumerated().sorted {
            ($0.element.0, $0.element.1, $0.offset) < ($1.element.0, $1.element.1, $1.offset)
        }
        return Loaded(events: all.map { $0.element.2 }, models: models, horizons: horizons, symbols: symbols.sorted())
    }
}

public struct StreamLoadError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
