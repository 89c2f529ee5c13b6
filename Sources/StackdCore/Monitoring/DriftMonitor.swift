#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that tells an operator one horizon's models stopped holding, behind two calls the
/// pipeline makes anyway: one per emitted row (inputs: PSI of each base model's vector) and one
/// per labelled row (outcomes: ensemble error drift, base-model skill decay, calibration).
///
/// Pure and allocation-free in steady state: fixed rings and sums sized at init; an alert (and its
/// message string) is only built when something fires, and goes to a caller-owned sink.
public struct DriftMonitor: Sendable {
    public let configuration: DriftMonitorConfiguration
    public private(set) var psi: PSIMonitor
    public private(set) var adwin: AdaptiveWindowing
    public private(set) var pageHinkley: PageHinkley
    public private(set) var skill: SkillDecayMonitor
    public private(set) var calibration: RollingCalibration
    /// Labelled rows seen since creation.
    public private(set) var labelledCount = 0
    /// Alerts raised since creation, per kind (in `AlertKind.allCases` order).
    public private(set) var alertCounts: [Int]

    public init(configuration c: DriftMonitorConfiguration) {
        precondition(c.modelCount > 0 && c.modelCount <= 64 && c.classCount >= 2, "bad drift-monitor configuration")
        configuration = c
        psi = PSIMonitor(modelCount: c.modelCount, classCount: c.classCount, windowSize: c.psiWindow, binCount: c.psiBins,
                         alpha: c.psiAlpha, smoothing: c.psiSmoothing, minReferenceCount: c.psiMinReferenceCount)
        adwin = AdaptiveWindowing(delta: c.adwinDelta, clock: c.adwinClock)
        pageHinkley = PageHinkley(minInstances: c.pageHinkleyMinInstances, delta: c.pageHinkleyDelta,
                                  threshold: c.pageHinkleyThreshold, alpha: c.pageHinkleyAlpha)
        skill = SkillDecayMonitor(modelCount: c.modelCount, windowSize: c.skillWindow, zThreshold: c.skillZ,
                                  minLongRunCount: c.skillMinLongRunCount)
        calibration = RollingCalibration(classCount: c.classCount, windowSize: c.calibrationWindow,
                                         binCount: c.calibrationBins, alpha: c.calibrationAlpha,
                                         minBinCount: c.calibrationMinBinCount)
        alertCounts = Array(repeating: 0, count: AlertKind.allCases.count)
    }

    private mutating func raise<S: AlertSink>(_ kind: AlertKind, model: Int? = nil, classIndex: Int? = nil,
                                              statistic: Double, threshold: Double, eventTime: Int64,
                                              message: String, into sink: inout S) {
        alertCounts[AlertKind.allCases.firstIndex(of: kind)!] += 1
        sink.receive(Alert(kind: kind, horizon: configuration.horizon, model: model.map { configuration.modelNames[$0] },
                           classIndex: classIndex, statistic: statistic, threshold: threshold, eventTime: eventTime,
                           message: message, triggersRetrain: configuration.triggersRetrain.contains(kind)))
    }

    /// Call once per emitted row with the base vectors (M × K, row-major) and which models were
    /// present; imputed models are skipped so imputation cannot look like drift. Raises `psi_drift`.
    public mutating func observePrediction<S: AlertSink>(base: UnsafeBufferPointer<Double>, presentMask: UInt64,
                                                         eventTime: Int64, into sink: inout S) {
        let k = configuration.classCount
        for m in 0..<configuration.modelCount where presentMask & (UInt64(1) << UInt64(m)) != 0 {
            let row = UnsafeBufferPointer(rebasing: base[m * k ..< m * k + k])
            var firedClass = -1, firedValue = 0.0, firedThreshold = 0.0
            psi.observe(model: m, probabilities: row) { c, v, t in
                if firedClass < 0 || v / t > firedValue / firedThreshold { firedClass = c; firedValue = v; firedThreshold = t }
            }
            if firedClass >= 0 {
                raise(.psiDrift, model: m, classIndex: firedClass, statistic: firedValue, threshold: firedThreshold,
                      eventTime: eventTime,
                      message: "PSI of \(configuration.modelNames[m]) P(class \(firedClass)) over the last \(psi.windowSize) rows is \(firedValue), above the null \(1 - psi.alpha) quantile \(firedThreshold) for this window and reference",
                      into: &sink)
            }
        }
    }

