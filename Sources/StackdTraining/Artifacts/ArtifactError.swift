/// A refused or unwritable artifact, always naming the file so an operator knows what to fix.
public struct ArtifactError: Error, Equatable, CustomStringConvertible {
    /// Path of the offending file.
    public var file: String
    /// What is wrong with it.
    public var message: String
    /// The class of the problem, for the refusal counters (`stackd_model_files_refused_total`).
    public var reason: ArtifactRefusalReason

    public init(file: String, message: String, reason: ArtifactRefusalReason = .invalid) {
        self.file = file
        self.message = message
        self.reason = reason
    }

    public var description: String { "\(file): \(message)" }
}

/// Why a stored model file was refused: the `reason` label of `stackd_model_files_refused_total`.
public enum ArtifactRefusalReason: String, CaseIterable, Sendable {
    /// A file's bytes differ from the checksum its manifest recorded, or the manifest's own
    /// checksum does not hold (an edit that still parses).
    case checksum
    /// The manifest (`version.json`) is missing, unparsable, of an unknown schema version or
    /// names another horizon or version.
    case manifest
    /// A number the model would compute with is non-finite or beyond any plausible magnitude.
    case values
    /// Anything else: missing or unparsable file, shape or layout mismatch with the configuration.
    case invalid
}
