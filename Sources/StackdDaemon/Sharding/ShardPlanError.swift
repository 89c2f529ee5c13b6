/// Why a shard plan cannot be made; the message names the input that is wrong and what to do.
public struct ShardPlanError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
