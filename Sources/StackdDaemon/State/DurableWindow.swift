import Foundation
import Logging
import StackdCore
import StackdStorage

/// The out-of-sample window on disk: one append-only segment log per horizon under
/// `<state>/window/h<H>/`, written by the ingest thread as labels arrive and read back on start.
///
/// What `kill -9` may lose is exactly what the flush policy allows (`[state] flush`); a torn
/// tail is truncated and reported by the log on open. Damaged blocks in older segments are
/// skipped on restore, each logged (segment, offset, rows lost) and counted (`blocksSkipped`,
/// `rowsLost`). A segment whose file header is damaged (any of them, the newest included) is set
/// aside by the log when it opens, renamed `<name>.damaged`, logged and counted
/// (`segmentsQuarantined`, its rows in `rowsLost` when they can be inferred): the daemon starts
/// with the rest instead of staying down for one flipped byte.
///
/// Emitted rows still waiting for their label follow the same policy: each emission is appended
/// to the awaiting-rows log `<state>/awaiting/` (`schemas/awaiting-log.md`), so after `kill -9`
/// the labels that arrive later still find their rows. A graceful stop also writes the exact set
/// to `awaiting.bin`, preferred at the next start.
///
/// Files are created 0600 and directories 0700 (narrowed by the umask): this is private state.
final class DurableWindow {
    struct Settings: Sendable, Equatable {
        var flush: FlushPolicy = .everyRecord
        var sync: SyncPolicy = .none
    }

    let directory: String
    let modelCount: Int
    let classCount: Int
    private var writers: [LogWriter]
    private var sequences: [UInt64]
    private let buffer: UnsafeMutableRawBufferPointer
    private let logger: Logger
    private(set) var appended = 0
    private(set) var failures = 0
    /// Damaged blocks (or regions, or segments) skipped by the last `restore`, and the labelled
    /// rows they held.
    private(set) var blocksSkipped = 0
    private(set) var rowsLost = 0
    /// Segments of the window and awaiting-rows logs set aside at open because their file
    /// header is damaged (renamed `<name>.damaged`, never deleted).
    private(set) var segmentsQuarantined = 0
    /// The awaiting-rows log; nil when `labels.max_awaiting` is 0 (no row ever awaits).
    private let awaitingWriter: LogWriter?
    private var awaitingSequence: UInt64
    /// Appends since retention last ran on the awaiting log (it runs from `tick`, off the row path).
    private var awaitingSinceRetention = 0
    private(set) var awaitingAppended = 0
    private(set) var awaitingFailures = 0
    /// Rows the window restored, by key: an awaiting row found here was labelled before the stop.
    private var labelledKeys: Set<AwaitingKey> = []

    /// - Parameter awaitingCapacity: `labels.max_awaiting`; the awaiting-rows log keeps at least
    ///   this many newest rows (whole segments beyond it are deleted).
    /// The horizons, in pipeline order.
    let horizons: [Int]

