import ArgumentParser
import Foundation
import StackdDaemon
import StackdLearning
import StackdReport
import StackdTraining

/// `stackd train`: offline training of the meta-learners from a recorded out-of-sample stream.
///
/// Reading the CSV files happens here (the training module does no I/O beyond its artifacts).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and select the meta-learner per horizon from an oos-daily folder and write the artifacts.",
        discussion: "Reads preds_h{H}.csv, labels_h{H}.csv and (if present) regimes.csv for every horizon in the folder (or --horizons). A model missing from an event is imputed as live (the mean of the present models' vectors). A learned model is only chosen when it beats simple averaging, the best single model and the class prior on the validation rows; otherwise the best of averaging, the class prior and their blend is served.")

    @Argument(help: "Folder in the oos-daily format (or --data).")
    var folder: String?

    @Option(name: .customLong("data"), help: "Folder in the oos-daily format (same as the positional folder).")
    var dataOption: String?

    @Option(help: "Output folder for the artifacts (hN/ per horizon, ensemble_summary.json).")
    var out: String = "stackd-artifacts"

    @Option(help: "Comma-separated horizons (default: every preds_h{H}.csv in the folder).")
    var horizons: String?

    @Flag(help: "No progress line on a terminal.")
    var quiet = false

    /// `--data DIR` and the positional folder are the same thing.
    private var data: String { folder ?? dataOption ?? "" }

    func validate() throws {
        if folder != nil && dataOption != nil { throw ValidationError("give the folder once: positional or --data") }
        if folder == nil && dataOption == nil { throw ValidationError("missing the oos-daily folder (stackd train DIR)") }
    }

    @Option(help: "Promotion metric: log_loss, f1_macro, sharpe or brier.")
    var metric: String = "log_loss"

    @Option(help: "Meta-learner: \(MetaLearnerRegistry.names.joined(separator: ", ")) or auto (every registered learner; the best on validation is the candidate).")
    var learner: String = "auto"

    @Option(help: "Feature set the learners read: basic, extended, extended_regime or all.")
    var features: String = "extended"

    @Option(name: .customLong("logistic-c"),
            help: "The logistic learner's C, fitted as given; 0 chooses it from the grid on the newest meta-train rows (default: the daemon's `learner.logistic_c`).")
    var logisticC: Double = DaemonConfiguration.defaultLogisticC

    @Flag(inversion: .prefixedNo, help: "Also try each learner temperature-calibrated (T fitted on the validation rows, judged cross-fitted).")
    var calibration = false

    @Flag(name: .customLong("mix-best-single"), inversion: .prefixedNo,
          help: "Also try each learner mixed with the best single model (weight fitted on the validation rows, judged cross-fitted; default: the daemon's `learner.mix_best_single`).")
    var mixBestSingle = DaemonConfiguration.defaultMixBestSingle

    func run() throws {
        guard let metric = PromotionMetric(rawValue: metric) else {
            throw ValidationError("unknown metric '\(self.metric)' (use \(PromotionMetric.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let hs: [Int]
        if let horizons {
            hs = try horizons.split(separator: ",").map { part -> Int in
                guard let h = Int(part.trimmingCharacters(in: .whitespaces)), h > 0 else {
                    throw ValidationError("bad horizon '\(part)' in --horizons")
                }
                return h
            }
        } else {
            hs = OOSDailyStream.horizons(in: data)
            guard !hs.isEmpty else { throw ValidationError("\(data): no preds_h{H}.csv files") }
        }
        let progress = ProgressLine(label: "train", enabled: !quiet)
        func read(_ name: String) throws -> String {
            let path = (data as NSString).appendingPathComponent(name)
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(path): \(error.localizedDescription)")
            }
        }
        let regimesPath = (data as NSString).appendingPathComponent("regimes.csv")
        let regimes = FileManager.default.fileExists(atPath: regimesPath) ? try read("regimes.csv") : nil
        guard let featureSet = MetaFeatureSet(rawValue: features) else {
            throw ValidationError("unknown feature set '\(features)' (use \(MetaFeatureSet.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let candidates: [CandidateKind]
        if learner == "auto" {
            candidates = CandidateKind.auto(featureSet)
        } else if let l = MetaLearnerRegistry.learner(named: learner) {
            candidates = [CandidateKind(learner: l.name, featureSet: l.featureSet(requested: featureSet))]
        } else {
            throw ValidationError("unknown learner '\(learner)' (use \(MetaLearnerRegistry.names.joined(separator: ", ")) or auto)")
        }
        var configuration = TrainingConfiguration(metric: metric, candidates: candidates)
        configuration.calibrate = calibration
        guard logisticC >= 0, logisticC.isFinite, logisticC <= 1e6 else { throw ValidationError("--logistic-c must be in 0...1e6, got \(logisticC)") }
        configuration.logisticC = logisticC
        configuration.mixBestSingle = mixBestSingle
        var outcomes: [TrainingOutcome] = []
        for (done, h) in hs.enumerated() {
            progress.update(done: done, of: hs.count, unit: "horizons", detail: "h\(h)")
            let dataset: OOSDailyDataset
            do {
                dataset = try OOSDailyDataset(horizon: h, predictions: read("preds_h\(h).csv"), labels: read("labels_h\(h).csv"),
                                              regimes: regimes)
            } catch let e as OOSDailyParseError {
                throw ValidationError("\((data as NSString).appendingPathComponent(e.file)):\(e.line): \(e.message)")
            }
            if dataset.incompleteEvents > 0 {
                progress.clear()
                print("h\(h): \(dataset.incompleteEvents) of \(dataset.events.count) events miss a model (imputed with the mean of the present models, as live)")
            }
            let rows = TrainingRows(dataset: dataset)
            var outcome = try MetaTrainer.train(rows: rows, horizon: h, configuration: configuration.addingRegimeCandidates(for: rows.layout))
            outcome.diversity = DiversityAnalysisDocument.make(rows: rows, trainFraction: configuration.trainFraction)?.applied(outcome.appliedSelection)
            try ArtifactWriter.write(outcome, to: out)
            progress.clear()
            print(ComparisonTable.render(outcome))
            if let d = outcome.diversity { print(d.summaryLine) }
            outcomes.append(outcome)
        }
        progress.finish()
        let summary = try ArtifactWriter.writeSummary(outcomes, to: out)
        print("wrote \(summary) and \(hs.map { "h\($0)/" }.joined(separator: ", ")) in \(out)")
    }
}
