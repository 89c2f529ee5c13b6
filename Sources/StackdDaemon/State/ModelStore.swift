import Foundation
import Logging
import StackdCore
import StackdStorage
import StackdTraining
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The versioned store of served models under `<state>/models/hN/` (see `schemas/model-store.md`).
///
/// One directory per saved model (`v000001/`, `v000002/`, …: a store-assigned sequence, never
/// reused) holding the artifact files of that model, and a `CURRENT` file naming the one to serve
/// (or `averaging`). A version directory is written in full under a temporary name and renamed
/// into place, then `CURRENT` is replaced atomically, so a crash at any point leaves the previous
/// `CURRENT` pointing at a complete version.
///
/// Every load is validated against the layout the daemon will feed the model; a version that
/// fails is refused with a message naming the file, and the previous valid version is served.
/// The manifest records a CRC-32C of every file and of itself (store schema 2), so an edit that
/// still parses (one coefficient changed) is refused as well: JSON validity says nothing about
/// whether the numbers are the ones the retrain validated.
///
/// Files are created 0600 and directories 0700 (narrowed further by the umask): the store is
/// daemon state, not for other local users.
///
/// Single writer: `save`, `rollback` and `prune` of one horizon must not run concurrently (the
/// daemon calls `save` from its training thread only; the CLI while the daemon runs only moves
/// `CURRENT`, which is atomic). Holds no state in memory: every call reads the disk.
public struct ModelStore: Sendable {
    /// Version of this layout (`store_schema_version` in `version.json`): 2 adds checksums.
    package static let schemaVersion = 2
    /// Versions read: 1 (written before checksums; served unchecked, with a warning) and 2.
    static let readableSchemaVersions = 1...2
    /// `CURRENT`'s value when averaging is served.
    package static let averaging = "averaging"
    static let currentFile = "CURRENT"
    static let manifestFile = "version.json"
    static let defaultKeep = 5
    /// The `reason` labels of `stackd_model_files_refused_total`.
    static let refusalReasons = ArtifactRefusalReason.allCases.map(\.rawValue)

    /// `<state>/models`.
    package let root: String
    package let horizons: [Int]
    /// What the served models are checked against.
    package let layout: StackingFeatureLayout
    /// Versions kept per horizon (the current one is kept as well, even when older).
    package let keep: Int
    private let logger: Logger

    /// - Parameters:
    ///   - directory: the state directory (`[state] directory`); the store lives in `directory/models/`.
    ///   - horizons: the horizons served.
    ///   - layout: the feature layout of the running pipeline (models, classes, regimes).
    ///   - keep: versions kept per horizon (at least 1).
    ///   - logger: the caller's logger (refused versions, pruning), so the store's lines follow the
    ///     daemon's level, handler and `SIGHUP` level changes instead of a logger of its own.
    package init(directory: String, horizons: [Int], layout: StackingFeatureLayout, keep: Int = ModelStore.defaultKeep,
                logger: Logger) {
        root = (directory as NSString).appendingPathComponent("models")
        self.horizons = horizons
        self.layout = layout
        self.keep = max(1, keep)
        self.logger = logger
    }

    // MARK: Paths and names

    /// `<state>/models/hN`.
    package func horizonDirectory(_ horizon: Int) -> String {
        (root as NSString).appendingPathComponent(ArtifactSchema.horizonDirectory(horizon))
    }

    /// `<state>/models/hN/<name>`.
    package func versionDirectory(_ horizon: Int, _ name: String) -> String {
        (horizonDirectory(horizon) as NSString).appendingPathComponent(name)
    }

    /// `v000042` for 42 (six digits, more when needed).
    package static func versionName(_ sequence: Int) -> String {
        let digits = String(sequence)
        return "v" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The sequence of `v000042`, `v42` or `42`; nil for anything else.
    package static func sequence(of name: String) -> Int? {
        let body = name.hasPrefix("v") ? name.dropFirst() : Substring(name)
        guard !body.isEmpty, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber), let n = Int(body), n > 0 else { return nil }
        return n
    }

    // MARK: Saving

