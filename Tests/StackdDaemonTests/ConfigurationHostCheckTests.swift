import Foundation
@testable import StackdDaemon
import StackdTestSupport
import XCTest

/// What `check-config` and `run` check on the machine, without side effects, and how a file
/// that is not text is refused.
final class ConfigurationHostCheckTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-hostcheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.appendingPathComponent("ro").path)
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ text: String, _ name: String = "c.toml") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func loadProblems(_ path: String, checkHost: Bool = true) -> [String] {
        do { _ = try ConfigurationLoader.load(path: path, environment: [:], checkHost: checkHost); return [] }
        catch let e as ConfigurationFileError { return e.problems }
        catch { return ["unexpected \(error)"] }
    }

    private func config(bind: String = "tcp://127.0.0.1:1", extra: String = "") -> String {
        """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        bind = ["\(bind)"]
        [output]
        bind = ["inproc://out"]
        \(extra)
        """
    }

    func testDirectoriesThatAreFilesOrMissingAreRefusedWithTheirKey() throws {
        let file = try write("x", "plain-file")
        let path = try write(config(bind: "ipc://\(directory.path)/missing/in.sock", extra: """
            [state]
            directory = "\(file)"
            [record]
            directory = "\(file)/journal"
            """))
        XCTAssertEqual(loadProblems(path), [
            "\(path):6: input.bind: endpoint \"ipc://\(directory.path)/missing/in.sock\": directory \(directory.path)/missing does not exist",
            "\(path):10: state.directory: \(file) is not a directory",
            "\(path):12: record.directory: \(file)/journal cannot be created: \(file) is not a directory",
        ])
        XCTAssertEqual(loadProblems(path, checkHost: false), [], "the file alone is valid")
    }

    /// `stackd run` refuses the same way before opening any socket: exit 78, the located line.
    func testRunRefusesAStateDirectoryThatIsAFileWithExit78() throws {
        let binary = Repository.stackdBinary
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "build first: swift build --build-tests")
        let file = try write("x", "plain-file")
        let path = try write(config(bind: "ipc://\(directory.path)/in.sock", extra: "[state]\ndirectory = \"\(file)\"\n"))
        let run = try CapturedProcess.run(binary, ["run", "--config", path], timeout: 60)
        XCTAssertFalse(run.timedOut)
        XCTAssertEqual(run.status, 78, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(path):10: state.directory: \(file) is not a directory\n"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(directory.path)/in.sock"), "refused before binding")
    }

    func testMissingDirectoriesUnderAWritableParentAreAcceptedAndNotCreated() throws {
        let state = directory.appendingPathComponent("a/b/state").path
        let path = try write(config(bind: "ipc://\(directory.path)/in.sock", extra: "[state]\ndirectory = \"\(state)\"\n"))
        XCTAssertEqual(loadProblems(path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("a").path), "a check has no side effects")
    }

    func testReadOnlyStateDirectoryIsRefused() throws {
        try XCTSkipIf(getuid() == 0, "root may write anywhere: access(W_OK) cannot refuse")
        let ro = directory.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: ro, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: ro.path)
        let path = try write(config(extra: "[state]\ndirectory = \"\(ro.path)\"\n"))
        XCTAssertEqual(loadProblems(path), ["\(path):10: state.directory: \(ro.path) is not writable by this user"])
    }

    func testCurveKeyFilesMustExist() throws {
        let path = try write(config(extra: """
            [security]
            curve = true
            secret_key_file = "\(directory.path)/server.secret"
            client_keys_directory = "\(directory.path)/clients"
            """))
        XCTAssertEqual(loadProblems(path), [
            "\(path):11: security.secret_key_file: \(directory.path)/server.secret does not exist",
            "\(path):12: security.client_keys_directory: \(directory.path)/clients does not exist",
        ])
        _ = try write("0123456789012345678901234567890123456789", "server.secret")
        // A secret key file others may read is refused too (schemas/curve-keys.md): owner only.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(directory.path)/server.secret")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("clients"), withIntermediateDirectories: true)
        XCTAssertEqual(loadProblems(path), [])
    }

    func testEndpointSyntaxIsRefusedWithItsKey() throws {
        let long = "ipc:///" + String(repeating: "x", count: 120)
        for (endpoint, why) in [("tcp://127.0.0.1", "must be tcp://HOST:PORT"), ("tcp://127.0.0.1:70000", "must end with a port 0...65535 or *"),
                                ("tcp://127.0.0.1:+5", "must end with a port 0...65535 or *"), ("tcp://127.0.0.1:", "must end with a port"),
                                ("tcp://:5", "has no host"), (long, "has a path of 121 bytes; a Unix socket path holds at most 107"), ("inproc://", "has no name"),
                                ("zmq://x", "must start with tcp://, ipc:// or inproc://")] {
            let path = try write(config(bind: endpoint))
            let p = loadProblems(path)
            XCTAssertEqual(p.count, 1, "\(endpoint): \(p)")
            XCTAssertTrue(p.first?.hasPrefix("\(path):6: input.bind: endpoint \"\(endpoint)\" \(why)") ?? false, "\(p)")
        }
    }

    /// 192.0.2.1 (TEST-NET-1, RFC 5737) is never assigned to a machine; loopback and the
    /// wildcards always bind.
    func testBindingAnAddressThisMachineDoesNotHaveIsRefused() throws {
        let extra = "[security]\nallow_plaintext_remote = true\n"
        for (host, refused) in [("192.0.2.1", true), ("[2001:db8::1]", true), ("127.0.0.7", false), ("0.0.0.0", false),
                                ("[::]", false), ("[::1]", false), ("*", false), ("localhost", false)] {
            let path = try write(config(bind: "tcp://\(host):5", extra: extra))
            let p = loadProblems(path)
            if refused {
                let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                XCTAssertEqual(p, ["\(path):6: input.bind: endpoint \"tcp://\(host):5\": \(bare) is not an address of this machine, so it cannot be bound"])
            } else {
                XCTAssertEqual(p, [], host)
            }
        }
        // Connecting to a remote address is fine (it is the peer's).
        let path = try write(config(extra: extra).replacingOccurrences(of: "[output]\n", with: "[output]\nconnect = [\"tcp://192.0.2.1:5\"]\n"))
        XCTAssertEqual(loadProblems(path), [])
    }

    func testNonUTF8FileNamesTheLineAndOffsetOfTheFirstBadByte() throws {
        var bytes = Array(config().utf8)
        let offset = try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: "h")))   // "horizons", line 4
        bytes.insert(0xFF, at: offset)
        let path = directory.appendingPathComponent("bad.toml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(loadProblems(path), ["\(path):4: not UTF-8 text: byte 0xFF at byte offset \(offset) (is this a binary file?)"])
        // A truncated multi-byte sequence at the very end, and a NUL.
        try Data(Array("# é".utf8).dropLast()).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(loadProblems(path), ["\(path):1: not UTF-8 text: byte 0xC3 at byte offset 2 (is this a binary file?)"])
        try Data([0x23, 0x0A, 0x00]).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(loadProblems(path), ["\(path):2: not UTF-8 text: a NUL byte at byte offset 2 (is this a binary file?)"])
    }

    func testValidUTF8IsAcceptedByTheValidator() {
        for text in ["", "ascii", "é", "€", "𝄞", "日本語"] {
            XCTAssertNil(ConfigurationText.firstInvalidByte(Array(text.utf8)), text)
        }
        // Overlong, surrogate, above U+10FFFF, lone continuation.
        for bytes: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]] {
            XCTAssertEqual(ConfigurationText.firstInvalidByte(bytes), 0, "\(bytes)")
        }
    }

    func testMissingFileAndDirectoryAreNamed() throws {
        XCTAssertEqual(loadProblems(directory.appendingPathComponent("nope.toml").path),
                       ["\(directory.appendingPathComponent("nope.toml").path): cannot read the configuration: no such file"])
        XCTAssertEqual(loadProblems(directory.path), ["\(directory.path): cannot read the configuration: it is a directory"])
    }
}
