/// What went wrong; also the suffix of the topic an alert is published on (`alert.<kind>`).
public enum AlertKind: String, Sendable, CaseIterable, Hashable {
    /// A base model's P(class) no longer looks like what the meta-model was trained on.
    case psiDrift = "psi_drift"
    /// ADWIN found a rise in the ensemble's per-row error.
    case errorDriftADWIN = "error_drift_adwin"
    /// Page–Hinkley found a rise in the ensemble's per-row error.
    case errorDriftPageHinkley = "error_drift_page_hinkley"
    /// A base model's recent log-loss is worse than its own long run.
    case skillDecay = "skill_decay"
    /// The ensemble's published probabilities stopped being calibrated for a class.
    case calibration

    /// The ZeroMQ topic of alerts of this kind.
    public var topic: String { "alert." + rawValue }
}

/// One alarm, as published to operators (`schemas/alert.schema.json`).
///
/// Carries the statistic and the threshold it crossed rather than a severity, so a consumer can
/// judge how far over the line it is.
public struct Alert: Sendable, Equatable {
    public var kind: AlertKind
    public var horizon: Int
    /// Base model name (PSI drift, skill decay); nil for ensemble-level alerts.
    public var model: String?
    /// Class index (PSI drift, calibration); nil otherwise.
    public var classIndex: Int?
    public var statistic: Double
    public var threshold: Double
    /// Event time (ns since the Unix epoch) of the row that raised the alarm.
    public var eventTime: Int64
    public var message: String
    /// Raised by a monitor: whether this kind may ask for a retrain. Delivered by the pipeline:
    /// whether this alert did ask for one (the pipeline rewrites it once configuration, schedule
    /// and rate limit have decided), which is what operators read in `triggers_retrain`.
    public var triggersRetrain: Bool

    public init(kind: AlertKind, horizon: Int, model: String? = nil, classIndex: Int? = nil, statistic: Double,
                threshold: Double, eventTime: Int64, message: String, triggersRetrain: Bool = false) {
        self.kind = kind
        self.horizon = horizon
        self.model = model
        self.classIndex = classIndex
        self.statistic = statistic
        self.threshold = threshold
        self.eventTime = eventTime
        self.message = message
        self.triggersRetrain = triggersRetrain
    }

    /// The JSON encoding (`schemas/alert.schema.json`, v 1). Alerts are rare, so this favours
    /// clarity over allocation-freedom.
    public var json: String {
        var s = "{\"v\":1,\"type\":\"alert\",\"kind\":\"\(kind.rawValue)\",\"horizon\":\(horizon)"
        if let model { s += ",\"model\":\(Self.quoted(model))" }
        if let classIndex { s += ",\"class\":\(classIndex)" }
        s += ",\"statistic\":\(Self.number(statistic)),\"threshold\":\(Self.number(threshold)),\"ts\":\(eventTime)"
        s += ",\"message\":\(Self.quoted(message)),\"triggers_retrain\":\(triggersRetrain)}"
        return s
    }

    /// JSON has no NaN or infinity: those are clamped to the largest finite double (NaN to 0),
    /// which never happens for a fired alert but keeps the output valid whatever the input.
    private static func number(_ x: Double) -> String {
        if x.isNaN { return "0" }
        if x.isInfinite { return x > 0 ? "\(Double.greatestFiniteMagnitude)" : "\(-Double.greatestFiniteMagnitude)" }
        return "\(x)"
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// Where a monitor delivers alerts. Caller-owned and passed `inout`, so a row that raises no
/// alert costs nothing and the driver decides how to publish (queue, socket, log).
public protocol AlertSink {
    mutating func receive(_ alert: Alert)
}

/// An `AlertSink` that collects alerts in an array the caller drains (tests, simple drivers).
/// Reserve capacity up front and `removeAll(keepingCapacity: true)` to stay allocation-free.
public struct AlertBuffer: AlertSink {
    public var alerts: [Alert]

    public init(reservingCapacity n: Int = 16) {
        alerts = []
        alerts.reserveCapacity(n)
    }

    public mutating func receive(_ alert: Alert) { alerts.append(alert) }
}
