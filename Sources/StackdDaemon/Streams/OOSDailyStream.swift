import Foundation
import StackdLearning

/// Turns a folder in the `oos-daily` format into the stream a live deployment would have seen:
/// at each timestamp, every model's prediction for every (symbol, horizon), then the labels that
/// became known at that timestamp (their `exit_timestamp`). A label is therefore usable only by
/// retrains after its exit time — the purge rule of the reference walk-forward. With regime names,
/// each (symbol, timestamp) that has a prediction first gets its regime message from
/// `regimes.csv` (regimes are known at the bar, before the models publish).
public enum OOSDailyStream {
    public struct Loaded: Sendable {
        public var events: [StreamEvent]
        public var models: [String]
        public var horizons: [Int]
        public var symbols: [String]
    }

    /// Reads `preds_h{H}.csv` and `labels_h{H}.csv` for every horizon present in `directory` (or
    /// the `requested` ones). A model missing from an event simply publishes nothing for it.
    /// `regimeNames` non-empty: also the regime messages of those `regimes.csv` columns (the file
    /// must exist); a (symbol, timestamp) without a regime row publishes none (imputed live).
    public static func load(directory: String, horizons requested: [Int]? = nil, regimeNames: [String] = []) throws -> Loaded {
        let horizons = requested ?? Self.horizons(in: directory)
        guard !horizons.isEmpty else { throw StreamLoadError("\(directory): no preds_h{H}.csv files") }
        var predictions: [(Int64, Int, StreamEvent)] = []
        var labels: [(Int64, Int, StreamEvent)] = []
        var models: [String] = []
        var symbols = Set<String>()
        for h in horizons {
            let preds = try String(contentsOfFile: "\(directory)/preds_h\(h).csv", encoding: .utf8)
            let labs = try String(contentsOfFile: "\(directory)/labels_h\(h).csv", encoding: .utf8)
            let dataset: OOSDailyDataset
            do {
                dataset = try OOSDailyDataset(horizon: h, predictions: preds, labels: labs)
            } catch let e as OOSDailyParseError {
                // The full path, so the message is `FILE:LINE: what` for any terminal or editor.
                throw StreamLoadError("\((directory as NSString).appendingPathComponent(e.file)):\(e.line): \(e.message)")
            }
            models = dataset.models
            for e in dataset.events {
                symbols.insert(e.symbol)
                // Only the models that predicted the event publish (a gap stays a gap: the pipeline's
                // assembler imputes it at the deadline, as live).
                for (j, m) in dataset.models.enumerated() where e.presentMask & (UInt64(1) << UInt64(j)) != 0 {
                    predictions.append((e.timestamp, 0, StreamEvent(
                        symbol: e.symbol, horizon: h, eventTime: e.timestamp,
                        kind: .prediction(model: m, probabilities: Array(e.probabilities[3 * j ..< 3 * j + 3])))))
                }
                labels.append((e.exitTimestamp, 1, StreamEvent(
                    symbol: e.symbol, horizon: h, eventTime: e.timestamp,
                    kind: .label(classIndex: e.classIndex, forwardReturn: e.forwardReturn, exitTime: e.exitTimestamp))))
            }
        }
        var regimes: [(Int64, Int, StreamEvent)] = []
        if !regimeNames.isEmpty {
            var predicted = Set<String>()
            for p in predictions { predicted.insert("\(p.2.symbol)\u{0}\(p.0)") }
            let path = (directory as NSString).appendingPathComponent("regimes.csv")
            for r in try RegimeCSV.read(path: path, names: regimeNames) where predicted.contains("\(r.symbol)\u{0}\(r.eventTime)") {
                regimes.append((r.eventTime, -1, StreamEvent(symbol: r.symbol, horizon: 0, eventTime: r.eventTime,
                                                             kind: .regime(values: r.values))))
            }
        }
        // Delivery time, then regimes before predictions before labels, then a stable order within each.
        let all = (labels + predictions + regimes).enumerated().sorted {
            ($0.element.0, $0.element.1, $0.offset) < ($1.element.0, $1.element.1, $1.offset)
        }
        return Loaded(events: all.map { $0.element.2 }, models: models, horizons: horizons, symbols: symbols.sorted())
    }
}

extension OOSDailyStream {
    /// The horizons of the `preds_h{H}.csv` files in `directory`, ascending (empty when none or
    /// unreadable): what `stackd train` and `stackd replay` use when no horizons are given.
    package static func horizons(in directory: String) -> [Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.compactMap { name -> Int? in
            guard name.hasPrefix("preds_h"), name.hasSuffix(".csv"), let h = Int(name.dropFirst(7).dropLast(4)), h > 0
            else { return nil }
            return h
        }.sorted()
    }
}

package struct StreamLoadError: Error, CustomStringConvertible {
    package var description: String
    package init(_ d: String) { description = d }
}
