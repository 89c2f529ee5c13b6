import Foundation

/// Writes a plan's files into one directory: `shard-0.toml` … `shard-<K−1>.toml` and `plan.json`.
///
/// Existing files are only replaced with `overwrite`, because a new plan with another shard count
/// moves symbols between shards, and a shard's state (window, models) does not move with them.
/// With `overwrite`, the files of an earlier plan with more shards are removed, so the directory
/// never mixes two plans.
package enum ShardPlanOutput {
    package static let manifestName = "plan.json"

    @discardableResult
    package static func write(_ configurations: [ShardConfiguration], to directory: String, overwrite: Bool) throws -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ShardPlanError("--out \(directory) exists and is not a directory") }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            catch { throw ShardPlanError("--out \(directory): cannot create the directory (\(error.localizedDescription))") }
        }
        let planned = Set(configurations.map(\.fileName) + [manifestName])
        let existing = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0 == manifestName || ($0.hasPrefix("shard-") && $0.hasSuffix(".toml"))
        }
        if !overwrite, let first = existing.sorted().first {
            throw ShardPlanError("--out \(directory) already holds a plan (\(first)): choose an empty directory or pass --force")
        }
        for stale in existing where !planned.contains(stale) {
            do { try fm.removeItem(atPath: directory + "/" + stale) }
            catch { throw ShardPlanError("cannot remove the earlier plan's \(stale): \(error.localizedDescription)") }
        }
        var written: [String] = []
        let files = configurations.map { ($0.fileName, Data($0.text.utf8)) } + [(manifestName, try ShardPlanManifest(configurations).encoded())]
        for (name, data) in files {
            let path = directory + "/" + name
            do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) }
            catch { throw ShardPlanError("cannot write \(path): \(error.localizedDescription)") }
            written.append(path)
        }
        return written
    }
}
