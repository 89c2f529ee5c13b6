/// When a horizon's meta-learner is retrained, and from when a new model applies, in event time.
///
/// Event-time semantics shared by the live daemon and replay (`schemas/event-time.md`):
/// - a retrain is **triggered** by the label that makes `everyLabels` new labelled rows since the
///   previous one, or that arrives when the event clock (the newest prediction event time seen)
///   has moved `everyEventTime` past the previous trigger, once the window holds `minRows`;
/// - it **sees** exactly the rows labelled before the trigger (the window snapshot taken then);
/// - its model **applies** to rows whose event time is ≥ trigger event time + `applyDelay`
///   (at least 1 ns: never to a row of the trigger's own event time).
/// Replay trains synchronously and so installs exactly there; live trains on a worker thread and
/// installs at the same row when training finished in time, else at the next row (counted as a
/// late install, the only way live and replay can differ).
public struct RetrainPolicy: Sendable, Equatable {
    public var everyLabels: Int
    public var everyEventTime: Int64
    public var minRows: Int
    public var applyDelay: Int64
    /// Window bound in rows and in event-time age (0 = none).
    public var windowRows: Int
    public var windowAge: Int64

    public init(everyLabels: Int = 0, everyEventTime: Int64 = 0, minRows: Int = 2000, applyDelay: Int64 = 0,
                windowRows: Int = 100_000, windowAge: Int64 = 0) {
        self.everyLabels = everyLabels
        self.everyEventTime = everyEventTime
        self.minRows = minRows
        self.applyDelay = applyDelay
        self.windowRows = windowRows
        self.windowAge = windowAge
    }

    /// No scheduled retraining (on-demand requests still work).
    public static let disabled = RetrainPolicy()

    public var isScheduled: Bool { everyLabels > 0 || everyEventTime > 0 }
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
}
