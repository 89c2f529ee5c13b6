import Foundation
import StackdCore
@testable import StackdDaemon
import StackdTestSupport
import XCTest

/// Deterministic mutations of the shipped configurations (lines deleted or duplicated, bytes
/// flipped, values swapped across types, extreme numbers, invalid UTF-8, truncation): the loader
/// never crashes, and every refusal is located (`FILE:LINE: …`) or names a key.
final class ConfigurationFuzzTests: XCTestCase {
    static let repository = ConfigurationReferenceTests.repository
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stackd-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static let replacements = ["1e308", "-1", "nan", "inf", "-inf", "9223372036854775807", "-9223372036854775808",
                               "0", "1e10", "\"text\"", "true", "[]", "[1, \"a\"]", "{ x = 1 }", "3.5", "\"\"",
                               "\"tcp://*:1\"", "[\"tcp://0.0.0.0:1\"]", "[\"ipc://\"]", "100000000", "1e-300", "0x7fffffff"]

    /// The mutated files: each mutation of each source, then random combinations.
    static func mutations(of text: String, seed: UInt64? = nil) -> [[UInt8]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let bytes = Array(text.utf8)
        var out: [[UInt8]] = []
        var rng = SplitMix64(seed: seed ?? UInt64(bytes.count))
        func join(_ l: [String]) -> [UInt8] { Array(l.joined(separator: "\n").utf8) }
        for i in lines.indices {
            var deleted = lines; deleted.remove(at: i); out.append(join(deleted))
            var duplicated = lines; duplicated.insert(lines[i], at: i); out.append(join(duplicated))
            if let eq = lines[i].firstIndex(of: "="), !lines[i].hasPrefix("#") {
                var swapped = lines
                swapped[i] = lines[i][...eq] + " " + replacements[rng.below(replacements.count)]
                out.append(join(swapped))
            }
        }
        for _ in 0..<40 {
            var flipped = bytes
            for _ in 0..<(1 + rng.below(3)) {
                let at = rng.below(flipped.count)
                flipped[at] ^= UInt8(truncatingIfNeeded: 1 << rng.below(8))
            }
            out.append(flipped)
        }
        for _ in 0..<20 {
            out.append(Array(bytes.prefix(rng.below(bytes.count))))
            var invalid = bytes
            invalid.insert([0xFF, 0xC3, 0x80, 0xED, 0x00][rng.below(5)], at: rng.below(bytes.count))
            out.append(invalid)
        }
        for _ in 0..<40 {
            var mixed = lines
            for _ in 0..<3 {
                let i = rng.below(mixed.count)
                if let eq = mixed[i].firstIndex(of: "="), !mixed[i].hasPrefix("#") {
                    mixed[i] = mixed[i][...eq] + " " + replacements[rng.below(replacements.count)]
                } else {
                    mixed.remove(at: i)
                }
            }
            out.append(join(mixed))
        }
        return out
    }

    static var sources: [(String, String)] {
        ["examples/stackd.toml", "systemd/stackd.toml"].compactMap { name in
            (try? String(contentsOf: repository.appendingPathComponent(name), encoding: .utf8)).map { (name, $0) }
        }
    }

    /// `FILE:LINE: …` or `FILE: section[.key]: …`.
    static func isLocated(_ problem: String, path: String) -> Bool {
        guard problem.hasPrefix(path + ":") else { return false }
        let rest = problem.dropFirst(path.count + 1)
        if let first = rest.first, first.isNumber { return true }
        let known = Set(ConfigurationKeys.all.flatMap { [$0.section, $0.path] })
        let name = rest.dropFirst().prefix { $0 != ":" }
        return known.contains(String(name))
    }

