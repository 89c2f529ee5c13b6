/// A refused or unwritable artifact, always naming the file so an operator knows what to fix.
public struct ArtifactError: Error, Equatable, CustomStringConvertible {
    /// Path of the offending file.
    public var file: String
    /// What is wrong with it.
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
