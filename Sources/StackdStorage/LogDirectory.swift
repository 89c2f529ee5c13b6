#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File naming and the directory-level operations that make segment creation, compaction and
/// deletion atomic.
///
/// A rename or unlink is only durable once the *directory* is fsynced; without that, a power
/// cut can resurrect a deleted segment or lose a freshly renamed one.
enum LogDirectory {
    static let segmentPrefix = "seg-"
    static let segmentSuffix = ".sklog"
    static let temporarySuffix = ".tmp"
    /// Appended to a segment set aside because its header is damaged: the name no longer ends in
    /// `segmentSuffix`, so the log ignores the file, which stays for an operator to inspect.
    public static let quarantineSuffix = ".damaged"

    /// Zero-padded to 20 digits (the width of `UInt64.max`) so lexical order is numeric order.
    static func segmentName(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return segmentPrefix + String(repeating: "0", count: 20 - digits.count) + digits + segmentSuffix
    }

    static func firstSequence(ofSegmentNamed name: String) -> UInt64? {
        guard name.hasPrefix(segmentPrefix), name.hasSuffix(segmentSuffix) else { return nil }
        let digits = name.dropFirst(segmentPrefix.count).dropLast(segmentSuffix.count)
        guard digits.count == 20, digits.allSatisfy(\.isASCII) else { return nil }
        return UInt64(digits)
    }

    static func path(_ directory: String, _ name: String) -> String { directory + "/" + name }

    static func ensureExists(_ directory: String) throws(StorageError) {
        try PrivateFiles.createDirectories(directory)
    }

    static func entries(_ directory: String) throws(StorageError) -> [String] {
        guard let handle = opendir(directory) else { throw .io(operation: "opendir", path: directory, code: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Segment file names sorted by first sequence.
    static func segmentNames(_ directory: String) throws(StorageError) -> [String] {
        try entries(directory)
            .compactMap { name in firstSequence(ofSegmentNamed: name).map { (name, $0) } }
            .sorted { $0.1 < $1.1 }
            .map(\.0)
    }

    static func syncDirectory(_ directory: String) throws(StorageError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: directory, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: directory, code: errno) }
    }

    static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "unlink", path: path, code: errno) }
    }

    static func rename(_ from: String, to: String) throws(StorageError) {
        #if canImport(Glibc)
        let result = Glibc.rename(from, to)
        #else
        let result = Darwin.rename(from, to)
        #endif
        guard result == 0 else { throw .io(operation: "rename", path: from, code: errno) }
    }

    /// Renames segment `name` to `<name>.damaged` (or `<name>.damaged.1`, `.2`, … when an earlier
    /// segment of that name was already set aside: one is never replaced) and returns the new
    /// name. The caller fsyncs the directory.
    static func quarantine(_ name: String, in directory: String) throws(StorageError) -> String {
        var candidate = name + quarantineSuffix
        var attempt = 0
        var info = stat()
        while lstat(path(directory, candidate), &info) == 0 {
            attempt += 1
            candidate = name + quarantineSuffix + "." + String(attempt)
        }
        guard errno == ENOENT else { throw .io(operation: "lstat", path: path(directory, candidate), code: errno) }
        try rename(path(directory, name), to: path(directory, candidate))
        return candidate
    }

    /// Creates `name` with `contents` so that it either exists complete or not at all: unique
    /// temp file (`O_EXCL | O_NOFOLLOW`, 0600), fsync, rename (replacing any file of that name),
    /// fsync the directory.
    static func atomicallyWrite(_ contents: [UInt8], named name: String, in directory: String) throws(StorageError) {
        let result = contents.withUnsafeBytes { bytes in
            Result { () throws(StorageError) in try PrivateFiles.atomicallyWrite(bytes, to: path(directory, name)) }
        }
        try result.get()
    }
}
