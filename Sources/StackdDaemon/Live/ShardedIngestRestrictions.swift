/// What `ingest.shards > 1` cannot combine with yet, as configuration problems (refused at start
/// with the key's line). Retraining trains one model per horizon on the pipelines' merged window
/// (`ShardedTraining`), triggered by every pipeline at the same event times: only the event-time
/// schedule does that (label counts and drift alarms are per pipeline). The durable window and
/// awaiting rows are written by one thread today. The input journal (`[record]`) is written from
/// the receive thread in arrival order (``ShardedIngest``), but a merged retrain's install points
/// are not journalled, so recording excludes scheduled retrains (and on-demand ones are refused
/// while recording, `LiveRunner.coordinate`): the journal then replays to the live outputs.
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
        if c.recordDirectory != nil, c.retrain.everyEventTimes > 0 {
            problems.append("more than one pipeline needs retrain.every_event_times = 0 with [record] directory set (the journal does not carry where the pipelines installed a merged retrain's model, so a replay of it would diverge; record with ingest.shards = 1 to retrain)")
        }
        return problems
    }
}
