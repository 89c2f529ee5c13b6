import ArgumentParser
import Foundation
import Logging
import StackdDaemon
import StackdSignals

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward predictions and labels from publishers to several daemons (ZeroMQ XSUB/XPUB proxy).",
        discussion: """
            Publishers reach the frontend (XSUB), daemons subscribe at the backend (XPUB); their \
            topic subscriptions travel back to the publishers, which keep filtering at the source. \
            ENDPOINT or @ENDPOINT binds, >ENDPOINT connects (e.g. --frontend tcp://127.0.0.1:5555 \
            --frontend '>tcp://models-2:5555' --backend tcp://10.0.0.5:5556). Sends READY=1 to \
            systemd when bound; SIGTERM/SIGINT stop it (exit 0). No CURVE yet: a non-loopback \
            tcp:// bind needs --allow-plaintext-remote. Exit codes: 0 stopped by a signal, 78 a \
            malformed endpoint or one that cannot be bound or connected, 1 any other failure.
            """)

    @Option(name: .customLong("frontend"), help: "Where the publishers are (XSUB); repeat for several.")
    var frontends: [String] = []

    @Option(name: .customLong("backend"), help: "Where the daemons subscribe (XPUB); repeat for several.")
    var backends: [String] = []

    @Option(help: "Send and receive high-water mark of both sockets, in messages.")
    var hwm: Int32 = 1_000_000

    @Flag(help: "Allow binding a non-loopback tcp:// endpoint in plaintext.")
    var allowPlaintextRemote = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard hwm >= 0 else { throw ValidationError("--hwm must be 0 (no limit) or more, not \(hwm)") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let logger = bootstrapLogging(level: logLevel)
        var options = TopicProxyOptions(frontends: frontends, backends: backends)
        options.highWaterMark = hwm
        options.allowPlaintextRemote = allowPlaintextRemote
        let proxy: TopicProxy
        do {
            proxy = try TopicProxy(options: options, logger: logger)
        } catch let error as SecurityError {
            FileHandle.standardError.write(Data("stackd proxy: refusing to start: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
        let signals = SignalEvents { request, _ in
            if request == .stop { proxy.stop() }
        }
        do {
            try proxy.run(stopRequested: { signals.stopRequested })
        } catch let error as TopicProxy.EndpointFailure {
            FileHandle.standardError.write(Data("stackd proxy: refusing to start: \(error.description)\n".utf8))
            throw ExitCode(78)
        } catch {
            FileHandle.standardError.write(Data("stackd proxy: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