    /// Saves a model as a new version and makes it current; returns the version's name (or
    /// `averaging` when `combiner` is the plain averaging baseline, which needs no files).
    ///
    /// - Parameters:
    ///   - version: the combiner's model version, recorded in `version.json` (the directory name is
    ///     the store's own sequence, so a version number reused after a restart cannot collide).
    ///   - reason: why this model is served (the retrain's reason), shown by `stackd models list`.
    ///   - outcome: the full training outcome when available (all five artifact files are then
    ///     written); otherwise `model.json` and `meta_config.json` only. Ignored unless its
    ///     `chosen` is `combiner` itself.
    @discardableResult
    package func save(combiner: any MetaCombiner, horizon: Int, version: UInt32, reason: String,
                     outcome: TrainingOutcome? = nil) throws -> String {
        guard horizons.contains(horizon) else {
            throw ModelStoreError.unknownHorizon(horizon, known: horizons)
        }
        if combiner is AveragingCombiner {
            try setCurrent(horizon, ModelStore.averaging)
            logger.notice("model store: averaging is current", metadata: ["horizon": "\(horizon)", "reason": "\(reason)"])
            return ModelStore.averaging
        }
        let hdir = horizonDirectory(horizon)
        try createDirectory(hdir)
        removeLeftovers(horizon)
        let sequence = (try scanSequences(horizon).last ?? 0) + 1
        let name = ModelStore.versionName(sequence)
        let tmp = (hdir as NSString).appendingPathComponent(".tmp-\(name)-\(getpid())")
        let final = versionDirectory(horizon, name)
        do {
            var files: [String]
            if let outcome, outcome.horizon == horizon, outcome.chosen === combiner {
                files = try ArtifactWriter.write(outcome, directory: tmp, mode: AtomicFile.privateMode)
            } else {
                files = try ArtifactWriter.writeModel(combiner, horizon: horizon, layout: layout, reason: reason, directory: tmp,
                                                      mode: AtomicFile.privateMode)
            }
            files = files.map { ($0 as NSString).lastPathComponent }
            // Checksums of the bytes as they landed on disk, which is what a later load reads.
            let checksums = try files.map { file in
                FileChecksum(file: file, crc32c: ModelStore.checksum(try AtomicFile.read((tmp as NSString).appendingPathComponent(file))))
            }
            var manifest = VersionManifest(
                storeSchemaVersion: ModelStore.schemaVersion, horizon: horizon, version: name, sequence: sequence,
                combinerVersion: version, method: combiner.method.name, createdAt: ModelStore.timestamp(Date()),
                reason: reason, files: files + [ModelStore.manifestFile], checksums: checksums)
            manifest.manifestChecksum = try ModelStore.manifestChecksum(manifest)
            try AtomicFile.write(try ModelStore.encode(manifest), to: (tmp as NSString).appendingPathComponent(ModelStore.manifestFile),
                                 mode: AtomicFile.privateMode)
            // Refuse to publish what would not load back.
            _ = try validate(horizon: horizon, directory: tmp, name: name)
            guard rename(tmp, final) == 0 else {
                throw ArtifactError(file: final, message: "cannot rename \(tmp) into place: \(String(cString: strerror(errno)))")
            }
            AtomicFile.syncDirectory(hdir)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        try setCurrent(horizon, name)
        let removed = (try? prune(horizon: horizon)) ?? []
        logger.notice("model store: saved a new current version", metadata: [
            "horizon": "\(horizon)", "version": "\(name)", "combiner_version": "\(version)",
            "method": "\(combiner.method.name)", "removed": "\(removed.joined(separator: ","))"])
        return name
    }

    /// Deletes all but the newest `keep` versions, never the current one; returns what it removed.
    @discardableResult
    package func prune(horizon: Int) throws -> [String] {
        let sequences = try scanSequences(horizon)
        let current = readCurrent(horizon).flatMap { ModelStore.sequence(of: $0) }
        let kept = Set(sequences.suffix(keep))
        var removed: [String] = []
        for s in sequences where !kept.contains(s) && s != current {
            let name = ModelStore.versionName(s)
            let dir = versionDirectory(horizon, name)
            // Renamed out of the way first so that a crash never leaves a half-deleted version.
            let trash = (horizonDirectory(horizon) as NSString).appendingPathComponent(".trash-\(name)")
            guard rename(dir, trash) == 0 else { continue }
            try? FileManager.default.removeItem(atPath: trash)
            removed.append(name)
        }
        if !removed.isEmpty { AtomicFile.syncDirectory(horizonDirectory(horizon)) }
        return removed
    }

    // MARK: Loading

    /// The model to serve at start: `CURRENT`'s version when it validates; otherwise (logged as
    /// an error naming the refused file) the newest older version that validates, else averaging.
    /// Nil when nothing was ever stored for the horizon. Never changes `CURRENT`.
    package func loadCurrent(horizon: Int) -> ModelSelection? {
        let versions = (try? scanSequences(horizon)) ?? []
        let current = readCurrent(horizon)
        if current == nil && versions.isEmpty { return nil }
        var refused: [String] = []
        var refusals: [ModelRefusal] = []
        var older: [Int]
        switch current {
        case ModelStore.averaging?:
            return ModelSelection(combiner: averagingCombiner(), version: ModelStore.averaging, current: ModelStore.averaging,
                                  fellBack: false, reason: "CURRENT is averaging")
        case let name? where ModelStore.sequence(of: name) != nil:
            do {
                let loaded = try validate(horizon: horizon, name: name)
                warnIfUnchecked(horizon: horizon, name: name)
                return ModelSelection(combiner: loaded.combiner, version: name, current: name, fellBack: false,
                                      reason: "CURRENT is \(name)")
            } catch {
                let message = ModelStore.describe(error)
                refusals.append(ModelRefusal(version: name, reason: ModelStore.refusalReason(error), message: message))
                logger.error("model store: refusing the current model; falling back to the previous valid version", metadata: [
                    "horizon": "\(horizon)", "version": "\(name)", "error": "\(message)"])
                refused.append("\(name) refused: \(message)")
                let s = ModelStore.sequence(of: name)!
                older = versions.filter { $0 < s }
            }
        default:
            let file = (horizonDirectory(horizon) as NSString).appendingPathComponent(ModelStore.currentFile)
            let message = current.map { "\(file): names '\($0)', which is not a version" } ?? "\(file): missing or unreadable"
            logger.error("model store: no usable CURRENT; falling back to the newest valid version", metadata: [
                "horizon": "\(horizon)", "error": "\(message)"])
            refused.append(message)
            older = versions
        }
        for s in older.reversed() {
            let name = ModelStore.versionName(s)
            do {
                let loaded = try validate(horizon: horizon, name: name)
                warnIfUnchecked(horizon: horizon, name: name)
                let reason = (refused + ["using previous valid version \(name)"]).joined(separator: "; ")
                logger.warning("model store: serving a previous version", metadata: [
                    "horizon": "\(horizon)", "version": "\(name)", "reason": "\(reason)"])
                return ModelSelection(combiner: loaded.combiner, version: name, current: current, fellBack: true, reason: reason,
                                      refusals: refusals)
            } catch {
                let message = ModelStore.describe(error)
                refusals.append(ModelRefusal(version: name, reason: ModelStore.refusalReason(error), message: message))
                logger.error("model store: refusing a previous version too", metadata: [
                    "horizon": "\(horizon)", "version": "\(name)", "error": "\(message)"])
                refused.append("\(name) refused: \(message)")
            }
        }
        let reason = (refused + ["no valid version left: using averaging"]).joined(separator: "; ")
        logger.error("model store: serving averaging", metadata: ["horizon": "\(horizon)", "reason": "\(reason)"])
        return ModelSelection(combiner: averagingCombiner(), version: ModelStore.averaging, current: current, fellBack: true,
                              reason: reason, refusals: refusals)
    }

    /// Every stored version of a horizon, oldest first, each checked against the layout.
    package func versions(horizon: Int) throws -> [ModelVersionInfo] {
        let current = readCurrent(horizon)
        return try scanSequences(horizon).map { s in
            let name = ModelStore.versionName(s)
            var info = ModelVersionInfo(name: name, sequence: s, combinerVersion: 0, method: "?", createdAt: "?",
                                        reason: "", isCurrent: current == name, problem: nil)
            do {
                let m = try readManifest(horizon: horizon, name: name)
                info.combinerVersion = m.combinerVersion
                info.method = m.method
                info.createdAt = m.createdAt
                info.reason = m.reason
                _ = try validate(horizon: horizon, name: name)
            } catch {
                info.problem = ModelStore.describe(error)
            }
            return info
        }
    }

    /// What `CURRENT` names (`v000003`, `averaging`), or nil when it is missing.
    package func current(horizon: Int) -> String? { readCurrent(horizon) }

    // MARK: Rollback

    /// Makes an earlier version (or averaging) current.
    ///
    /// - Parameter target: `v000003`, `3`, `averaging` (or `0`); nil for the newest valid version
    ///   older than the current one (the newest valid version when averaging is current).
    /// - Throws: `ModelStoreError` for an unknown or invalid version, or when there is nothing to
    ///   roll back to. `CURRENT` is then unchanged.
    @discardableResult
    package func rollback(horizon: Int, to target: String? = nil) throws -> RollbackResult {
        guard horizons.contains(horizon) else { throw ModelStoreError.unknownHorizon(horizon, known: horizons) }
        let sequences = try scanSequences(horizon)
        let current = readCurrent(horizon)
        var skipped: [String] = []
        let chosen: String
        if let target {
            let t = target.trimmingCharacters(in: .whitespaces)
            if t == ModelStore.averaging || t == "0" {
                chosen = ModelStore.averaging
            } else if let s = ModelStore.sequence(of: t), sequences.contains(s) {
                chosen = ModelStore.versionName(s)
                do { _ = try validate(horizon: horizon, name: chosen) } catch {
                    throw ModelStoreError.invalidVersion(horizon: horizon, version: chosen, problem: ModelStore.describe(error))
                }
            } else {
                throw ModelStoreError.unknownVersion(horizon: horizon, version: t,
                                                     available: sequences.map(ModelStore.versionName) + [ModelStore.averaging])
            }
        } else {
            let below = current.flatMap { ModelStore.sequence(of: $0) } ?? Int.max
            var found: String?
            for s in sequences.reversed() where s < below {
                let name = ModelStore.versionName(s)
                do { _ = try validate(horizon: horizon, name: name); found = name; break } catch {
                    skipped.append("\(name): \(ModelStore.describe(error))")
                }
            }
            guard let found else { throw ModelStoreError.nothingToRollBackTo(horizon: horizon, current: current, skipped: skipped) }
            chosen = found
        }
        try setCurrent(horizon, chosen)
        logger.notice("model store: rolled back", metadata: [
            "horizon": "\(horizon)", "from": "\(current ?? "-")", "to": "\(chosen)"])
        return RollbackResult(horizon: horizon, from: current, to: chosen, skipped: skipped)
    }

    // MARK: Internals

    /// Loads and checks one version directory.
    func validate(horizon: Int, name: String) throws -> LoadedArtifact {
        try validate(horizon: horizon, directory: versionDirectory(horizon, name), name: name)
    }

    private func validate(horizon: Int, directory: String, name: String) throws -> LoadedArtifact {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ArtifactError(file: directory, message: "no such version directory")
        }
        let manifestPath = (directory as NSString).appendingPathComponent(ModelStore.manifestFile)
        let manifestBytes: [UInt8]
        do { manifestBytes = try AtomicFile.read(manifestPath) } catch {
            throw ArtifactError(file: manifestPath, message: "missing or unreadable", reason: .manifest)
        }
        let m = try ModelStore.decodeManifest(manifestBytes, file: manifestPath)
        try ModelStore.verifyChecksums(m, directory: directory, file: manifestPath)
        guard m.horizon == horizon else {
            throw ArtifactError(file: manifestPath, message: "horizon \(m.horizon), expected \(horizon)", reason: .manifest)
        }
        guard m.version == name else {
            throw ArtifactError(file: manifestPath, message: "names version \(m.version), expected \(name)", reason: .manifest)
        }
        return try ArtifactLoader.load(directory: directory, horizon: horizon, layout: layout)
    }

