/// What `ingest.shards > 1` cannot combine with yet, as configuration problems (refused at start
/// with the key's line). One training window and one model per horizon across pipelines
/// (bench/SCALING.md §5) is designed, not built; until then a daemon with several pipelines would
/// train per pipeline, and its outputs would depend on N. The durable awaiting rows and the input
/// journal are written by one thread today.
enum ShardedIngestRestrictions {
    static func problems(_ c: DaemonConfiguration) -> [String] {
        guard c.ingestShards > 1 else { return [] }
        var problems: [String] = []
        if c.retrain.isScheduled {
            problems.append("more than one pipeline needs retraining off (retrain.every_event_times, retrain.every_labels and retrain.every_event_seconds = 0): one window and one model per horizon across pipelines is not built yet")
        }
        if c.monitoring.retrainOnAlert {
            problems.append("more than one pipeline needs monitoring.retrain_on_alert = false (retraining is not available with several pipelines yet)")
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
