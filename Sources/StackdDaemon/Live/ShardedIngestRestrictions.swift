/// What `ingest.shards > 1` cannot combine with yet, as configuration problems (refused at start
/// with the key's line). Retraining trains one model per horizon on the pipelines' merged window
/// (`ShardedTraining`), triggered by every pipeline at the same event times: only the event-time
/// schedule does that (label counts and drift alarms are per pipeline). The durable window,
/// awaiting rows and the input journal are written by one thread today.
enum ShardedIngestRestrictions {
    static func problems(_ c: DaemonConfiguration) -> [String] {
        guard c.ingestShards > 1 else { return [] }
        var problems: [String] = []
        if c.retrain.everyLabels > 0 || c.retrain.everyEventTime > 0 {
            problems.append("more than one pipeline needs retrain.every_labels = 0 and retrain.every_event_seconds = 0 (retrains are scheduled by retrain.every_event_times only: label counts follow each pipeline's label arrivals, which the pipelines do not share)")
        }
        if c.monitoring.retrainOnAlert {
            problems.append("more than one pipeline needs monitoring.retrain_on_alert = false (the monitors are per pipeline; a retrain must be triggered by every pipeline at the same event time)")
        }
        if !c.learner.challengers.isEmpty {
            problems.append("more than one pipeline needs learner.challengers empty (challengers are scored per pipeline; the merged retrain has no single standing)")
        }
        if c.stateDirectory != nil {
            problems.append("more than one pipeline needs [state] directory unset (the durable window and awaiting rows are per daemon, written by one ingest thread)")
        }
        if c.recordDirectory != nil {
            problems.append("more than one pipeline needs [record] directory unset (the input journal is written by one ingest thread)")
        }
        return problems
    }
}
