/// Serialization formats of XGBoost's own model format (`XGBoosterSaveModelToBuffer`).
///
/// Only the stable, documented formats are offered: the deprecated binary format is left out
/// because XGBoost itself warns against it and it cannot be inspected.
public enum XGBoostModelFormat: String, Codable, Sendable, CaseIterable {
    /// Human-readable JSON; what Python's `save_model("x.json")` writes.
    case json
    /// Universal Binary JSON: same content, smaller and faster to parse.
    case ubj
}