    /// Call once per labelled row with what was published for it: the ensemble vector (K), the
    /// base vectors (M × K) and the label. `presentMask` excludes imputed base models from skill
    /// scoring (the scoreboard keeps imputed vectors; pass all-ones if the mask is not kept).
    /// Raises `error_drift_adwin`, `error_drift_page_hinkley`, `skill_decay` and `calibration`.
    /// `baseLogLosses` and `baseHits` (M each), when given, are the base models' scores on this
    /// row as the scoreboard computed them (`PrequentialScoreboard.MatchedRow`): they are used
    /// instead of scoring `base` again.
    public mutating func observeLabelled<S: AlertSink>(ensemble: UnsafeBufferPointer<Double>,
                                                       base: UnsafeBufferPointer<Double>, label: Int, eventTime: Int64,
                                                       presentMask: UInt64 = .max,
                                                       baseLogLosses: UnsafeBufferPointer<Double>? = nil,
                                                       baseHits: UnsafeBufferPointer<Bool>? = nil,
                                                       into sink: inout S) {
        let k = configuration.classCount
        labelledCount += 1
        let error: Double
        switch configuration.monitoredError {
        case .zeroOne:
            var arg = 0
            for c in 1..<k where ensemble[c] > ensemble[arg] { arg = c }
            error = arg == label ? 0 : 1
        case .logLoss:
            error = -log(max(ensemble[label], 1e-15))
        }
        if adwin.update(error), adwin.lastCutMeanDifference < 0 {
            raise(.errorDriftADWIN, statistic: -adwin.lastCutMeanDifference, threshold: adwin.lastCutEpsilon,
                  eventTime: eventTime,
                  message: "ADWIN: ensemble \(configuration.monitoredError.rawValue) error rose by \(-adwin.lastCutMeanDifference) between the older and newer parts of its window (cut bound \(adwin.lastCutEpsilon)); window mean now \(adwin.estimation) over \(Int(adwin.width)) rows",
                  into: &sink)
        }
        if pageHinkley.update(error) {
            raise(.errorDriftPageHinkley, statistic: pageHinkley.statistic, threshold: pageHinkley.threshold,
                  eventTime: eventTime,
                  message: "Page-Hinkley: cumulative rise of the ensemble \(configuration.monitoredError.rawValue) error \(pageHinkley.statistic) exceeds lambda \(pageHinkley.threshold) after \(pageHinkley.count) rows (running mean \(pageHinkley.runningMean))",
                  into: &sink)
        }
        var decayed: UInt64 = 0
        if let baseLogLosses, let baseHits {
            decayed = skill.observe(logLosses: baseLogLosses, hits: baseHits, presentMask: presentMask)
        } else {
            for m in 0..<configuration.modelCount where presentMask & (UInt64(1) << UInt64(m)) != 0 {
                if skill.observe(model: m, probabilities: UnsafeBufferPointer(rebasing: base[m * k ..< m * k + k]), label: label) {
                    decayed |= UInt64(1) << UInt64(m)
                }
            }
        }
        for m in 0..<configuration.modelCount where decayed & (UInt64(1) << UInt64(m)) != 0 {
            raise(.skillDecay, model: m, statistic: skill.zScore(model: m), threshold: skill.zThreshold, eventTime: eventTime,
                  message: "\(configuration.modelNames[m]) log-loss over the last \(skill.windowSize) labelled rows is \(skill.recentLogLoss(model: m)) against \(skill.longRunLogLoss(model: m)) long-run (z = \(skill.zScore(model: m)))",
                  into: &sink)
        }
        var firedClass = -1, firedValue = 0.0, firedThreshold = 0.0
        calibration.observe(ensemble, label: label) { c, v, t in
            if firedClass < 0 || v / t > firedValue / firedThreshold { firedClass = c; firedValue = v; firedThreshold = t }
        }
        if firedClass >= 0 {
            raise(.calibration, classIndex: firedClass, statistic: firedValue, threshold: firedThreshold,
                  eventTime: eventTime,
                  message: "ensemble P(class \(firedClass)) miscalibrated over the last \(calibration.windowSize) labelled rows: Hosmer-Lemeshow \(firedValue) above the null \(1 - calibration.alpha) quantile \(firedThreshold); ECE \(calibration.expectedCalibrationError(class: firedClass))",
                  into: &sink)
        }
    }

