import StackdClock
import StackdCore

/// Renders a ``RunnerSnapshot`` in the Prometheus text exposition format (version 0.0.4).
///
/// Written by hand rather than with swift-prometheus: the daemon's numbers already exist as
/// absolute totals in a snapshot taken by the ingest thread, while a client library's counters
/// are increment-only objects the hot path would have to update (or that a renderer would have
/// to feed deltas), and its summaries compute their own quantiles from observations, whereas
/// the HDR histogram already has them. A pure function of the snapshot is also trivial to test.
package enum MetricsExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Retrain decisions always exported (at 0 until one happens), so rate() works from the start.
    static let decisions = ["promote", "keep", "fallback", "failed"]

    package static func render(_ s: RunnerSnapshot, version: String, nowNanoseconds: UInt64 = MonotonicClock.nanoseconds()) -> String {
        var w = Writer()
        let c = s.counters
        w.family("stackd_build_info", .gauge, "Build information; always 1.")
        w.sample("stackd_build_info", ["version": version], 1)
        w.family("stackd_up", .gauge, "1 while the ingest loop runs, 0 once it has stopped.")
        w.sample("stackd_up", [:], s.running ? 1 : 0)
        w.family("stackd_snapshot_age_seconds", .gauge, "Time since the ingest loop last refreshed its snapshot.")
        w.sample("stackd_snapshot_age_seconds", [:],
                 s.refreshedAtNanoseconds == 0 || nowNanoseconds < s.refreshedAtNanoseconds ? 0
                 : Double(nowNanoseconds - s.refreshedAtNanoseconds) / 1e9)

        w.counter("stackd_messages_received_total", "Messages read from the input socket, valid or not.", s.messagesReceived)
        w.family("stackd_rejected_messages_total", .counter, "Messages rejected, by reason.")
        for reason in RejectReason.allCases {
            w.sample("stackd_rejected_messages_total", ["reason": reason.rawValue], Double(c.rejected(reason)))
        }
        w.counter("stackd_predictions_accepted_total", "Predictions accepted into assembly.", c.predictionsAccepted)
        w.counter("stackd_labels_accepted_total", "Labels accepted.", c.labelsAccepted)
        w.counter("stackd_labels_matched_total", "Labels that matched an emitted row.", c.labelsMatched)
        w.counter("stackd_labels_unmatched_total", "Labels for which no emitted row was awaiting.", c.labelsUnmatched)
        w.family("stackd_rows_emitted_total", .counter, "Assembled rows emitted, by completion.")
        for completion in RowCompletion.allCases {
            w.sample("stackd_rows_emitted_total", ["completion": completion.name], Double(c.rowsEmitted[Int(completion.rawValue)]))
        }
        w.family("stackd_rows_dropped_total", .counter, "Rows abandoned with fewer than min_models, by completion.")
        for completion in RowCompletion.allCases {
            w.sample("stackd_rows_dropped_total", ["completion": completion.name], Double(c.rowsDropped[Int(completion.rawValue)]))
        }
        w.family("stackd_outputs_total", .counter, "Ensemble outputs, by horizon.")
        for (h, horizon) in s.horizons.enumerated() where h < c.outputsPerHorizon.count {
            w.sample("stackd_outputs_total", ["horizon": String(horizon)], Double(c.outputsPerHorizon[h]))
        }
        w.gauge("stackd_pending_rows", "Rows under assembly.", Double(s.pendingRows))
        w.gauge("stackd_awaiting_labels", "Emitted rows kept until their label arrives.", Double(s.awaitingLabels))
        w.counter("stackd_published_total", "Ensemble outputs handed to the output socket.", s.published)
        w.family("stackd_send_failures_total", .counter,
                 "Outputs and alerts the output socket refused, by reason (hwm: a subscriber at its high-water mark; error: any other send error).")
        w.sample("stackd_send_failures_total", ["reason": "hwm"], Double(s.sendFailuresHighWaterMark))
        w.sample("stackd_send_failures_total", ["reason": "error"], Double(s.sendFailuresError))
        w.counter("stackd_alerts_published_total", "Alerts handed to the output socket.", s.alertsPublished)
        w.counter("stackd_input_disconnects_total",
                  "Input connections closed by libzmq: a peer went away or sent a frame above the input's size limit.", s.inputDisconnects)
        w.family("stackd_emission_latency_seconds", .summary,
                 "Receive of a row's completing message to its output handed to ZeroMQ (HDR histogram, since start).")
        for (q, ns) in [("0.5", s.latencyP50Nanoseconds), ("0.99", s.latencyP99Nanoseconds), ("0.999", s.latencyP999Nanoseconds)] {
            w.sample("stackd_emission_latency_seconds", ["quantile": q], Double(ns) / 1e9)
        }
        w.sample("stackd_emission_latency_seconds_sum", [:], s.latencyMeanNanoseconds * Double(s.latencyCount) / 1e9)
        w.sample("stackd_emission_latency_seconds_count", [:], Double(s.latencyCount))
        w.gauge("stackd_emission_latency_max_seconds", "Largest emission latency since start.", Double(s.latencyMaxNanoseconds) / 1e9)
        w.gauge("stackd_output_subscriptions", "Subscriptions held by consumers of the output socket.", Double(s.outputSubscriptions))
        if !s.pipelineMessages.isEmpty {  // ingest.shards > 1
            w.family("stackd_pipeline_messages_total", .counter, "Messages each pipeline received (ingest.shards > 1).")
            for (i, n) in s.pipelineMessages.enumerated() { w.sample("stackd_pipeline_messages_total", ["pipeline": String(i)], Double(n)) }
        }
        if !s.pipelineWindowRows.isEmpty {
            w.family("stackd_pipeline_window_rows", .gauge,
                     "Labelled rows in each pipeline's training-window segment, by horizon (ingest.shards > 1).")
            for (i, rows) in s.pipelineWindowRows.enumerated() {
                for (h, horizon) in s.horizons.enumerated() where h < rows.count {
                    w.sample("stackd_pipeline_window_rows", ["pipeline": String(i), "horizon": String(horizon)], Double(rows[h]))
                }
            }
        }
        if !s.ringDrops.isEmpty {
            w.family("stackd_ring_drops_total", .counter, "Messages dropped because the pipeline's ring was full (ingest.shards > 1).")
            for (i, n) in s.ringDrops.enumerated() { w.sample("stackd_ring_drops_total", ["pipeline": String(i)], Double(n)) }
        }
        w.gauge("stackd_journal_recording", "1 while the input journal ([record]) is being written, else 0.", s.journalRecording ? 1 : 0)
        w.counter("stackd_journal_messages_total", "Input messages written to the journal.", s.journalMessages)
        w.family("stackd_journal_stall_seconds_total", .counter,
                 "Time the ingest thread waited for room in the recording queue (the disk fell behind).")
        w.sample("stackd_journal_stall_seconds_total", [:], Double(s.journalStallNanoseconds) / 1e9)
        w.family("stackd_auth_failures_total", .counter,
                 "Peers refused at the CURVE handshake, by reason (unknown_key, no_curve, handshake, incomplete).")
        for reason in AuthenticationFailure.allCases {
            w.sample("stackd_auth_failures_total", ["reason": reason.rawValue], Double(s.authentication.failures(reason)))
        }
        w.gauge("stackd_auth_clients_allowed", "Client public keys in the CURVE allow-list (0 without CURVE).",
                Double(s.authentication.clientsAllowed))

        // Prequential scores: each row scored when its label arrives, with the model it was emitted by.
        let predictors: [(String, (Int) -> ScoreAccumulator?)] =
            [("ensemble", { $0 < s.ensembleScores.count ? s.ensembleScores[$0] : nil }),
             ("averaging", { $0 < s.averageScores.count ? s.averageScores[$0] : nil }),
             ("class_prior", { $0 < s.classPriorScores.count ? s.classPriorScores[$0] : nil }),
             ("always_majority", { $0 < s.alwaysMajorityScores.count ? s.alwaysMajorityScores[$0] : nil })]
            + s.modelNames.enumerated().map { m, name in
                (name, { h in h < s.modelScores.count && m < s.modelScores[h].count ? s.modelScores[h][m] : nil })
            }
        let scores: [(String, String, String, (ScoreAccumulator) -> Double)] = [
            ("stackd_prequential_scored_rows_total", "counter", "Labelled rows scored, by horizon and predictor.", { Double($0.count) }),
            ("stackd_prequential_log_loss", "gauge", "Mean log-loss of labelled rows (prequential), by horizon and predictor.", { $0.logLoss }),
            ("stackd_prequential_accuracy_ratio", "gauge", "Share of labelled rows whose most probable class was right.", { $0.accuracy }),
            ("stackd_prequential_brier_score", "gauge", "Mean multi-class Brier score of labelled rows.", { $0.brier }),
        ]
        for (name, type, help, value) in scores {
            w.family(name, type == "counter" ? .counter : .gauge, help)
            for (h, horizon) in s.horizons.enumerated() {
                for (predictor, score) in predictors {
                    guard let a = score(h), type == "counter" || a.count > 0 else { continue }
                    w.sample(name, ["horizon": String(horizon), "predictor": predictor], value(a))
                }
            }
        }

        // Challengers (learner.challengers): scored like the ensemble, never served. `window`:
        // "all" since start, "recent" over the last learner.challenger_min_rows rows (when > 0).
        w.family("stackd_challenger_scored_rows_total", .counter,
                 "Labelled rows a challenger was scored on (its model installed at emission), by horizon and challenger.")
        for (h, horizon) in s.horizons.enumerated() where h < s.challengers.count {
            for c in s.challengers[h] {
                w.sample("stackd_challenger_scored_rows_total", ["horizon": String(horizon), "challenger": c.name], Double(c.challenger.count))
            }
        }
        let challengerLosses: [(String, String, (ChallengerStanding) -> (all: Double, recent: Double))] = [
            ("stackd_challenger_log_loss", "Mean log-loss of a challenger (prequential, never served), by horizon, challenger and window.",
             { ($0.challenger.logLoss, $0.recentLogLoss) }),
            ("stackd_challenger_champion_log_loss", "Mean log-loss of the served ensemble on the rows its challenger was scored on.",
             { ($0.champion.logLoss, $0.recentChampionLogLoss) }),
        ]
        for (name, help, value) in challengerLosses {
            w.family(name, .gauge, help)
            for (h, horizon) in s.horizons.enumerated() where h < s.challengers.count {
                for c in s.challengers[h] where c.challenger.count > 0 {
                    let v = value(c)
                    w.sample(name, ["horizon": String(horizon), "challenger": c.name, "window": "all"], v.all)
                    if c.window > 0 && c.recentCount > 0 {
                        w.sample(name, ["horizon": String(horizon), "challenger": c.name, "window": "recent"], v.recent)
                    }
                }
            }
        }

        w.family("stackd_retrains_total", .counter, "Finished retrains, by decision.")
        let byDecision = s.trainingResultsByDecision
        for d in Set(decisions).union(byDecision.keys).sorted() {
            w.sample("stackd_retrains_total", ["decision": d], Double(byDecision[d] ?? 0))
        }
        w.counter("stackd_retrains_triggered_total", "Retrains requested by the schedule or on demand.", c.retrainsTriggered)
        w.counter("stackd_model_installs_total", "New combiners installed at their apply time.", c.modelInstalls)
        w.counter("stackd_late_model_installs_total", "Combiners that arrived after their apply time.", c.lateModelInstalls)
        w.family("stackd_active_model_version", .gauge, "Version of the combiner in use, by horizon (0: averaging).")
        for (h, horizon) in s.horizons.enumerated() where h < s.activeModelVersions.count {
            w.sample("stackd_active_model_version", ["horizon": String(horizon)], Double(s.activeModelVersions[h]))
        }
        w.counter("stackd_sequence_gaps_total", "Jumps in a model's prediction sequence (events; messages are in stackd_input_messages_missed_total).", c.sequenceGaps)
        w.family("stackd_model_files_refused_total", .counter, "Stored model versions refused at load, by reason (a previous valid one is served).")
        for reason in ModelStore.refusalReasons {
            w.sample("stackd_model_files_refused_total", ["reason": reason], Double(s.modelFilesRefused[reason] ?? 0))
        }
        w.counter("stackd_window_blocks_skipped_total", "Damaged durable-window blocks skipped on restore.", s.windowBlocksSkipped)
        w.counter("stackd_window_rows_lost_total", "Labelled rows in the skipped window blocks.", s.windowRowsLost)
        w.counter("stackd_window_segments_quarantined_total",
                  "Window and awaiting-rows log segments set aside at start (damaged header).", s.windowSegmentsQuarantined)
        w.family("stackd_input_messages_missed_total", .counter,
                 "Predictions a model's publisher sent that never arrived (sum of its sequence jumps), by model.")
        for (m, model) in s.modelNames.enumerated() where m < c.inputMessagesMissed.count {
            w.sample("stackd_input_messages_missed_total", ["model": model], Double(c.inputMessagesMissed[m]))
        }
        w.family("stackd_input_labels_missed_total", .counter, "Labels their publisher sent that never arrived (sum of label sequence jumps).")
        w.sample("stackd_input_labels_missed_total", [:], Double(c.labelMessagesMissed))
        w.counter("stackd_regimes_accepted_total", "Regime messages taken by at least one horizon's row.", c.regimesAccepted)
        w.counter("stackd_rows_without_regime_total", "Rows emitted without their regime (values imputed as 0).", c.rowsWithoutRegime)
        w.counter("stackd_regimes_unused_total", "Rows opened by a regime that no prediction joined.", c.regimesUnused)
        w.family("stackd_input_regimes_missed_total", .counter, "Regime messages their publisher sent that never arrived (sum of regime sequence jumps).")
        w.sample("stackd_input_regimes_missed_total", [:], Double(c.regimeMessagesMissed))
        w.counter("stackd_metrics_connections_refused_total",
                  "Metrics/health connections answered 503 because the server's connection cap was reached.", s.metricsConnectionsRefused)
        w.gauge("stackd_labels_held", "Labels waiting for their row to be emitted.", Double(c.labelsHeld))
        w.counter("stackd_labels_joined_late_total", "Labels that arrived before their row and were joined when it was emitted.", c.labelsJoinedLate)
        w.counter("stackd_alerts_total", "Drift and calibration alerts raised.", c.alerts)
        w.counter("stackd_drift_retrains_total", "Retrains requested by drift alarms.", c.driftRetrains)
        let drift = s.drift.compactMap { $0 }
        if !drift.isEmpty {
            w.family("stackd_drift_psi", .gauge, "PSI of each base model's class probability, recent window vs the model's training window.")
            for d in drift {
                for (m, model) in d.modelNames.enumerated() {
                    for c in 0..<d.classCount where d.psiReferenceCount[m] > 0 {
                        w.sample("stackd_drift_psi", ["horizon": "\(d.horizon)", "model": model, "class": "\(c)"], d.psi[m * d.classCount + c])
                    }
                }
            }
            w.family("stackd_drift_psi_threshold", .gauge, "Alarm threshold of the PSI, from its null distribution at the window sizes in use.")
            for d in drift {
                for (m, model) in d.modelNames.enumerated() {
                    for c in 0..<d.classCount where d.psiReferenceCount[m] > 0 {
                        w.sample("stackd_drift_psi_threshold", ["horizon": "\(d.horizon)", "model": model, "class": "\(c)"], d.psiThreshold[m * d.classCount + c])
                    }
                }
            }
            w.family("stackd_drift_adwin_width", .gauge, "ADWIN window length over the ensemble's error.")
            for d in drift { w.sample("stackd_drift_adwin_width", ["horizon": "\(d.horizon)"], Double(d.adwinWidth)) }
            w.family("stackd_drift_page_hinkley_statistic", .gauge, "Page-Hinkley statistic over the ensemble's error.")
            for d in drift { w.sample("stackd_drift_page_hinkley_statistic", ["horizon": "\(d.horizon)"], d.pageHinkleyStatistic) }
            w.family("stackd_calibration_ece", .gauge, "Rolling expected calibration error of the ensemble, per class.")
            for d in drift where d.calibrationWindowCount > 0 {
                for c in 0..<d.classCount { w.sample("stackd_calibration_ece", ["horizon": "\(d.horizon)", "class": "\(c)"], d.ece[c]) }
            }
            w.family("stackd_skill_recent_log_loss", .gauge, "Recent log-loss of each base model (skill decay monitor).")
            for d in drift {
                for (m, model) in d.modelNames.enumerated() where d.skillRecentLogLoss[m].isFinite {
                    w.sample("stackd_skill_recent_log_loss", ["horizon": "\(d.horizon)", "model": model], d.skillRecentLogLoss[m])
                }
            }
        }
        return w.text
    }

    struct Writer {
        enum Kind: String { case counter, gauge, summary }
        var text = ""

        init() { text.reserveCapacity(16 * 1024) }

        mutating func family(_ name: String, _ kind: Kind, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
        }

        mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
            text += name
            if !labels.isEmpty {
                text += "{"
                var first = true
                for (k, v) in labels {
                    if !first { text += "," }
                    first = false
                    text += "\(k)=\"\(Self.escape(v))\""
                }
                text += "}"
            }
            text += " \(Self.format(value))\n"
        }

        mutating func counter(_ name: String, _ help: String, _ value: Int) {
            family(name, .counter, help)
            sample(name, [:], Double(value))
        }

        mutating func gauge(_ name: String, _ help: String, _ value: Double) {
            family(name, .gauge, help)
            sample(name, [:], value)
        }

        static func format(_ v: Double) -> String {
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return "\(v)"
        }

        static func escape(_ s: String) -> String {
            var out = ""
            for ch in s {
                switch ch {
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                case "\n": out += "\\n"
                default: out.append(ch)
                }
            }
            return out
        }
    }
}