    init(directory: String, horizons: [Int], modelCount: Int, classCount: Int, featureCount: Int,
         retrain: RetrainPolicy, settings: Settings, awaitingCapacity: Int = 262_144, logger: Logger) throws {
        self.directory = directory
        self.horizons = horizons
        self.modelCount = modelCount
        self.classCount = classCount
        self.logger = logger
        var writers: [LogWriter] = []
        for h in horizons {
            let path = "\(directory)/window/h\(h)"
            try PrivateFiles.createDirectories(path)
            var configuration = LogConfiguration()
            configuration.flush = settings.flush
            configuration.sync = settings.sync
            configuration.retention = RetentionPolicy(maxRecords: retrain.windowRows,
                                                      maxAge: retrain.windowAge > 0 ? retrain.windowAge : nil)
            let writer = try LogWriter(directory: path, configuration: configuration)
            if let r = writer.openReport.recovery {
                logger.warning("window log had a torn tail: truncated", metadata: [
                    "horizon": "\(h)", "segment": "\(r.segment)", "offset": "\(r.byteOffset)", "bytes_dropped": "\(r.bytesDropped)"])
            }
            for c in writer.openReport.corruptions {
                logger.error("window log corruption", metadata: ["horizon": "\(h)", "segment": "\(c.segment)",
                                                                  "offset": "\(c.byteOffset)", "reason": "\(c.reason)"])
            }
            segmentsQuarantined += Self.logQuarantined(writer, what: "window log", horizon: h, logger: logger)
            writers.append(writer)
        }
        self.writers = writers
        sequences = writers.map { $0.lastSequence ?? 0 }
        // Temporaries of an `awaiting.bin` write interrupted by a crash (unlink never follows a link).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix("awaiting.bin.") && name.hasSuffix(".tmp") {
            _ = unlink("\(directory)/\(name)")
        }
        if awaitingCapacity > 0 {
            var configuration = LogConfiguration()
            configuration.flush = settings.flush
            configuration.sync = settings.sync
            // Segments of a quarter of the capacity make retention fine-grained enough that the
            // log holds at most about 1.25 × max_awaiting rows.
            configuration.maxSegmentRecords = max(1024, awaitingCapacity / 4)
            configuration.retention = RetentionPolicy(maxRecords: awaitingCapacity)
            let writer = try LogWriter(directory: "\(directory)/\(DurableWindow.awaitingLogDirectory)", configuration: configuration)
            if let r = writer.openReport.recovery {
                logger.warning("awaiting-rows log had a torn tail: truncated", metadata: [
                    "segment": "\(r.segment)", "offset": "\(r.byteOffset)", "bytes_dropped": "\(r.bytesDropped)"])
            }
            for c in writer.openReport.corruptions {
                logger.error("awaiting-rows log corruption", metadata: ["segment": "\(c.segment)", "offset": "\(c.byteOffset)",
                                                                       "reason": "\(c.reason)"])
            }
            segmentsQuarantined += Self.logQuarantined(writer, what: "awaiting-rows log", horizon: nil, logger: logger)
            awaitingWriter = writer
            awaitingSequence = writer.lastSequence ?? 0
        } else {
            awaitingWriter = nil
            awaitingSequence = 0
        }
        buffer = .allocate(byteCount: LabeledRowCodec.size(modelCount: modelCount, classCount: classCount,
                                                           featureCount: featureCount + 8, symbolLength: 255), alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Logs each segment the log set aside when it opened (once: the renamed file is ignored
    /// from then on) and returns how many there were.
    private static func logQuarantined(_ writer: LogWriter, what: String, horizon: Int?, logger: Logger) -> Int {
        for q in writer.openReport.quarantined {
            var metadata: Logger.Metadata = [
                "path": "\(writer.directory)/\(q.segment)", "renamed_to": "\(writer.directory)/\(q.quarantinedAs)",
                "bytes": "\(q.byteSize)", "reason": "\(q.reason)",
                "rows_lost": "\(q.recordsLost.map(String.init) ?? "unknown")"]
            if let horizon { metadata["horizon"] = "\(horizon)" }
            logger.error("\(what) corruption: segment header damaged, segment set aside and skipped", metadata: metadata)
        }
        return writer.openReport.quarantined.count
    }

    /// Reads every persisted row back into the pipeline's window; returns rows restored per horizon.
    func restore(into pipeline: StackingPipeline) throws -> [Int] {
        var restored: [Int] = []
        for (h, writer) in writers.enumerated() {
            // Old segments beyond retention are removed at start; failing to is not fatal (the
            // rows read back are trimmed to the window anyway), but it is said.
            do { try writer.applyRetention() } catch {
                logger.warning("window log retention not applied", metadata: ["horizon_index": "\(h)", "error": "\(error)"])
            }
            let reader = try LogReader(directory: writer.directory)
            let cursor = reader.records()
            var n = 0
            // Sequences are contiguous per horizon (`append` numbers them), so a gap between two
            // rows read back is exactly the rows of the blocks skipped between them. The count
            // starts at the oldest segment's name (its first sequence), which survives a damaged
            // segment header.
            let oldestNamed = ((try? FileManager.default.contentsOfDirectory(atPath: writer.directory)) ?? []).compactMap { name in
                name.hasPrefix("seg-") && name.hasSuffix(".sklog") ? UInt64(name.dropFirst(4).dropLast(6)) : nil
            }.min()
            // A segment set aside at open (damaged header) still counts from its name: one older
            // than every readable segment, or between two, shows up as a sequence gap.
            let quarantined = writer.openReport.quarantined
            let oldestKnown = (quarantined.map(\.firstSequence) + (oldestNamed.map { [$0] } ?? [])).min()
            var previous: UInt64? = (oldestKnown ?? reader.segments.first?.firstSequence).map { $0 &- 1 }
            var lost = 0
            var reported = 0
            // Rows written under another feature layout (models, regimes.names or
            // features.skill_window changed) cannot train this one: refused together, said once.
            var otherLayout = 0, otherWidth = 0
            while let record = try cursor.next() {
                // Overflow-safe: file names and sequences come from disk.
                if let p = previous, record.sequence > p, record.sequence - p > 1 { lost += Int(clamping: record.sequence - p - 1) }
                previous = record.sequence
                reported = reader.corruptions.count
                let decoded: LabeledRowCodec.Decoded
                do {
                    decoded = try record.payload.withUnsafeBytes { try LabeledRowCodec.decode($0, modelCount: modelCount, classCount: classCount) }
                } catch {
                    logger.error("window row refused", metadata: ["horizon_index": "\(h)", "sequence": "\(record.sequence)", "error": "\(error)"])
                    continue
                }
                guard decoded.features.count == pipeline.layout.count else {
                    otherLayout += 1
                    otherWidth = decoded.features.count
                    continue
                }
                decoded.basePredictions.withUnsafeBufferPointer { b in
                    decoded.features.withUnsafeBufferPointer { f in
                        decoded.ensemble.withUnsafeBufferPointer { e in
                            pipeline.restore(horizonIndex: h, eventTime: decoded.eventTime, exitTime: decoded.exitTime,
                                             symbol: decoded.symbol, label: decoded.label, forwardReturn: decoded.forwardReturn,
                                             basePredictions: b, features: f, ensemble: e, modelVersion: decoded.modelVersion)
                        }
                    }
                }
                labelledKeys.insert(AwaitingKey(horizonIndex: h, symbol: decoded.symbol, eventTime: decoded.eventTime))
                n += 1
            }
            if otherLayout > 0 {
                logger.error("window rows written with another feature layout were not restored (models, regimes.names or features.skill_window changed); the window refills from new labels", metadata: [
                    "horizon": "\(horizons[h])", "rows": "\(otherLayout)", "row_features": "\(otherWidth)",
                    "layout_features": "\(pipeline.layout.count)"])
            }
            // Damaged blocks after the last row read: their headers said how many rows they held.
            lost += reader.corruptions[reported...].reduce(0) { $0 + $1.records }
            // Segments set aside after every readable one: no row follows them to show the gap;
            // the log inferred their rows (next segment's name, or their intact block headers).
            let lastReadable = reader.segments.last?.firstSequence
            lost += quarantined.filter { q in lastReadable.map { q.firstSequence > $0 } ?? true }
                .reduce(0) { $0 + ($1.recordsLost ?? 0) }
            let skipped = reader.corruptions.filter { $0.kind != .segmentVanished && $0.kind != .tornTail }
            for c in skipped {
                logger.error("window block skipped on restore: damaged", metadata: [
                    "horizon": "\(horizons[h])", "segment": "\(c.segment)", "offset": "\(c.byteOffset)", "bytes": "\(c.length)",
                    "rows_lost": "\(c.records > 0 ? String(c.records) : "unknown")", "reason": "\(c.reason)"])
            }
            if !skipped.isEmpty {
                logger.error("window restored with damaged blocks skipped", metadata: [
                    "horizon": "\(horizons[h])", "blocks_skipped": "\(skipped.count)", "rows_lost": "\(lost)", "rows_restored": "\(n)"])
            }
            blocksSkipped += skipped.count
            rowsLost += lost
            restored.append(n)
        }
        return restored
    }

    /// Persists one labelled row (ingest thread). Failures are logged and counted, never thrown:
    /// a full disk must not stop predictions.
    func append(_ row: LabeledRow, now: Int64) {
        let h = row.horizonIndex
        let n = LabeledRowCodec.encode(row, modelCount: modelCount, classCount: classCount, into: buffer)
        sequences[h] += 1
        do {
            try writers[h].append(sequence: sequences[h], timestamp: row.eventTime,
                                  payload: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), now: now)
            appended += 1
        } catch {
            failures += 1
            if failures <= 5 || failures % 10_000 == 0 {
                logger.error("window row not persisted", metadata: ["horizon": "\(row.horizon)", "error": "\(error)", "failures": "\(failures)"])
            }
        }
    }

    /// Where rows still waiting for their label are kept across a graceful restart.
    var awaitingPath: String { "\(directory)/awaiting.bin" }

    /// Writes every row still waiting for its label (graceful stop): `SKAW`, u8 version 1, then
    /// per row a u32 length and the row in the window-row layout with label 255. Atomic.
    func saveAwaiting(from pipeline: StackingPipeline) -> Int {
        var bytes: [UInt8] = Array("SKAW".utf8) + [1]
        var rows = 0
        pipeline.forEachAwaitingRow { row in
            let n = LabeledRowCodec.encode(row, modelCount: modelCount, classCount: classCount, into: buffer)
            withUnsafeBytes(of: UInt32(n).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            rows += 1
        }
        do {
            // A unique temporary name opened O_EXCL | O_NOFOLLOW, 0600: a planted file or symlink
            // is refused, never written through.
            try PrivateFiles.atomicallyWrite(bytes, to: awaitingPath)
        } catch {
            logger.error("rows awaiting labels not persisted", metadata: ["error": "\(error)"])
            return 0
        }
        return rows
    }

    /// Puts back the rows saved by `saveAwaiting` and removes the file (a later crash must not
    /// bring back rows whose labels were since consumed). Returns how many were restored.
    func restoreAwaiting(into pipeline: StackingPipeline) -> Int {
        defer { labelledKeys = [] }
        guard let data = FileManager.default.contents(atPath: awaitingPath) else { return restoreAwaitingFromLog(into: pipeline) }
        defer { unlink(awaitingPath) }
        let bytes = [UInt8](data)
        guard bytes.count >= 5, Array(bytes[0..<4]) == Array("SKAW".utf8), bytes[4] == 1 else {
            logger.error("awaiting-rows file refused: not version 1", metadata: ["path": "\(awaitingPath)"])
            return 0
        }
        var o = 5, rows = 0
        while o + 4 <= bytes.count {
            let n = Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            o += 4
            guard o + n <= bytes.count else {
                logger.error("awaiting-rows file truncated; the rest is skipped", metadata: ["offset": "\(o)"])
                break
            }
            let decoded = try? bytes[o ..< o + n].withUnsafeBytes {
                try LabeledRowCodec.decode($0, modelCount: modelCount, classCount: classCount)
            }
            o += n
            guard let row = decoded, let h = pipeline.horizonIndex(of: row.horizon), row.features.count == pipeline.layout.count else { continue }
            row.basePredictions.withUnsafeBufferPointer { b in
                row.features.withUnsafeBufferPointer { f in
                    row.ensemble.withUnsafeBufferPointer { e in
                        pipeline.restoreAwaitingRow(horizonIndex: h, symbol: row.symbol, eventTime: row.eventTime,
                                                    basePredictions: b, features: f, ensemble: e, modelVersion: row.modelVersion)
                    }
                }
            }
            rows += 1
        }
        return rows
    }

    /// Lets interval flush policies flush (ingest thread, every loop turn), and applies the
    /// awaiting log's retention once a segment's worth of rows was appended.
    func tick(now: Int64) {
        for w in writers { _ = try? w.tick(now: now) }
        if let w = awaitingWriter {
            _ = try? w.tick(now: now)
            if awaitingSinceRetention >= w.configuration.maxSegmentRecords {
                awaitingSinceRetention = 0
                do { try w.applyRetention() } catch {
                    logger.warning("awaiting-rows log retention not applied", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    // MARK: Awaiting-rows log

    /// `<state>/awaiting/`: the log of emitted rows (`schemas/awaiting-log.md`).
    static let awaitingLogDirectory = "awaiting"

    /// Persists one emitted row, which now awaits its label (ingest thread, once per emission).
    /// Encoded into the preallocated buffer and appended under the window's flush policy; no
    /// allocation unless the policy flushes a block. Failures are logged and counted, never thrown.
    func appendAwaiting(_ e: EnsembleEmission, now: Int64) {
        appendAwaiting(LabeledRow(horizon: e.horizon, horizonIndex: e.horizonIndex, symbol: e.symbol, eventTime: e.eventTime,
                                  exitTime: 0, label: -1, forwardReturn: 0, basePredictions: e.basePredictions,
                                  features: e.features, ensemble: e.probabilities, modelVersion: e.modelVersion), now: now)
    }

    /// `appendAwaiting(_:now:)` for a row already in the labelled-row view (label −1).
    func appendAwaiting(_ row: LabeledRow, now: Int64) {
        guard let writer = awaitingWriter else { return }
        let n = LabeledRowCodec.encode(row, modelCount: modelCount, classCount: classCount, into: buffer)
        awaitingSequence += 1
        do {
            try writer.append(sequence: awaitingSequence, timestamp: row.eventTime,
                              payload: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), now: now)
            awaitingAppended += 1
            awaitingSinceRetention += 1
        } catch {
            awaitingFailures += 1
            if awaitingFailures <= 5 || awaitingFailures % 10_000 == 0 {
                logger.error("awaiting row not persisted", metadata: ["horizon": "\(row.horizon)", "error": "\(error)",
                                                                     "failures": "\(awaitingFailures)"])
            }
        }
    }

    /// After a crash (no `awaiting.bin`): every row of the awaiting log, oldest first, except
    /// those the window holds (labelled before the crash) and repeats. A row labelled and since
    /// trimmed from the window comes back as awaiting; no label will match it again, and the
    /// `max_awaiting` bound drops it in time.
    private func restoreAwaitingFromLog(into pipeline: StackingPipeline) -> Int {
        guard let writer = awaitingWriter else { return 0 }
        do { try writer.applyRetention() } catch {
            logger.warning("awaiting-rows log retention not applied", metadata: ["error": "\(error)"])
        }
        var rows = 0, labelled = 0, refused = 0
        do {
            // The writer holds rows not yet flushed only once appends start; none at start.
            let reader = try LogReader(directory: writer.directory)
            let cursor = reader.records()
            var seen = labelledKeys
            while let record = try cursor.next() {
                guard let row = try? record.payload.withUnsafeBytes({
                    try LabeledRowCodec.decode($0, modelCount: modelCount, classCount: classCount)
                }), let h = pipeline.horizonIndex(of: row.horizon), row.features.count == pipeline.layout.count else {
                    refused += 1
                    continue
                }
                let key = AwaitingKey(horizonIndex: h, symbol: row.symbol, eventTime: row.eventTime)
                guard seen.insert(key).inserted else { labelled += 1; continue }
                row.basePredictions.withUnsafeBufferPointer { b in
                    row.features.withUnsafeBufferPointer { f in
                        row.ensemble.withUnsafeBufferPointer { e in
                            pipeline.restoreAwaitingRow(horizonIndex: h, symbol: row.symbol, eventTime: row.eventTime,
                                                        basePredictions: b, features: f, ensemble: e, modelVersion: row.modelVersion)
                        }
                    }
                }
                rows += 1
            }
            for c in reader.corruptions where c.kind != .segmentVanished {
                logger.error("awaiting-rows log block skipped: damaged", metadata: [
                    "segment": "\(c.segment)", "offset": "\(c.byteOffset)",
                    "rows_lost": "\(c.records > 0 ? String(c.records) : "unknown")", "reason": "\(c.reason)"])
            }
        } catch {
            logger.error("awaiting-rows log not restored", metadata: ["error": "\(error)"])
        }
        if rows + labelled + refused > 0 {
            logger.notice("restored rows awaiting their labels from the awaiting-rows log (no graceful stop)", metadata: [
                "rows": "\(rows)", "already_labelled": "\(labelled)", "refused": "\(refused)"])
        }
        return rows
    }

    /// Rows acknowledged (durable per policy), summed over horizons.
    var durableRows: Int { writers.reduce(0) { $0 + Int($1.durableSequence ?? 0) } }

    func close() {
        for w in writers + (awaitingWriter.map { [$0] } ?? []) {
            do {
                try w.flush()
                try w.sync()
                try w.applyRetention()
                try w.close()
            } catch {
                logger.error("window log close failed", metadata: ["directory": "\(w.directory)", "error": "\(error)"])
            }
        }
    }
}

/// Identifies an emitted row across restarts: horizon, symbol and event time (`RowKey` uses the
/// symbol's run-specific id, which a restart may renumber).
struct AwaitingKey: Hashable {
    var horizonIndex: Int
    var symbol: String
    var eventTime: Int64
}