    func testMutatedConfigurationsNeverCrashAndEveryRefusalIsLocated() throws {
        let sources = Self.sources
        XCTAssertEqual(sources.count, 2)
        var files = 0, refused = 0
        // STACKD_CONFIG_FUZZ_ROUNDS=N adds N more seeds (a longer search, by hand).
        let rounds = Int(ProcessInfo.processInfo.environment["STACKD_CONFIG_FUZZ_ROUNDS"] ?? "") ?? 0
        let seeds: [UInt64?] = [nil] + (0..<max(0, rounds)).map { UInt64($0) }
        for (name, text) in sources {
            for (i, bytes) in seeds.flatMap({ Self.mutations(of: text, seed: $0) }).enumerated() {
                let path = directory.appendingPathComponent("\(name.replacingOccurrences(of: "/", with: "-"))-\(i).toml").path
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                files += 1
                do {
                    _ = try ConfigurationLoader.load(path: path, environment: [:])
                } catch let error as ConfigurationFileError {
                    refused += 1
                    XCTAssertFalse(error.problems.isEmpty, path)
                    for p in error.problems {
                        XCTAssertTrue(Self.isLocated(p, path: path), "unlocated problem in \(path): \(p)")
                        XCTAssertFalse(p.contains("\n"), "one line per problem: \(p)")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(files, 200)
        XCTAssertGreaterThan(refused, files / 2, "most mutations must be refused")
    }

    /// Inputs that made toml++ 3.4.0 abort (a precondition assertion) before the precheck; each
    /// now gets a located refusal. Valid look-alikes still parse.
    func testInputsThatAbortTheTOMLParserAreRefusedWithTheirLine() {
        let header = "a table header must start with a key name (letters, digits, _ or -, or a quoted name)"
        let brace = "'}' where an array value or ']' belongs"
        for (text, line, message) in [("[}etrics]\n", 1, header), ("x = 1\n[ }]\n", 2, header), ("[[}]]\n", 1, header),
                                      ("[[ .a]]\n", 1, header), ("[.a]\n", 1, header), ("[[[1]]]\n", 1, header), ("[{]\n", 1, header),
                                      ("a = [ }\n", 1, brace), ("a = [1, }\n", 1, brace), ("a = [\n\n}\n", 3, brace),
                                      ("a = [[}]]\n", 1, brace), ("a = {b=[}]}\n", 1, brace), ("a = [[1], }\n", 1, brace),
                                      ("a = [ # c ]\n }\n", 2, brace)] {
            XCTAssertThrowsError(try ConfigurationLoader.parse(text, source: "t.toml"), text) { error in
                XCTAssertEqual((error as? ConfigurationFileError)?.problems, ["t.toml:\(line): \(message)"], text)
            }
        }
        for text in ["a = \"[}\"\n", "a = '[ }'\n", "# [}\n", "a = \"\"\"\n[}\n\"\"\"\n", "a = [\n  \"x\", # }\n]\n",
                     "a = { b = [1] }\n", "[ \"quoted\" ]\n", "[[ 'q' ]]\n"] {
            XCTAssertNil(TOMLPrecheck.firstProblem(text), text)
        }
    }

    /// A few through the real binary: exit 78, every stderr line located, nothing on stdout.
    func testCheckConfigRefusesMutatedFilesWithExit78AndOneLinePerProblem() throws {
        let binary = Repository.stackdBinary
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "build first: swift build --build-tests")
        let (_, text) = try XCTUnwrap(Self.sources.first)
        var invalidUTF8 = Array(text.utf8); invalidUTF8.insert(0xFE, at: 40)
        let cases: [[UInt8]] = [
            Array(text.replacingOccurrences(of: "classes = 3", with: "classes = 1e308").utf8),
            Array(text.replacingOccurrences(of: "max_awaiting = 262144", with: "max_awaiting = 100000000").utf8),
            Array(text.replacingOccurrences(of: "tcp://127.0.0.1:5555", with: "tcp://*:5555").utf8),
            Array(text.replacingOccurrences(of: "min_rows = 2000", with: "min_rows = 2000\nevery_event_seconds = 1e10").utf8),
            invalidUTF8,
            Array(text.utf8.prefix(text.utf8.count / 3)),
        ]
        for (i, bytes) in cases.enumerated() {
            let path = directory.appendingPathComponent("binary-\(i).toml").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let run = try CapturedProcess.run(binary, ["check-config", path], timeout: 60)
            XCTAssertFalse(run.timedOut)
            XCTAssertEqual(run.status, 78, "case \(i): \(run.stderr)")
            XCTAssertEqual(run.stdout, "")
            let lines = run.stderr.split(separator: "\n").map(String.init)
            XCTAssertFalse(lines.isEmpty, "case \(i)")
            for line in lines { XCTAssertTrue(Self.isLocated(line, path: path), "case \(i): \(line)") }
        }
    }
}
