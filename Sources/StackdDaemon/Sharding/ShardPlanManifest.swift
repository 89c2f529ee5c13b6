import Foundation

/// `plan.json`, written beside the shard configurations (format: schemas/shard-plan.md): which
/// shard owns which symbols and where each shard publishes, so a consumer can subscribe to every
/// shard's output and a publisher or operator can find a symbol's shard without the hash.
package struct ShardPlanManifest: Codable, Equatable, Sendable {
    package struct Shard: Codable, Equatable, Sendable {
        package var index: Int
        package var file: String
        package var symbols: [String]
        package var inputTopics: [String]
        package var outputBind: [String]
        var outputConnect: [String]
        package var metricsAddress: String
        package var stateDirectory: String?
        package var recordDirectory: String?

        enum CodingKeys: String, CodingKey {
            case index, file, symbols
            case inputTopics = "input_topics"
            case outputBind = "output_bind"
            case outputConnect = "output_connect"
            case metricsAddress = "metrics_address"
            case stateDirectory = "state_directory"
            case recordDirectory = "record_directory"
        }
    }

    package static let currentVersion = 1
    static let hashName = "fnv1a64-utf8-mod-shards"

    package var version: Int
    package var hash: String
    package var shardCount: Int
    package var shards: [Shard]

    enum CodingKeys: String, CodingKey {
        case version, hash, shards
        case shardCount = "shard_count"
    }

    package init(_ configurations: [ShardConfiguration]) {
        version = Self.currentVersion
        hash = Self.hashName
        shardCount = configurations.count
        shards = configurations.map { s in
            Shard(index: s.index, file: s.fileName, symbols: s.symbols, inputTopics: s.configuration.input.topics,
                  outputBind: s.configuration.output.bind, outputConnect: s.configuration.output.connect,
                  metricsAddress: s.configuration.metricsAddress, stateDirectory: s.configuration.stateDirectory,
                  recordDirectory: s.configuration.recordDirectory)
        }
    }

    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
