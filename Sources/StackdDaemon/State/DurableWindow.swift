import Foundation
import Logging
import StackdCore
import StackdStorage

/// The out-of-sample window on disk: one append-only segment log per horizon under
/// `<state>/window/h<H>/`, written by the ingest thread as labels arrive and read back on start.
///
/// What `kill -9` may lose is exactly what the flush policy allows (`[state] flush`); a torn
/// tail is truncated and reported by the log on open.
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

    init(directory: String, horizons: [Int], modelCount: Int, classCount: Int, featureCount: Int,
         retrain: RetrainPolicy, settings: Settings, logger: Logger) throws {
        self.directory = directory
        self.modelCount = modelCount
        self.classCount = classCount
        self.logger = logger
        var writers: [LogWriter] = []
        for h in horizons {
            let path = "\(directory)/window/h\(h)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
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
            writers.append(writer)
        }
        self.writers = writers
        sequences = writers.map { $0.lastSequence ?? 0 }
        buffer = .allocate(byteCount: LabeledRowCodec.size(modelCount: modelCount, classCount: classCount,
                                                           featureCount: featureCount + 8, symbolLength: 255), alignment: 8)
    }

    deinit { buffer.deallocate() }

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
            while let record = try cursor.next() {
                let decoded: LabeledRowCodec.Decoded
                do {
                    decoded = try record.payload.withUnsafeBytes { try LabeledRowCodec.decode($0, modelCount: modelCount, classCount: classCount) }
                } catch {
                    logger.error("window row refused", metadata: ["horizon_index": "\(h)", "sequence": "\(record.sequence)", "error": "\(error)"])
                    continue
                }
                guard decoded.features.count == pipeline.layout.count else {
                    logger.error("window row has another feature layout; skipped", metadata: ["sequence": "\(record.sequence)"])
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
                n += 1
            }
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
            let temporary = awaitingPath + ".tmp"
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            let fd = open(temporary, O_RDONLY)
            if fd >= 0 { fsync(fd); Glibc.close(fd) }
            guard rename(temporary, awaitingPath) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            logger.error("rows awaiting labels not persisted", metadata: ["error": "\(error)"])
            return 0
        }
        return rows
    }

    /// Puts back the rows saved by `saveAwaiting` and removes the file (a later crash must not
    /// bring back rows whose labels were since consumed). Returns how many were restored.
    func restoreAwaiting(into pipeline: StackingPipeline) -> Int {
        guard let data = FileManager.default.contents(atPath: awaitingPath) else { return 0 }
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

    /// Lets interval flush policies flush (ingest thread, every loop turn).
    func tick(now: Int64) {
        for w in writers { _ = try? w.tick(now: now) }
    }

    /// Rows acknowledged (durable per policy), summed over horizons.
    var durableRows: Int { writers.reduce(0) { $0 + Int($1.durableSequence ?? 0) } }

    func close() {
        for w in writers {
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
