import Foundation
import StackdCore
import StackdTraining

/// Captures the state a `stackd run` session restored (`[state]`) into a `session_started`
/// control record, and puts it back into a fresh pipeline in replay.
///
/// Why the state itself and not a reference to the state directory: the directory changes after
/// the session starts (new models, new rows, retention), may be on another machine, and may be
/// damaged later; the journal alone must reproduce the session. What is captured is what the
/// pipeline holds after the restore (the window as trimmed, the rows awaiting labels, the symbol
/// table and the served model's exact files), so the replay starts from exactly that.
package enum RestoredStateRecord {
    /// Where a horizon's served model came from at start, with the files it was loaded from.
    package struct ServedModel: Sendable {
        package var source: String
        package var files: [JournalControlRecord.RestoredState.ModelFile]
        package init(source: String, files: [JournalControlRecord.RestoredState.ModelFile]) {
            self.source = source
            self.files = files
        }

        /// Nothing stored: the pipeline serves averaging v0.
        package static let none = ServedModel(source: "none", files: [])
        /// The store names averaging (or every stored version was refused).
        package static let averaging = ServedModel(source: "averaging", files: [])

        /// The files of a stored version directory, by name (sorted), as loaded at start.
        package static func artifact(directory: String) -> ServedModel {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            let files = names.compactMap { name -> JournalControlRecord.RestoredState.ModelFile? in
                guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else { return nil }
                return JournalControlRecord.RestoredState.ModelFile(name: name, bytes: [UInt8](data))
            }
            return ServedModel(source: "artifact", files: files)
        }
    }

    /// What `pipeline` holds right after a restore; `served[h]` says where horizon index h's model came from.
    package static func capture(pipeline: StackingPipeline, served: [ServedModel]) -> JournalControlRecord.RestoredState {
        let m = pipeline.configuration.models.count, k = pipeline.configuration.classCount
        let f = pipeline.layout.count
        let symbols = pipeline.symbolNames
        let scratch = UnsafeMutableRawBufferPointer.allocate(
            byteCount: LabeledRowCodec.size(modelCount: m, classCount: k, featureCount: f, symbolLength: 255), alignment: 8)
        defer { scratch.deallocate() }
        func append(_ row: LabeledRow, to bytes: inout [UInt8]) {
            let n = LabeledRowCodec.encode(row, modelCount: m, classCount: k, into: scratch)
            withUnsafeBytes(of: UInt32(n).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        }
        var horizons: [JournalControlRecord.RestoredState.Horizon] = []
        for (h, horizon) in pipeline.horizonList.enumerated() {
            let rows = pipeline.windowSnapshot(horizonIndex: h)
            var bytes: [UInt8] = []
            let mk = rows.modelCount * rows.classCount, rf = rows.featureCount, rk = rows.classCount
            for i in 0..<rows.count {
                let symbol = Int(rows.symbols[i]) < symbols.count ? symbols[Int(rows.symbols[i])] : ""
                var name = Array(symbol.utf8.prefix(255))
                rows.basePredictions[i * mk ..< (i + 1) * mk].withUnsafeBufferPointer { b in
                    rows.features[i * rf ..< (i + 1) * rf].withUnsafeBufferPointer { fv in
                        rows.ensemble[i * rk ..< (i + 1) * rk].withUnsafeBufferPointer { e in
                            name.withUnsafeMutableBytes { s in
                                append(LabeledRow(horizon: horizon, horizonIndex: h, symbol: UnsafeRawBufferPointer(s),
                                                  eventTime: rows.eventTimes[i], exitTime: rows.exitTimes[i], label: rows.labels[i],
                                                  forwardReturn: rows.forwardReturns[i], basePredictions: b, features: fv,
                                                  ensemble: e, modelVersion: rows.modelVersions[i]), to: &bytes)
                            }
                        }
                    }
                }
            }
            let combiner = pipeline.combiner(forHorizonIndex: h)
            let model = h < served.count ? served[h] : .none
            horizons.append(.init(horizon: horizon, modelSource: model.source, modelVersion: combiner.version,
                                  method: combiner.method.name, modelFiles: model.files, windowRows: bytes,
                                  windowRowCount: rows.count))
        }
        var awaiting: [UInt8] = []
        var awaitingCount = 0
        pipeline.forEachAwaitingRow { row in
            append(row, to: &awaiting)
            awaitingCount += 1
        }
        return .init(symbols: symbols, horizons: horizons, awaitingRows: awaiting, awaitingRowCount: awaitingCount)
    }

    /// Why a recorded state could not be put back.
    package struct RestoreError: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    /// Puts `state` into `pipeline` (fresh), as the live session's start did: symbols, models,
    /// window rows, rows awaiting labels. `scratchDirectory` receives the model files to load them.
    package static func restore(_ state: JournalControlRecord.RestoredState, into pipeline: StackingPipeline,
                                scratchDirectory: String) throws {
        let m = pipeline.configuration.models.count, k = pipeline.configuration.classCount
        for symbol in state.symbols { pipeline.registerSymbol(symbol) }
        for h in state.horizons {
            guard let index = pipeline.horizonIndex(of: h.horizon) else {
                throw RestoreError(description: "restored state names horizon \(h.horizon), which the configuration lacks")
            }
            switch h.modelSource {
            case "none": break
            case "averaging": pipeline.install(AveragingCombiner(modelCount: m, classCount: k), forHorizonIndex: index)
            case "artifact":
                let directory = (scratchDirectory as NSString).appendingPathComponent("h\(h.horizon)-v\(h.modelVersion)-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                for file in h.modelFiles where !file.name.contains("/") && !file.name.hasPrefix(".") {
                    guard FileManager.default.createFile(atPath: (directory as NSString).appendingPathComponent(file.name),
                                                         contents: Data(file.bytes)) else {
                        throw RestoreError(description: "cannot write the restored model file \(file.name) into \(directory)")
                    }
                }
                let loaded: LoadedArtifact
                do { loaded = try ArtifactLoader.load(directory: directory, horizon: h.horizon, layout: pipeline.layout) } catch {
                    throw RestoreError(description: "the restored model of horizon \(h.horizon) does not load: \(error)")
                }
                guard loaded.combiner.version == h.modelVersion else {
                    throw RestoreError(description: "the restored model of horizon \(h.horizon) has version \(loaded.combiner.version), the record says \(h.modelVersion)")
                }
                pipeline.install(loaded.combiner, forHorizonIndex: index)
            default:
                throw RestoreError(description: "unknown model source \"\(h.modelSource)\" for horizon \(h.horizon)")
            }
            try forEachRow(h.windowRows, modelCount: m, classCount: k) { row in
                guard row.features.count == pipeline.layout.count else {
                    throw RestoreError(description: "a restored window row of horizon \(h.horizon) has \(row.features.count) features")
                }
                row.basePredictions.withUnsafeBufferPointer { b in
                    row.features.withUnsafeBufferPointer { f in
                        row.ensemble.withUnsafeBufferPointer { e in
                            pipeline.restore(horizonIndex: index, eventTime: row.eventTime, exitTime: row.exitTime, symbol: row.symbol,
                                             label: row.label, forwardReturn: row.forwardReturn, basePredictions: b, features: f,
                                             ensemble: e, modelVersion: row.modelVersion)
                        }
                    }
                }
            }
        }
        try forEachRow(state.awaitingRows, modelCount: m, classCount: k) { row in
            guard let index = pipeline.horizonIndex(of: row.horizon), row.features.count == pipeline.layout.count else {
                throw RestoreError(description: "a restored awaiting row does not fit the configuration (horizon \(row.horizon))")
            }
            row.basePredictions.withUnsafeBufferPointer { b in
                row.features.withUnsafeBufferPointer { f in
                    row.ensemble.withUnsafeBufferPointer { e in
                        pipeline.restoreAwaitingRow(horizonIndex: index, symbol: row.symbol, eventTime: row.eventTime,
                                                    basePredictions: b, features: f, ensemble: e, modelVersion: row.modelVersion)
                    }
                }
            }
        }
    }

    private static func forEachRow(_ bytes: [UInt8], modelCount m: Int, classCount k: Int,
                                   _ body: (LabeledRowCodec.Decoded) throws -> Void) throws {
        var o = 0
        while o < bytes.count {
            guard o + 4 <= bytes.count else { throw RestoreError(description: "restored rows: truncated length at byte \(o)") }
            let n = Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            o += 4
            guard n <= bytes.count - o else { throw RestoreError(description: "restored rows: a row overruns the record at byte \(o)") }
            let decoded: LabeledRowCodec.Decoded
            do {
                decoded = try bytes[o ..< o + n].withUnsafeBytes { raw throws(LabeledRowCodec.DecodeError) in
                    try LabeledRowCodec.decode(raw, modelCount: m, classCount: k)
                }
            } catch {
                throw RestoreError(description: "restored rows: a row does not decode (\(error)) at byte \(o)")
            }
            o += n
            try body(decoded)
        }
    }
}