    /// Builds PSI references for this monitor from training rows; a value, so the training
    /// thread can build the reference and the ingest thread only installs it.
    public var referenceBuilder: PSIReference.Builder { psi.referenceBuilder }

    /// Call after a retrain with the rows the new meta-model was trained on (base vectors
    /// N × M·K row-major, as in `OutOfSampleRows.basePredictions`): they become the PSI
    /// reference, and the ensemble-level monitors restart if so configured. Allocates.
    public mutating func setReference(basePredictions: [Double], rowCount: Int, presentMasks: [UInt64]? = nil) {
        let reference = basePredictions.withUnsafeBufferPointer { b in
            if let presentMasks {
                return presentMasks.withUnsafeBufferPointer {
                    referenceBuilder.build(basePredictions: b, rowCount: rowCount, presentMasks: $0)
                }
            }
            return referenceBuilder.build(basePredictions: b, rowCount: rowCount)
        }
        setReference(reference)
    }

    /// Installs a PSI reference built by `referenceBuilder` when the model trained on its rows
    /// starts to apply; the ensemble-level monitors restart if so configured.
    public mutating func setReference(_ reference: PSIReference) {
        psi.apply(reference)
        if configuration.resetEnsembleMonitorsOnReference {
            adwin.reset()
            pageHinkley.reset()
            calibration.reset()
        }
    }

    /// Numbers for metrics and dashboards. Allocates; call it on a metrics tick, not per row.
    public var snapshot: DriftSnapshot {
        let m = configuration.modelCount, k = configuration.classCount
        return DriftSnapshot(
            horizon: configuration.horizon, modelNames: configuration.modelNames, classCount: k,
            psi: psi.psi, psiThreshold: psi.threshold, psiWindowCount: (0..<m).map { psi.windowCount(model: $0) },
            psiReferenceCount: psi.referenceCount,
            adwinWidth: Int(adwin.width), adwinMean: adwin.estimation, adwinDetections: adwin.detectionCount,
            pageHinkleyStatistic: pageHinkley.statistic, pageHinkleyThreshold: pageHinkley.threshold,
            pageHinkleyDetections: pageHinkley.detectionCount,
            ece: (0..<k).map { calibration.expectedCalibrationError(class: $0) },
            calibrationStatistic: calibration.statistic, calibrationThreshold: calibration.threshold,
            reliability: (0..<k).map { calibration.reliability(class: $0) }, calibrationWindowCount: calibration.count,
            skillRecentLogLoss: (0..<m).map { skill.recentLogLoss(model: $0) },
            skillLongRunLogLoss: (0..<m).map { skill.longRunLogLoss(model: $0) },
            skillRecentAccuracy: (0..<m).map { skill.recentAccuracy(model: $0) },
            skillLongRunAccuracy: (0..<m).map { skill.longRunAccuracy(model: $0) },
            skillZ: skill.z, skillZThreshold: skill.zThreshold,
            labelledCount: labelledCount, alertCounts: alertCounts)
    }
}
