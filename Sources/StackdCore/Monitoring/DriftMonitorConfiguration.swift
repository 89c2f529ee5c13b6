/// Which per-row error of the ensemble the sequential detectors watch.
public enum MonitoredError: String, Sendable {
    /// 1 when the arg-max class is wrong: bounded in [0, 1] as ADWIN's Hoeffding bound assumes,
    /// and the scale Page–Hinkley's λ = 50 was set for.
    case zeroOne = "zero_one"
    /// −ln p(label): more sensitive, but unbounded; with heavy tails the default λ fires on
    /// stationary data (see `scripts/fixtures/drift`), so raise λ if you choose it.
    case logLoss = "log_loss"
}

/// Settings of one horizon's `DriftMonitor`. Defaults follow River and `practice.md`; every
/// threshold that depends on a window size is derived from the null distribution at that size.
public struct DriftMonitorConfiguration: Sendable {
    public var horizon: Int
    /// Base model names, in model-index order (used in alerts).
    public var modelNames: [String]
    public var classCount: Int

    public var psiWindow = 500
    public var psiBins = 10
    public var psiAlpha = 0.001
    public var psiSmoothing = 0.5
    public var psiMinReferenceCount = 100

    public var monitoredError: MonitoredError = .zeroOne
    public var adwinDelta = 0.002
    public var adwinClock = 32
    public var pageHinkleyMinInstances = 30
    public var pageHinkleyDelta = 0.005
    public var pageHinkleyThreshold = 50.0
    public var pageHinkleyAlpha = 1 - 0.0001

    public var skillWindow = 500
    public var skillZ = 3.0
    public var skillMinLongRunCount = 500

    public var calibrationWindow = 1000
    public var calibrationBins = 10
    public var calibrationAlpha = 1e-5
    public var calibrationMinBinCount = 30

    /// Alert kinds that should make the driver request a retrain. Skill decay is left out by
    /// default: the meta-model can down-weight a decaying model, but the fix belongs to its owner.
    public var triggersRetrain: Set<AlertKind> = [.psiDrift, .errorDriftADWIN, .errorDriftPageHinkley, .calibration]
    /// Restart ADWIN, Page–Hinkley and the calibration window on `setReference`: a new meta-model
    /// has a new error process, and its first rows must not be judged against the old one's.
    public var resetEnsembleMonitorsOnReference = true

    public init(horizon: Int, modelNames: [String], classCount: Int = 3) {
        self.horizon = horizon
        self.modelNames = modelNames
        self.classCount = classCount
    }

    public var modelCount: Int { modelNames.count }
}
