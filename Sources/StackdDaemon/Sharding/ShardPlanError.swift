/// Why a shard plan cannot be made; the message names the input that is wrong and what to do.
package struct ShardPlanError: Error, CustomStringConvertible, Equatable, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
