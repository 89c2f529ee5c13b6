import Foundation
import Logging
import StackdCore
import StackdTraining

/// The work behind `stackd models list|rollback`, here so tests can call it without the binary.
package enum ModelStoreCommands {
    /// The note every command that moves `CURRENT` prints.
    static let restartNote = "a running daemon picks the change up on restart"

    /// Horizons with a directory under `<state>/models/`, ascending.
    static func storedHorizons(state: String) -> [Int] {
        let root = (state as NSString).appendingPathComponent("models")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { $0.hasPrefix("h") ? Int($0.dropFirst()) : nil }.filter { $0 > 0 }.sorted()
    }

    /// The layout recorded in the `meta_config.json` of the current version (else the newest one)
    /// of a horizon: what the CLI checks versions against when no configuration is given.
    package static func recordedLayout(state: String, horizon: Int) -> StackingFeatureLayout? {
        let dir = ((state as NSString).appendingPathComponent("models") as NSString)
            .appendingPathComponent(ArtifactSchema.horizonDirectory(horizon))
        let current = (try? String(contentsOfFile: (dir as NSString).appendingPathComponent(ModelStore.currentFile), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("v") && ModelStore.sequence(of: $0) != nil }
            .sorted { ModelStore.sequence(of: $0)! > ModelStore.sequence(of: $1)! }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        for name in (current.map { [$0] } ?? []) + names {
            let path = ((dir as NSString).appendingPathComponent(name) as NSString).appendingPathComponent(ArtifactSchema.metaConfig)
            if let data = FileManager.default.contents(atPath: path), let c = try? d.decode(MetaConfigDocument.self, from: data) {
                return StackingFeatureLayout(models: c.models, classCount: c.classCount, includesRegimes: c.layoutIncludesRegimes,
                                             skillWindow: c.layoutSkillWindow ?? 0)
            }
        }
        return nil
    }

    /// A store for one horizon: `layout` when given (from the configuration), else the recorded one.
    static func store(state: String, horizon: Int, layout: StackingFeatureLayout?, logger: Logger) -> ModelStore? {
        guard let layout = layout ?? recordedLayout(state: state, horizon: horizon) else { return nil }
        return ModelStore(directory: state, horizons: [horizon], layout: layout, logger: logger)
    }

    /// `stackd models list`: one block per horizon, one line per version.
    package static func list(state: String, horizon: Int? = nil, layout: StackingFeatureLayout? = nil,
                            logger: Logger = Logger(label: "stackd.models", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> String {
        let horizons = horizon.map { [$0] } ?? storedHorizons(state: state)
        guard !horizons.isEmpty else { return "no models stored under \((state as NSString).appendingPathComponent("models"))\n" }
        var out = ""
        for h in horizons {
            let dir = ((state as NSString).appendingPathComponent("models") as NSString).appendingPathComponent(ArtifactSchema.horizonDirectory(h))
            guard let store = store(state: state, horizon: h, layout: layout, logger: logger) else {
                let current = (try? String(contentsOfFile: (dir as NSString).appendingPathComponent(ModelStore.currentFile), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                out += "h\(h): current \(current ?? "(none)"); no stored versions\n"
                continue
            }
            let versions = try store.versions(horizon: h)
            out += "h\(h): current \(store.current(horizon: h) ?? "(none)") (\(dir))\n"
            if store.current(horizon: h) == ModelStore.averaging { out += "* averaging      (version 0, no files)\n" }
            for v in versions {
                out += "\(v.isCurrent ? "*" : " ") \(v.name)  \(v.createdAt)  \(v.method) v\(v.combinerVersion)  \(v.reason)"
                if let p = v.problem { out += "  INVALID: \(p)" }
                out += "\n"
            }
        }
        return out
    }

    /// `stackd models rollback`: moves `CURRENT`; returns what it did.
    package static func rollback(state: String, horizon: Int, to target: String?, layout: StackingFeatureLayout? = nil,
                                logger: Logger = Logger(label: "stackd.models", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> String {
        guard let store = store(state: state, horizon: horizon, layout: layout, logger: logger) else {
            throw ModelStoreError.unknownVersion(horizon: horizon, version: target ?? "(previous)", available: [])
        }
        let r = try store.rollback(horizon: horizon, to: target)
        var out = "h\(horizon): CURRENT \(r.from ?? "(none)") -> \(r.to)\n"
        for s in r.skipped { out += "  skipped invalid \(s)\n" }
        out += "note: \(restartNote)\n"
        return out
    }
}
