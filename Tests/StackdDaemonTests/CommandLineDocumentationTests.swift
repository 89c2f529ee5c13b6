import Foundation
import StackdLearning
import StackdTestSupport
import StackdZMQ
import XCTest

/// What the real binary tells a user about itself: `--version` names the native libraries in use,
/// and the man page and shell completions cover every subcommand `stackd --help` lists.
final class CommandLineDocumentationTests: XCTestCase {
    static let binary = Repository.stackdBinary

    func run(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip("\(Self.binary.path) is not built")
        }
        let done = try CapturedProcess.run(Self.binary, arguments, timeout: 60)
        XCTAssertEqual(done.status, 0, "stackd \(arguments.joined(separator: " ")): \(done.stderr)")
        return done.stdout
    }

    /// The SUBCOMMANDS section of a help text: the first word of each indented line.
    func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty || !line.hasPrefix("  ") { break }
            if let word = line.split(separator: " ").first, line.hasPrefix("  \(word)") { names.append(String(word)) }
        }
        return names
    }

    func testVersionNamesTheLibrariesLoaded() throws {
        let lines = try run(["--version"]).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, "\(lines)")
        XCTAssertTrue(lines[0].hasPrefix("stackd "), lines[0])
        XCTAssertEqual(lines[1], "libzmq \(ZMQVersion.current)")
        XCTAssertNotNil(lines[2].range(of: #"^liblz4 [0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("OpenBLAS "), lines[3])
        XCTAssertTrue(lines[3].contains(OpenBLASVersion.configuration.replacingOccurrences(of: "OpenBLAS ", with: "")), lines[3])
        XCTAssertTrue(lines[3].hasSuffix("(core \(OpenBLASVersion.coreName))"), lines[3])
        XCTAssertNotNil(lines[4].range(of: #"^XGBoost [0-9]+\.[0-9]+\.[0-9]+$"#, options: .regularExpression), lines[4])
    }

    func testManualPageListsEverySubcommand() throws {
        let top = subcommands(try run(["--help"]))
        XCTAssertTrue(top.contains("run") && top.contains("replay") && top.contains("models"), "\(top)")
        XCTAssertFalse(top.contains("generate-manual"), "an install step, hidden from the list")
        var paths = top.map { "stackd \($0)" }
        for name in top {
            paths += subcommands(try run([name, "--help"])).map { "stackd \(name) \($0)" }
        }
        XCTAssertTrue(paths.contains("stackd models list"), "\(paths)")
        let page = try run(["generate-manual"])
        XCTAssertTrue(page.hasPrefix(".TH STACKD 1 "), String(page.prefix(80)))
        for path in paths {
            XCTAssertTrue(page.contains(".SS \"\(path)\"\n"), "the man page has a section for \(path)")
        }
        XCTAssertEqual(page.components(separatedBy: ".SS \"").count - 1, paths.count, "one section per subcommand")
        for line in page.split(separator: "\n") where line.hasPrefix(".") {
            XCTAssertTrue(["TH", "SH", "SS", "B", "I", "RI", "RB", "br", "PP", "nf", "fi"].contains { line.hasPrefix(".\($0)") },
                          "only known requests: \(line)")
        }
    }

    func testCompletionScriptsOfferEverySubcommand() throws {
        let top = subcommands(try run(["--help"]))
        for shell in ["bash", "zsh", "fish"] {
            let script = try run(["--generate-completion-script", shell])
            for name in top { XCTAssertTrue(script.contains(name), "\(shell) completion offers \(name)") }
        }
    }
}
