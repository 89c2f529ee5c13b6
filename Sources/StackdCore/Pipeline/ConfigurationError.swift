/// A configuration the pipeline cannot run with; `problems` says every reason.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "; ") }
}
