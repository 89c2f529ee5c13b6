import Foundation

/// What the daemon will need from this machine, checked without touching it (no socket, no
/// directory created): a bound address literal is one of this machine's, an ipc endpoint's
/// directory exists, the state and record directories, the CURVE key files. `stackd check-config` and `stackd run` (before binding) refuse on these,
/// so a configuration check-config accepts does not fail later with bare errno text.
///
/// Directories (`state.directory`, `record.directory`): an existing one must be a writable
/// directory; a missing one is accepted when its nearest existing ancestor is a writable
/// directory, since the daemon creates it with its parents.
enum ConfigurationHostCheck {
    /// One line per problem, each prefixed by `locate(section, key)` (`FILE:LINE: key: `).
    package static func problems(_ config: DaemonConfiguration, locate: (String, String) -> String) -> [String] {
        var out: [String] = []
        var localAddresses: Set<[UInt8]>?
        for (section, key, endpoints) in ConfigurationLoader.endpointKeys(config) where key == "bind" {
            for text in endpoints {
                guard case .success(let endpoint) = ZMQEndpoint.parse(text) else { continue }
                if let dir = endpoint.ipcDirectory, let why = directoryProblem(dir, mayCreate: false) {
                    out.append(locate(section, key) + "endpoint \"\(text)\": directory \(dir) \(why)")
                }
                if case .tcp(let host, _) = endpoint, let address = InterfaceAddresses.literal(host),
                   !InterfaceAddresses.isWildcardOrLoopback(address) {
                    if localAddresses == nil { localAddresses = InterfaceAddresses.assigned() }
                    if localAddresses?.contains(address) == false {
                        out.append(locate(section, key) + "endpoint \"\(text)\": \(host) is not an address of this machine, so it cannot be bound")
                    }
                }
            }
        }
        if let dir = config.stateDirectory, let why = directoryProblem(dir, mayCreate: true) {
            out.append(locate("state", "directory") + "\(dir) \(why)")
        }
        if let dir = config.recordDirectory, let why = directoryProblem(dir, mayCreate: true) {
            out.append(locate("record", "directory") + "\(dir) \(why)")
        }
        if config.security.curve {
            if let file = config.security.secretKeyFile, let why = readableFileProblem(file) {
                out.append(locate("security", "secret_key_file") + "\(file) \(why)")
            } else if let file = config.security.secretKeyFile {
                // Its content and mode too (schemas/curve-keys.md), not just that it can be opened.
                do { _ = try CurveKeyFile.readKeyPair(path: file) } catch { out.append(locate("security", "secret_key_file") + "\(error)") }
            }
            if let dir = config.security.clientKeysDirectory {
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
                    out.append(locate("security", "client_keys_directory") + "\(dir) does not exist")
                } else if !isDirectory.boolValue {
                    out.append(locate("security", "client_keys_directory") + "\(dir) is not a directory")
                } else if access(dir, R_OK | X_OK) != 0 {
                    out.append(locate("security", "client_keys_directory") + "\(dir) is not readable by this user")
                }
            }
        }
        return out
    }

    /// Why `path` cannot serve as a writable directory, or nil.
    static func directoryProblem(_ path: String, mayCreate: Bool) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return "is not a directory" }
            return access(path, W_OK | X_OK) == 0 ? nil : "is not writable by this user"
        }
        guard mayCreate else { return "does not exist" }
        var ancestor = (path as NSString).deletingLastPathComponent
        if ancestor.isEmpty { ancestor = "." }
        while !FileManager.default.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
            let up = (ancestor as NSString).deletingLastPathComponent
            if up == ancestor || up.isEmpty { return "does not exist and has no existing parent" }
            ancestor = up
        }
        guard isDirectory.boolValue else { return "cannot be created: \(ancestor) is not a directory" }
        return access(ancestor, W_OK | X_OK) == 0 ? nil : "does not exist and \(ancestor) is not writable by this user"
    }

    static func readableFileProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "does not exist" }
        guard !isDirectory.boolValue else { return "is a directory, not a key file" }
        return access(path, R_OK) == 0 ? nil : "is not readable by this user"
    }
}
