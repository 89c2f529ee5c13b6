import Foundation
import StackdClock
import StackdStorage

/// `journal.json`: what a journal recorded and how to turn its receive times into dates.
///
/// Receive times are `CLOCK_MONOTONIC` nanoseconds (the clock the live driver stamps messages
/// with), which never jump but mean nothing outside the boot that produced them; the offset to
/// UTC sampled when recording started lets reports print dates without ever feeding wall time
/// into the pipeline.
public struct JournalManifest: Codable, Equatable, Sendable {
    /// Identifies the file as a stackd journal manifest.
    public static let formatName = "stackd-journal"
    /// The journal format version this code writes; it reads `supportedVersions`. Version 2
    /// added control records (`JournalControlRecord`); a version 1 journal has none.
    public static let currentVersion = 2
    /// Versions this code reads.
    public static let supportedVersions = 1...2
    /// The manifest's file name inside a journal directory.
    public static let fileName = "journal.json"
    /// The segment log's subdirectory inside a journal directory.
    public static let segmentsDirectory = "segments"

    /// Always `stackd-journal`.
    public var format: String
    /// Journal format version (`currentVersion` when written by this code).
    public var version: Int
    /// Wall time when recording started, ISO 8601 UTC; for humans only, nothing reads it.
    public var createdAt: String
    /// The clock of the record timestamps; `CLOCK_MONOTONIC`.
    public var clock: String
    /// UTC nanoseconds since the Unix epoch minus the monotonic nanoseconds, sampled together
    /// at start: `unix = receivedAt + offset`.
    public var monotonicToUnixOffsetNanoseconds: Int64
    /// ZeroMQ endpoints the recorder subscribed through.
    public var endpoints: [String]
    /// Whether the endpoints were bound (true) or connected (false).
    public var bind: Bool
    /// Subscribed topic prefixes; `[""]` means everything.
    public var topics: [String]
    /// Free-form text from whoever recorded it.
    public var note: String
    /// Every recording session appended to this journal, oldest first; absent in a journal
    /// written by one session only (its session is the top-level fields).
    public var runs: [Run]?

    /// One recording session (`stackd run` start to stop) of a journal that restarts continued.
    public struct Run: Codable, Equatable, Sendable {
        /// Sequence number of the session's first record.
        public var firstSequence: UInt64
        /// Wall time when the session started, ISO 8601 UTC; for humans only.
        public var createdAt: String
        /// Added to the session's `CLOCK_MONOTONIC` receive times before they were stored, so the
        /// journal's times never go backwards when a reboot restarted the clock (0 otherwise).
        public var timeShiftNanoseconds: Int64
        /// `unix = stored receive time + offset` for this session's records.
        public var monotonicToUnixOffsetNanoseconds: Int64
        public var endpoints: [String]
        public var bind: Bool
        public var topics: [String]
        public var note: String

        /// A session; `firstSequence` and the shift are set by the writer that appends it.
        public init(firstSequence: UInt64, createdAt: String, timeShiftNanoseconds: Int64, monotonicToUnixOffsetNanoseconds: Int64,
                    endpoints: [String], bind: Bool, topics: [String], note: String) {
            self.firstSequence = firstSequence
            self.createdAt = createdAt
            self.timeShiftNanoseconds = timeShiftNanoseconds
            self.monotonicToUnixOffsetNanoseconds = monotonicToUnixOffsetNanoseconds
            self.endpoints = endpoints
            self.bind = bind
            self.topics = topics
            self.note = note
        }
    }

    /// The sessions of this journal: `runs`, or the single session the top-level fields describe.
    public var sessions: [Run] {
        runs ?? [Run(firstSequence: 1, createdAt: createdAt, timeShiftNanoseconds: 0,
                     monotonicToUnixOffsetNanoseconds: monotonicToUnixOffsetNanoseconds,
                     endpoints: endpoints, bind: bind, topics: topics, note: note)]
    }

    /// Creates a manifest for a recording starting now.
    public init(endpoints: [String], bind: Bool = false, topics: [String] = [""], note: String = "",
                createdAt: Date = Date(), monotonicToUnixOffsetNanoseconds: Int64) {
        format = Self.formatName
        version = Self.currentVersion
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        clock = "CLOCK_MONOTONIC"
        self.monotonicToUnixOffsetNanoseconds = monotonicToUnixOffsetNanoseconds
        self.endpoints = endpoints
        self.bind = bind
        self.topics = topics
        self.note = note
    }

    /// UTC nanoseconds since the Unix epoch of a record's receive time.
    public func unixNanoseconds(receivedAt: Int64) -> Int64 {
        receivedAt &+ monotonicToUnixOffsetNanoseconds
    }

    /// The date of a record's receive time, for reports.
    public func date(receivedAt: Int64) -> Date {
        Date(timeIntervalSince1970: Double(unixNanoseconds(receivedAt: receivedAt)) / 1e9)
    }

    /// Reads and checks `journal.json` in `directory`.
    public static func read(directory: String) throws -> JournalManifest {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw JournalError.notAJournal(directory: directory, reason: "cannot read \(fileName): \(error.localizedDescription)")
        }
        let manifest: JournalManifest
        do { manifest = try JSONDecoder().decode(JournalManifest.self, from: data) } catch {
            throw JournalError.notAJournal(directory: directory, reason: "\(fileName) is not a journal manifest: \(error)")
        }
        guard manifest.format == formatName else {
            throw JournalError.notAJournal(directory: directory, reason: "format is \"\(manifest.format)\"")
        }
        guard supportedVersions.contains(manifest.version) else {
            throw JournalError.unsupportedVersion(manifest.version)
        }
        return manifest
    }

    /// Writes `journal.json` atomically (temporary file, then rename), so a reader never sees
    /// half a manifest.
    func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // 0600 through a unique O_EXCL | O_NOFOLLOW temporary (PrivateFiles), like the segments.
        try PrivateFiles.atomicallyWrite([UInt8](try encoder.encode(self)), to: directory + "/" + Self.fileName)
    }

    /// Samples both clocks back to back; the monotonic reading is the midpoint of two, so the
    /// offset's error is about half the time between them (nanoseconds).
    public static func currentClockOffset() -> Int64 {
        let before = Int64(bitPattern: MonotonicClock.nanoseconds())
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let after = Int64(bitPattern: MonotonicClock.nanoseconds())
        let unix = Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec)
        return unix - (before + (after - before) / 2)
    }
}
