import ArgumentParser
import Foundation
import StackdDaemon
import StackdJournal
import StackdSignals

/// `stackd record`: captures ZeroMQ input streams into a journal that `stackd replay` (later)
/// feeds through the same pipeline, byte for byte.
struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record ZeroMQ messages from any endpoints and topics into a journal directory.",
        discussion: "Subscribes with one SUB socket (connecting, or binding with --bind) and stores every message's frames and receive time (CLOCK_MONOTONIC ns, with the UTC offset in journal.json). Stops on SIGINT/SIGTERM, --seconds or --max-messages, then prints a one-line summary. Format: schemas/journal.md. With --curve-secret-key the socket uses CURVE: a client of the publisher (--curve-server-key) when connecting, a server admitting --client-keys when binding; binding a non-loopback tcp endpoint in plaintext needs --allow-plaintext-remote.")

    @Option(name: .customLong("endpoint"), help: "ZeroMQ endpoint to subscribe through (repeatable).")
    var endpoints: [String] = []

    @Flag(help: "Bind the endpoints instead of connecting to them.")
    var bind = false

    @Option(name: .customLong("topic"), help: "Topic prefix to subscribe to (repeatable; default: everything).")
    var topics: [String] = []

    @Option(help: "New journal directory (must not already hold a journal).")
    var out: String

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Stop after this many messages.")
    var maxMessages: Int?

    @Option(help: "Free-form note stored in journal.json.")
    var note: String = ""

    @Flag(help: "Store blocks without LZ4 compression (about 3.7x the disk, no LZ4 work).")
    var noCompress = false

    @Option(help: ArgumentHelp("CURVE: this recorder's secret key file (`stackd keygen`); with --curve-server-key when connecting, with --client-keys when binding.", valueName: "file"))
    var curveSecretKey: String?

    @Option(help: ArgumentHelp("CURVE, connecting: the publisher's public key file.", valueName: "file"))
    var curveServerKey: String?

    @Option(help: ArgumentHelp("CURVE, with --bind: directory of the public key files (*.key) of the publishers allowed to connect.", valueName: "dir"))
    var clientKeys: String?

    @Flag(help: "With --bind: accept a non-loopback tcp endpoint without CURVE.")
    var allowPlaintextRemote = false

    func validate() throws {
        guard !endpoints.isEmpty else { throw ValidationError("give at least one --endpoint") }
        if let seconds, seconds <= 0 { throw ValidationError("--seconds must be positive") }
        if let maxMessages, maxMessages <= 0 { throw ValidationError("--max-messages must be positive") }
        if curveSecretKey == nil, curveServerKey != nil || clientKeys != nil {
            throw ValidationError("--curve-server-key and --client-keys need --curve-secret-key")
        }
        if curveSecretKey != nil {
            if bind, clientKeys == nil { throw ValidationError("--bind with CURVE needs --client-keys DIR") }
            if !bind, curveServerKey == nil { throw ValidationError("connecting with CURVE needs --curve-server-key FILE") }
        }
    }

    func run() throws {
        var options = JournalCaptureOptions(endpoints: endpoints, directory: out, bind: bind, topics: topics, note: note,
                                            maxMessages: maxMessages, maxSeconds: seconds,
                                            configuration: JournalConfiguration(compress: !noCompress))
        options.curveSecretKeyFile = curveSecretKey
        options.curveServerKeyFile = curveServerKey
        options.clientKeysDirectory = clientKeys
        options.allowPlaintextRemote = allowPlaintextRemote
        let capture = options
        let signals = SignalEvents()
        let outcome = CaptureOutcome()
        // The capture blocks in zmq_poll, so it gets its own thread rather than a task.
        let thread = Thread {
            outcome.set(Result { try JournalCapture.run(capture, stopRequested: { signals.stopRequested }) })
        }
        thread.name = "stackd-record"
        thread.start()
        let summary: JournalCaptureSummary
        do {
            summary = try outcome.wait().get()
        } catch {
            FileHandle.standardError.write(Data("stackd record: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("stackd record: \(out): \(summary)")
    }
}

/// Hands the capture thread's result to the main thread.
private final class CaptureOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<JournalCaptureSummary, any Error>?

    func set(_ value: Result<JournalCaptureSummary, any Error>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<JournalCaptureSummary, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
