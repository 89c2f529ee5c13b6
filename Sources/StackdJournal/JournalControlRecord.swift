import Foundation

/// A record the live daemon writes into its own input journal when something that changes its
/// outputs happens off the message stream: the state it restored at start, an on-demand retrain,
/// a retrain's result taken into the pipeline (`schemas/journal.md` §8).
///
/// Why in the journal, among the messages: the ingest thread writes it at the very point of the
/// input stream where it acted, so `stackd replay` can act at the same point and reproduce the
/// live outputs whatever the training latency was (parity by construction), instead of
/// re-deriving install points from its own event-time schedule.
///
/// Stored with record version 2 and the message frame layout: frame 0 is a UTF-8 JSON header
/// (`kind` and the fields below), further frames are binary attachments (the restored state's
/// model files and rows).
public enum JournalControlRecord: Equatable, Sendable {
    /// First record of every `stackd run` session: what the daemon restored before reading.
    case sessionStarted(RestoredState)
    /// An on-demand retrain (SIGUSR1): the training requests taken at this point.
    case retrainRequested(RetrainRequested)
    /// A retrain's result taken by the ingest thread at this point (installed or not).
    case retrainFinished(RetrainFinished)

    /// The state a session started from (`[state]`): per horizon the served model and the
    /// labelled window, the rows awaiting labels, and the symbol table they refer to.
    public struct RestoredState: Equatable, Sendable {
        /// The pipeline's symbol table after the restore, by id.
        public var symbols: [String]
        public var horizons: [Horizon]
        /// Rows awaiting their labels, each `[u32 length][window-row bytes]` (`schemas/window-row.md`, label 255).
        public var awaitingRows: [UInt8]
        public var awaitingRowCount: Int

        public struct Horizon: Equatable, Sendable {
            public var horizon: Int
            /// Where the served model came from: `none` (nothing stored: averaging v0),
            /// `averaging` (the store names averaging) or `artifact` (the files below).
            public var modelSource: String
            public var modelVersion: UInt32
            public var method: String
            /// The model store version's files (`model.json`, `meta_config.json`, …) as loaded.
            public var modelFiles: [ModelFile]
            /// Labelled window rows in window order, each `[u32 length][window-row bytes]`.
            public var windowRows: [UInt8]
            public var windowRowCount: Int

            public init(horizon: Int, modelSource: String, modelVersion: UInt32, method: String, modelFiles: [ModelFile],
                        windowRows: [UInt8], windowRowCount: Int) {
                self.horizon = horizon
                self.modelSource = modelSource
                self.modelVersion = modelVersion
                self.method = method
                self.modelFiles = modelFiles
                self.windowRows = windowRows
                self.windowRowCount = windowRowCount
            }
        }

        public struct ModelFile: Equatable, Sendable {
            public var name: String
            public var bytes: [UInt8]
            public init(name: String, bytes: [UInt8]) {
                self.name = name
                self.bytes = bytes
            }
        }

        public init(symbols: [String], horizons: [Horizon], awaitingRows: [UInt8], awaitingRowCount: Int) {
            self.symbols = symbols
            self.horizons = horizons
            self.awaitingRows = awaitingRows
            self.awaitingRowCount = awaitingRowCount
        }
    }

    public struct RetrainRequested: Codable, Equatable, Sendable {
        /// Why: `on_demand` (SIGUSR1 or a control message).
        public var reason: String
        /// Per horizon index, the request's sequence, or nil when the window was empty.
        public var sequences: [Int?]
        public init(reason: String, sequences: [Int?]) {
            self.reason = reason
            self.sequences = sequences
        }
    }

    public struct RetrainFinished: Codable, Equatable, Sendable {
        public var horizon: Int
        public var horizonIndex: Int
        /// The request's sequence (`TrainingRequest.sequence`).
        public var sequence: Int
        /// `promote`, `keep`, `fallback` or `failed` (`TrainingResult.Decision`).
        public var decision: String
        /// The model handed to the pipeline (0 and empty when none).
        public var version: UInt32
        public var method: String
        /// The event time the request asked the model to apply from.
        public var applyFrom: Int64
        /// False when a row at or after `applyFrom` had already been emitted: the model applies
        /// from the next row (`StackingPipeline.offer`).
        public var onTime: Bool
        /// `ModelProbeDigest` of the model handed over (nil when none): its parameters, checked.
        public var probeDigest: String?
        public init(horizon: Int, horizonIndex: Int, sequence: Int, decision: String, version: UInt32, method: String,
                    applyFrom: Int64, onTime: Bool, probeDigest: String? = nil) {
            self.horizon = horizon
            self.horizonIndex = horizonIndex
            self.sequence = sequence
            self.decision = decision
            self.version = version
            self.method = method
            self.applyFrom = applyFrom
            self.onTime = onTime
            self.probeDigest = probeDigest
        }
    }

