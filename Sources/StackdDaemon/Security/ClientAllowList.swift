import Foundation
import StackdZMQ

/// The CURVE public keys allowed to connect: every `*.key` file of one directory (the pyzmq /
/// CZMQ certificate store layout), re-read on demand (SIGHUP).
///
/// Read by the ZAP handler's thread for each new connection and replaced from the main thread
/// on reload, hence the lock; a connection check is a set lookup under it, a reload builds the
/// new set outside it and swaps it in, so a reload never makes a handshake wait on the disk.
package final class ClientAllowList: @unchecked Sendable {
    /// One allowed client.
    package struct Entry: Equatable, Sendable {
        /// The key file's name without `.key`, used as the ZAP user id and in logs.
        package var name: String
        package var publicKey: [UInt8]
    }

    /// What a (re)load found.
    package struct LoadReport: Equatable, Sendable {
        /// Keys now allowed.
        package var allowed: Int
        /// Files that could not be used, with why (they are not allowed; the others are).
        package var problems: [CurveKeyFileError]
    }

    package let directory: String
    private let lock = NSLock()
    private var byKey: [[UInt8]: String] = [:]

    /// Loads the directory; throws if it cannot be listed (a missing allow-list is a
    /// configuration error, not an empty list).
    package init(directory: String) throws {
        self.directory = directory
        let (entries, _) = try Self.scan(directory)
        byKey = Self.index(entries)
    }

    /// The client name of an allowed public key, or nil.
    package func name(of publicKey: UnsafeRawBufferPointer) -> String? {
        let key = Array(publicKey)
        lock.lock()
        defer { lock.unlock() }
        return byKey[key]
    }

    /// How many keys are allowed now.
    package var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return byKey.count
    }

    /// Re-reads the directory and swaps the new set in. When the directory cannot be listed
    /// the running set is kept and the error thrown; bad files are skipped and reported.
    @discardableResult
    package func reload() throws -> LoadReport {
        let (entries, problems) = try Self.scan(directory)
        let index = Self.index(entries)
        lock.lock()
        byKey = index
        lock.unlock()
        return LoadReport(allowed: index.count, problems: problems)
    }

    /// The first load's problems, for the start-up log.
    package func loadReport() throws -> LoadReport {
        let (entries, problems) = try Self.scan(directory)
        return LoadReport(allowed: Self.index(entries).count, problems: problems)
    }

    private static func index(_ entries: [Entry]) -> [[UInt8]: String] {
        var index: [[UInt8]: String] = [:]
        for e in entries { index[e.publicKey] = e.name }
        return index
    }

    /// Every `*.key` regular file of `directory`, sorted by name; hidden files and secret key
    /// files (`*.key_secret`) are ignored.
    static func scan(_ directory: String) throws -> ([Entry], [CurveKeyFileError]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CurveKeyFileError(path: directory, problem: "the client key directory cannot be listed (\((error as NSError).localizedDescription))")
        }
        var entries: [Entry] = []
        var problems: [CurveKeyFileError] = []
        for name in names.sorted() where name.hasSuffix(CurveKeyFile.publicSuffix) && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            do {
                let key = try CurveKeyFile.readPublicKey(path: path)
                entries.append(Entry(name: String(name.dropLast(CurveKeyFile.publicSuffix.count)), publicKey: key))
            } catch {
                problems.append(error as? CurveKeyFileError ?? CurveKeyFileError(path: path, problem: "\(error)"))
            }
        }
        return (entries, problems)
    }
}
