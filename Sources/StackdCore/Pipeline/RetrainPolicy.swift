/// When a horizon's meta-learner is retrained, and from when a new model applies, in event time.
///
/// Event-time semantics shared by the live daemon and replay (`schemas/event-time.md`):
/// - a retrain is **triggered** either by a label (the one that makes `everyLabels` new labelled
///   rows since the previous trigger, or that arrives when the event clock — the newest
///   prediction event time seen — has moved `everyEventTime` past the previous trigger), or by
///   the event clock itself (the first prediction of the `everyEventTimes`-th distinct event time
///   since the previous trigger), once the window holds `minRows`;
/// - it **sees** exactly the rows labelled before the trigger (the window snapshot taken then);
/// - its model **applies** to rows whose event time is ≥ the trigger time + `applyDelay`, where
///   the trigger time is the event clock for label triggers (+ at least 1 ns: never a row of the
///   clock's own event time) and the new event time itself for clock triggers (the walk-forward
///   rule: refit at T on rows labelled before T, predict rows at T and after).
/// Replay trains synchronously and so installs exactly there; live trains on a worker thread and
/// installs at the same row when training finished in time, else at the next row (counted as a
/// late install, the only way live and replay can differ).
public struct RetrainPolicy: Sendable, Equatable {
    public var everyLabels: Int
    public var everyEventTime: Int64
    /// Retrain when the event clock has advanced through this many distinct event times.
    public var everyEventTimes: Int
    public var minRows: Int
    public var applyDelay: Int64
    /// Window bound in rows and in event-time age (0 = none).
    public var windowRows: Int
    public var windowAge: Int64

    public init(everyLabels: Int = 0, everyEventTime: Int64 = 0, everyEventTimes: Int = 0, minRows: Int = 2000,
                applyDelay: Int64 = 0, windowRows: Int = 100_000, windowAge: Int64 = 0) {
        self.everyLabels = everyLabels
        self.everyEventTime = everyEventTime
        self.everyEventTimes = everyEventTimes
        self.minRows = minRows
        self.applyDelay = applyDelay
        self.windowRows = windowRows
        self.windowAge = windowAge
    }

    /// No scheduled retraining (on-demand requests still work).
    public static let disabled = RetrainPolicy()

    public var isScheduled: Bool { everyLabels > 0 || everyEventTime > 0 || everyEventTimes > 0 }
}

/// A retrain the driver must run: the rows it may see and when its model may apply.
public struct TrainingRequest: Sendable {
    public var horizon: Int
    public var horizonIndex: Int
    public var triggerEventTime: Int64
    public var applyFrom: Int64
    public var rows: OutOfSampleRows
    /// The combiner in use when the retrain was triggered (the champion to beat).
    public var champion: any MetaCombiner
    /// Monotonic per pipeline, so every request and the model it yields can be named.
    public var sequence: Int
    /// Builds the drift reference of the model this request yields, off the ingest thread
    /// (nil when monitoring is off).
    public var driftReferenceBuilder: PSIReference.Builder?
    /// The challengers' live scores on this horizon when the retrain was triggered
    /// (`learner.challengers`): the evidence `learner.challenger_min_rows` asks of them.
    public var challengers: [ChallengerStanding] = []

    /// The drift reference for a model trained on `rows` (nil when monitoring is off): the
    /// trainer calls it on its own thread and returns it with the model.
    public func driftReference() -> PSIReference? {
        guard let builder = driftReferenceBuilder else { return nil }
        return rows.basePredictions.withUnsafeBufferPointer { builder.build(basePredictions: $0, rowCount: rows.count) }
    }
}