    /// Header version inside frame 0; a reader refuses others.
    public static let headerVersion = 1

    private struct Header: Codable {
        var v: Int
        var kind: String
        var retrainRequested: RetrainRequested?
        var retrainFinished: RetrainFinished?
        var symbols: [String]?
        var horizons: [HorizonHeader]?
        var awaitingRowCount: Int?
    }

    private struct HorizonHeader: Codable {
        var horizon: Int
        var modelSource: String
        var modelVersion: UInt32
        var method: String
        var modelFiles: [String]
        var windowRowCount: Int
    }

    /// Frame 0 (the JSON header) and the attachments, in order.
    public func encodedFrames() -> [[UInt8]] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var header = Header(v: Self.headerVersion, kind: "")
        var attachments: [[UInt8]] = []
        switch self {
        case .retrainRequested(let r):
            header.kind = "retrain_requested"
            header.retrainRequested = r
        case .retrainFinished(let r):
            header.kind = "retrain_finished"
            header.retrainFinished = r
        case .sessionStarted(let s):
            header.kind = "session_started"
            header.symbols = s.symbols
            header.awaitingRowCount = s.awaitingRowCount
            header.horizons = s.horizons.map {
                HorizonHeader(horizon: $0.horizon, modelSource: $0.modelSource, modelVersion: $0.modelVersion, method: $0.method,
                              modelFiles: $0.modelFiles.map(\.name), windowRowCount: $0.windowRowCount)
            }
            // Per horizon: each model file, then the window rows; last, the awaiting rows.
            for h in s.horizons {
                for f in h.modelFiles { attachments.append(f.bytes) }
                attachments.append(h.windowRows)
            }
            attachments.append(s.awaitingRows)
        }
        // Encoding plain strings, integers and arrays cannot fail.
        let json = (try? encoder.encode(header)).map { [UInt8]($0) } ?? []
        return [json] + attachments
    }

    /// Why a control record could not be read.
    public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a control record back from its frames.
    public static func decode(frames: [[UInt8]]) throws(DecodeError) -> JournalControlRecord {
        guard let first = frames.first else { throw DecodeError(reason: "control record without a header frame") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(first)) } catch {
            throw DecodeError(reason: "control record header is not valid JSON: \(error)")
        }
        guard header.v == headerVersion else { throw DecodeError(reason: "control record header version \(header.v)") }
        switch header.kind {
        case "retrain_requested":
            guard let r = header.retrainRequested else { throw DecodeError(reason: "retrain_requested without its fields") }
            return .retrainRequested(r)
        case "retrain_finished":
            guard let r = header.retrainFinished else { throw DecodeError(reason: "retrain_finished without its fields") }
            return .retrainFinished(r)
        case "session_started":
            guard let symbols = header.symbols, let horizons = header.horizons, let awaiting = header.awaitingRowCount else {
                throw DecodeError(reason: "session_started without its fields")
            }
            let expected = 1 + horizons.reduce(0) { $0 + $1.modelFiles.count + 1 } + 1
            guard frames.count == expected else {
                throw DecodeError(reason: "session_started has \(frames.count) frames, its header describes \(expected)")
            }
            var next = 1
            var restored: [RestoredState.Horizon] = []
            for h in horizons {
                var files: [RestoredState.ModelFile] = []
                for name in h.modelFiles {
                    files.append(RestoredState.ModelFile(name: name, bytes: frames[next]))
                    next += 1
                }
                restored.append(RestoredState.Horizon(horizon: h.horizon, modelSource: h.modelSource, modelVersion: h.modelVersion,
                                                      method: h.method, modelFiles: files, windowRows: frames[next],
                                                      windowRowCount: h.windowRowCount))
                next += 1
            }
            return .sessionStarted(RestoredState(symbols: symbols, horizons: restored, awaitingRows: frames[next],
                                                 awaitingRowCount: awaiting))
        default:
            throw DecodeError(reason: "unknown control record kind \"\(header.kind)\"")
        }
    }
}