    /// A version written before checksums existed is served, but the operator is told it was not
    /// verified (the next retrain writes a checked version).
    private func warnIfUnchecked(horizon: Int, name: String) {
        guard let m = try? readManifest(horizon: horizon, name: name), m.storeSchemaVersion < 2 else { return }
        logger.warning("model store: serving a version without checksums (store schema 1): not verified", metadata: [
            "horizon": "\(horizon)", "version": "\(name)"])
    }

    private func readManifest(horizon: Int, name: String) throws -> VersionManifest {
        let path = (versionDirectory(horizon, name) as NSString).appendingPathComponent(ModelStore.manifestFile)
        return try ModelStore.decodeManifest(AtomicFile.read(path), file: path)
    }

    private func averagingCombiner() -> any MetaCombiner {
        AveragingCombiner(modelCount: layout.models.count, classCount: layout.classCount)
    }

    /// Sequences of the version directories present, ascending.
    private func scanSequences(_ horizon: Int) throws -> [Int] {
        let dir = horizonDirectory(horizon)
        guard FileManager.default.fileExists(atPath: dir) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw ArtifactError(file: dir, message: "cannot list: \(error)")
        }
        return names.filter { $0.hasPrefix("v") }.compactMap(ModelStore.sequence(of:)).sorted()
    }

    private func readCurrent(_ horizon: Int) -> String? {
        let path = (horizonDirectory(horizon) as NSString).appendingPathComponent(ModelStore.currentFile)
        guard let bytes = try? AtomicFile.read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Replaces `CURRENT` atomically (temporary file, fsync, rename, fsync of the directory).
    private func setCurrent(_ horizon: Int, _ name: String) throws {
        let dir = horizonDirectory(horizon)
        try createDirectory(dir)
        try AtomicFile.write(Array("\(name)\n".utf8), to: (dir as NSString).appendingPathComponent(ModelStore.currentFile),
                             mode: AtomicFile.privateMode)
    }

    /// Removes temporary and trash directories a crash left behind.
    private func removeLeftovers(_ horizon: Int) {
        let dir = horizonDirectory(horizon)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name.hasPrefix(".tmp-") || name.hasPrefix(".trash-") {
            try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(name))
        }
    }

    private func createDirectory(_ dir: String) throws {
        try AtomicFile.createDirectories(dir, mode: 0o700)
    }

    static func describe(_ error: any Error) -> String {
        "\(error)"
    }

    /// The refusal counter's label for a load error.
    static func refusalReason(_ error: any Error) -> ArtifactRefusalReason {
        (error as? ArtifactError)?.reason ?? .invalid
    }

    /// `crc32c:` and the CRC-32C of `bytes` as eight lowercase hex digits.
    static func checksum(_ bytes: [UInt8]) -> String {
        let hex = String(CRC32C.checksum(bytes), radix: 16)
        return "crc32c:" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The manifest's own checksum, over `canonicalBytes`: every value counts, the JSON's
    /// whitespace and key order do not.
    static func manifestChecksum(_ m: VersionManifest) throws -> String {
        checksum(canonicalBytes(m))
    }

    /// Every field but `manifest_checksum`, in a fixed order, one `name:<UTF-8 byte count>:value`
    /// line each (`schemas/model-store.md`). Built here rather than by re-encoding JSON, so that a
    /// Foundation whose encoder formats differently cannot turn every stored version into a
    /// checksum mismatch; the byte count makes any value (newlines included) unambiguous.
    static func canonicalBytes(_ m: VersionManifest) -> [UInt8] {
        var out: [UInt8] = []
        func field(_ name: String, _ value: String) {
            out += Array("\(name):\(value.utf8.count):".utf8) + Array(value.utf8) + [UInt8(ascii: "\n")]
        }
        field("store_schema_version", String(m.storeSchemaVersion))
        field("horizon", String(m.horizon))
        field("version", m.version)
        field("sequence", String(m.sequence))
        field("combiner_version", String(m.combinerVersion))
        field("method", m.method)
        field("created_at", m.createdAt)
        field("reason", m.reason)
        for f in m.files { field("file", f) }
        for c in m.checksums ?? [] {
            field("checksum_file", c.file)
            field("checksum_crc32c", c.crc32c)
        }
        return out
    }

    /// Schema 2: the manifest's checksum, then every recorded file's. Schema 1 has none.
    static func verifyChecksums(_ m: VersionManifest, directory: String, file: String) throws {
        guard m.storeSchemaVersion >= 2 else { return }
        guard let recorded = m.manifestChecksum, let files = m.checksums else {
            throw ArtifactError(file: file, message: "store schema 2 manifest without checksums", reason: .manifest)
        }
        let actual = try manifestChecksum(m)
        guard actual == recorded else {
            throw ArtifactError(file: file, message: "manifest checksum mismatch (recorded \(recorded), computed \(actual)): edited or damaged",
                                reason: .checksum)
        }
        for name in m.files where name != manifestFile {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let expected = files.first(where: { $0.file == name })?.crc32c else {
                throw ArtifactError(file: file, message: "no checksum recorded for \(name)", reason: .manifest)
            }
            let bytes: [UInt8]
            do { bytes = try AtomicFile.read(path) } catch {
                throw ArtifactError(file: path, message: "listed in the manifest but missing or unreadable")
            }
            let got = checksum(bytes)
            guard got == expected else {
                throw ArtifactError(file: path, message: "checksum mismatch (recorded \(expected), computed \(got)): edited or damaged",
                                    reason: .checksum)
            }
        }
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    static func encode(_ m: VersionManifest) throws -> [UInt8] {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try e.encode(m)) + [UInt8(ascii: "\n")]
    }

    static func decodeManifest(_ bytes: [UInt8], file: String) throws -> VersionManifest {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        struct Versioned: Decodable { var storeSchemaVersion: Int }
        guard let v = try? d.decode(Versioned.self, from: Data(bytes)) else {
            throw ArtifactError(file: file, message: "corrupt or not a model store manifest", reason: .manifest)
        }
        guard readableSchemaVersions.contains(v.storeSchemaVersion) else {
            throw ArtifactError(file: file, message: "unknown store schema version \(v.storeSchemaVersion) (this stackd reads versions \(readableSchemaVersions.lowerBound)–\(readableSchemaVersions.upperBound))",
                                reason: .manifest)
        }
        do { return try d.decode(VersionManifest.self, from: Data(bytes)) } catch {
            throw ArtifactError(file: file, message: "corrupt model store manifest: \(error)", reason: .manifest)
        }
    }
}

