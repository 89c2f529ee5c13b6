import StackdDaemon
import XCTest

/// `[security]`: keys parsed into `SecurityConfiguration`, and the plaintext policy for endpoints
/// that reach beyond this machine.
final class SecurityConfigurationTests: XCTestCase {
    private func file(input: String = "tcp://127.0.0.1:5555", output: String = "ipc:///tmp/stackd-out.sock",
                      security: String = "") -> String {
        """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        bind = ["\(input)"]
        [output]
        bind = ["\(output)"]
        \(security)
        """
    }

    private func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigurationLoader.parse(text, source: "s.toml")
            return []
        } catch let error as ConfigurationFileError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    func testDefaultsAreOffAndLoopbackNeedsNoCurve() throws {
        let c = try ConfigurationLoader.parse(file(), source: "s.toml")
        XCTAssertEqual(c.security, SecurityConfiguration(curve: false, secretKeyFile: nil, clientKeysDirectory: nil,
                                                         allowPlaintextRemote: false))
    }

    func testEveryKeyIsParsed() throws {
        let c = try ConfigurationLoader.parse(file(security: """
            [security]
            curve = true
            secret_key_file = "/etc/stackd/server.secret"
            client_keys_directory = "/etc/stackd/clients"
            allow_plaintext_remote = true
            """), source: "s.toml")
        XCTAssertEqual(c.security, SecurityConfiguration(curve: true, secretKeyFile: "/etc/stackd/server.secret",
                                                         clientKeysDirectory: "/etc/stackd/clients", allowPlaintextRemote: true))
    }

    func testCurveRequiresBothPaths() {
        let p = problems(file(security: "[security]\ncurve = true\n"))
        XCTAssertEqual(p, [
            "s.toml:9: security.secret_key_file: is required with security.curve = true",
            "s.toml:9: security.client_keys_directory: is required with security.curve = true",
        ])
    }

    func testNonLoopbackTCPIsRefusedInPlaintext() {
        for host in ["*", "0.0.0.0", "10.1.2.3", "[::]", "example.com", "eth0", "128.0.0.1"] {
            let p = problems(file(input: "tcp://\(host):5555"))
            XCTAssertEqual(p.count, 1, "\(host): \(p)")
            XCTAssertTrue(p.first?.hasPrefix("s.toml:6: input.bind: endpoint \"tcp://\(host):5555\" reaches beyond this machine in plaintext") ?? false,
                          "\(host): \(p)")
        }
        let connect = problems(file(security: "[security]\n").replacingOccurrences(of: "[output]\n", with: "[output]\nconnect = [\"tcp://192.168.1.1:9\"]\n"))
        XCTAssertEqual(connect.count, 1, "\(connect)")
        XCTAssertTrue(connect.first?.contains("output.connect") ?? false, "\(connect)")
    }

    func testLoopbackHostsAreLocal() {
        for host in ["127.0.0.1", "127.255.0.9", "[::1]", "localhost", "LOCALHOST"] {
            XCTAssertEqual(problems(file(input: "tcp://\(host):5555")), [], host)
        }
    }

    func testPlaintextRemoteIsAcceptedWhenAllowedOrWithCurve() {
        XCTAssertEqual(problems(file(input: "tcp://*:5555", security: "[security]\nallow_plaintext_remote = true")), [])
        XCTAssertEqual(problems(file(input: "tcp://0.0.0.0:5555", security: """
            [security]
            curve = true
            secret_key_file = "/k/server.secret"
            client_keys_directory = "/k/clients"
            """)), [])
    }
}
