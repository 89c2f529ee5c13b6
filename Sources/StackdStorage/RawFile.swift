#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX file descriptor with positional I/O.
///
/// Positional `pread`/`pwrite` rather than `FileHandle`: the writer tracks its own end offset
/// (so a failed write can be cut back with `ftruncate`), and every failure carries its `errno`.
final class RawFile {
    let path: String
    private let descriptor: Int32

    /// - Parameter mode: for a created file; state files are private (`PrivateFiles.fileMode`).
    init(path: String, flags: Int32, mode: mode_t = PrivateFiles.fileMode) throws(StorageError) {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(operation: "open", path: path, code: errno) }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    func size() throws(StorageError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io(operation: "fstat", path: path, code: errno) }
        return Int(info.st_size)
    }

    /// Reads up to `into.count` bytes at `offset` into caller-owned memory and returns how many
    /// were read (fewer only at end of file): the sequential reader's path, which reuses one
    /// buffer instead of allocating (and zeroing, and page-faulting in) an array per block.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pread", path: path, code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try read(at: offset, into: buffer) }
        }
        let done = try result.get()
        if done < count { bytes.removeSubrange(done...) }
        return bytes
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pwrite", path: path, code: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(StorageError) in try write(buffer, at: offset) } }
        try result.get()
    }

    func sync() throws(StorageError) {
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: path, code: errno) }
    }

    func truncate(to length: Int) throws(StorageError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw .io(operation: "ftruncate", path: path, code: errno)
        }
    }
}