/// `version.json` of a version directory.
struct VersionManifest: Codable, Equatable {
    var storeSchemaVersion: Int
    var horizon: Int
    var version: String
    var sequence: Int
    var combinerVersion: UInt32
    var method: String
    var createdAt: String
    var reason: String
    var files: [String]
    /// Schema 2: `crc32c:<8 hex>` of every file but the manifest (a list, not an object: the
    /// snake-case key strategy would rewrite file names used as keys).
    var checksums: [FileChecksum]? = nil
    /// Schema 2: `crc32c:<8 hex>` of this manifest encoded without this field.
    var manifestChecksum: String? = nil
}

/// One entry of `checksums` in `version.json`.
struct FileChecksum: Codable, Equatable {
    var file: String
    /// `crc32c:` and eight lowercase hex digits.
    var crc32c: String
}

/// A stored version refused at load: what the refusal counters and the log say.
package struct ModelRefusal: Sendable, Equatable {
    package var version: String
    package var reason: ArtifactRefusalReason
    package var message: String
    /// `reason` as the metric's label.
    package var label: String { reason.rawValue }
}

/// What `loadCurrent` chose and why.
package struct ModelSelection: Sendable {
    package var combiner: any MetaCombiner
    /// The version served: `v000003` or `averaging`.
    package var version: String
    /// What `CURRENT` names (nil when missing).
    package var current: String?
    /// True when `CURRENT`'s version was refused (or missing) and an earlier one is served.
    package var fellBack: Bool
    /// One line: which version and why, naming every refused file.
    package var reason: String
    /// Every version refused on the way (empty when `CURRENT` loaded).
    package var refusals: [ModelRefusal] = []
}

