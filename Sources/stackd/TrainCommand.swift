import ArgumentParser
import Foundation
import StackdLearning
import StackdTraining

/// `stackd train`: offline training of the meta-learners from a recorded out-of-sample stream.
///
/// Reading the CSV files happens here (the training module does no I/O beyond its artifacts).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and select the meta-learner per horizon from an oos-daily folder and write the artifacts.",
        discussion: "Reads preds_h{H}.csv, labels_h{H}.csv and (if present) regimes.csv. A learned model is only chosen when it beats simple averaging and the best single model on the validation rows.")

    @Option(help: "Folder in the oos-daily format.")
    var data: String

    @Option(help: "Output folder for the artifacts (hN/ per horizon, ensemble_summary.json).")
    var out: String

    @Option(help: "Comma-separated horizons.")
    var horizons: String = "5,10,15,20"

    @Option(help: "Promotion metric: log_loss, f1_macro, sharpe or brier.")
    var metric: String = "log_loss"

    func run() throws {
        guard let metric = PromotionMetric(rawValue: metric) else {
            throw ValidationError("unknown metric '\(self.metric)' (use \(PromotionMetric.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let hs = try horizons.split(separator: ",").map { part -> Int in
            guard let h = Int(part.trimmingCharacters(in: .whitespaces)), h > 0 else {
                throw ValidationError("bad horizon '\(part)' in --horizons")
            }
            return h
        }
        func read(_ name: String) throws -> String {
            let path = (data as NSString).appendingPathComponent(name)
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(path): \(error.localizedDescription)")
            }
        }
        let regimesPath = (data as NSString).appendingPathComponent("regimes.csv")
        let regimes = FileManager.default.fileExists(atPath: regimesPath) ? try read("regimes.csv") : nil
        let configuration = TrainingConfiguration(metric: metric)
        var outcomes: [TrainingOutcome] = []
        for h in hs {
            let dataset: OOSDailyDataset
            do {
                dataset = try OOSDailyDataset(horizon: h, predictions: read("preds_h\(h).csv"), labels: read("labels_h\(h).csv"),
                                              regimes: regimes)
            } catch let e as OOSDailyParseError {
                throw ValidationError("\((data as NSString).appendingPathComponent(e.file)):\(e.line): \(e.message)")
            }
            let outcome = try MetaTrainer.train(rows: TrainingRows(dataset: dataset), horizon: h, configuration: configuration)
            try ArtifactWriter.write(outcome, to: out)
            print(ComparisonTable.render(outcome))
            outcomes.append(outcome)
        }
        let summary = try ArtifactWriter.writeSummary(outcomes, to: out)
        print("wrote \(summary) and \(hs.map { "h\($0)/" }.joined(separator: ", ")) in \(out)")
    }
}
