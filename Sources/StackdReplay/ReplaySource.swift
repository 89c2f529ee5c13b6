import Foundation
import StackdDaemon

/// What `stackd replay` can read. An enum rather than a bare folder path so that recorded
/// journals can be added as another case (with their own detection and loader) without touching
/// the command or the report.
public enum ReplaySource: Sendable, Equatable {
    /// A folder in the oos-daily format (`preds_h{H}.csv`, `labels_h{H}.csv`).
    case oosDaily(directory: String)
    /// A journal written by `stackd run` (`[record] directory`) or `stackd record`.
    case journal(directory: String)

    /// A loaded stream, whatever its source.
    public struct Loaded: Sendable {
        public var events: [StreamEvent]
        public var models: [String]
        public var horizons: [Int]
        /// One line for humans: what was loaded.
        public var description: String
    }

    /// Recognises `path` by its contents.
    public static func detect(_ path: String) throws -> ReplaySource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StreamLoadError("\(path): no such file or folder")
        }
        if isDirectory.boolValue {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if files.contains("journal.json") { return .journal(directory: path) }
            if files.contains(where: { $0.hasPrefix("preds_h") && $0.hasSuffix(".csv") }) { return .oosDaily(directory: path) }
            throw StreamLoadError("\(path): neither a journal (journal.json) nor an oos-daily folder (preds_h{H}.csv)")
        }
        throw StreamLoadError("\(path): give a journal folder or an oos-daily folder")
    }

    /// Loads the events of `horizons` (all horizons present when nil), with the regime messages of
    /// `regimeNames` (`regimes.csv`) when given.
    public func load(horizons: [Int]? = nil, regimeNames: [String] = []) throws -> Loaded {
        switch self {
        case .journal(let directory):
            throw StreamLoadError("\(directory): a journal is replayed message by message (ReplayRunner.run(journal:)), not loaded as events")
        case .oosDaily(let directory):
            let l = try OOSDailyStream.load(directory: directory, horizons: horizons, regimeNames: regimeNames)
            return Loaded(events: l.events, models: l.models, horizons: l.horizons,
                          description: "\(directory): oos-daily, \(l.events.count) events, \(l.symbols.count) symbols × \(l.horizons.count) horizons × \(l.models.count) models")
        }
    }

    /// How the source is named in reports.
    public var name: String {
        switch self {
        case .oosDaily(let directory), .journal(let directory): return directory
        }
    }
}