/// One line of `stackd models list`.
package struct ModelVersionInfo: Sendable, Equatable {
    package var name: String
    package var sequence: Int
    /// The combiner's own model version (the retrain's sequence).
    package var combinerVersion: UInt32
    package var method: String
    /// ISO 8601, UTC.
    package var createdAt: String
    package var reason: String
    package var isCurrent: Bool
    /// Why it would be refused at load; nil when it validates.
    package var problem: String?
}

/// What `rollback` did.
package struct RollbackResult: Sendable, Equatable {
    package var horizon: Int
    package var from: String?
    package var to: String
    /// Versions passed over because they do not validate (nil target only).
    package var skipped: [String]

    package init(horizon: Int, from: String?, to: String, skipped: [String]) {
        self.horizon = horizon
        self.from = from
        self.to = to
        self.skipped = skipped
    }
}

package enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    case unknownHorizon(Int, known: [Int])
    case unknownVersion(horizon: Int, version: String, available: [String])
    case invalidVersion(horizon: Int, version: String, problem: String)
    case nothingToRollBackTo(horizon: Int, current: String?, skipped: [String])

    package var description: String {
        switch self {
        case .unknownHorizon(let h, let known):
            return "horizon \(h) is not served (horizons: \(known.map(String.init).joined(separator: ", ")))"
        case .unknownVersion(let h, let v, let available):
            return "h\(h): no version '\(v)' (available: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .invalidVersion(let h, let v, let problem):
            return "h\(h): refusing \(v): \(problem)"
        case .nothingToRollBackTo(let h, let current, let skipped):
            return "h\(h): no valid version older than \(current ?? "(none)") to roll back to"
                + (skipped.isEmpty ? "" : " (refused: \(skipped.joined(separator: "; ")))")
        }
    }
}
