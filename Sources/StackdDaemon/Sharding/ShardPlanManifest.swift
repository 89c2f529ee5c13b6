import Foundation

/// `plan.json`, written beside the shard configurations (format: schemas/shard-plan.md): which
/// shard owns which symbols and where each shard publishes, so a consumer can subscribe to every
/// shard's output and a publisher or operator can find a symbol's shard without the hash.
public struct ShardPlanManifest: Codable, Equatable, Sendable {
    public struct Shard: Codable, Equatable, Sendable {
        public var index: Int
        public var file: String
        public var symbols: [String]
        public var inputTopics: [String]
        public var outputBind: [String]
        public var outputConnect: [String]
        public var metricsAddress: String
        public var stateDirectory: String?
        public var recordDirectory: String?

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

    public static let currentVersion = 1
    public static let hashName = "fnv1a64-utf8-mod-shards"

    public var version: Int
    public var hash: String
    public var shardCount: Int
    public var shards: [Shard]

    enum CodingKeys: String, CodingKey {
        case version, hash, shards
        case shardCount = "shard_count"
    }

    public init(_ configurations: [ShardConfiguration]) {
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

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
