/// The restore API: what a restart (or a replay re-enacting one) puts back — symbols, labelled
/// window rows and rows still awaiting their label — and how the awaiting rows are read out to be
/// persisted.
extension StackingPipeline {
    /// Gives `symbol` the next free id unless it has one (nil when the table is full). Why: a replay
    /// re-enacting a restart's restored state registers the live symbol table first, so every
    /// row keeps the id (and thus the training order) it had live.
    @discardableResult
    public func registerSymbol(_ symbol: String) -> Int? { symbolTable.insert(symbol) }

    /// Restores a labelled row persisted by an earlier run (start-up), without scoring it again.
    public func restore(horizonIndex h: Int, eventTime: Int64, exitTime: Int64, symbol: String, label: Int, forwardReturn: Double,
                        basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                        ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        let id = symbolTable.insert(symbol) ?? 0
        if !skill.isEmpty { skill[h].add(base: basePredictions, classCount: configuration.classCount, label: label) }
        windows[h].append(eventTime: eventTime, exitTime: exitTime, symbol: Int32(id), label: label, forwardReturn: forwardReturn,
                          basePredictions: basePredictions, features: features, ensemble: ensemble, modelVersion: modelVersion)
    }

    /// Every emitted row still waiting for its label, as a labelled-row view with label −1: what a
    /// graceful stop persists so that labels arriving after a restart still find their rows.
    public func forEachAwaitingRow(_ body: (LabeledRow) -> Void) {
        scoreboard.forEachAwaiting { row in
            let h = Int(row.key.horizonIndex)
            symbolTable.withName(Int(row.key.symbol)) { symbol in
                body(LabeledRow(horizon: horizons[h], horizonIndex: h, symbol: symbol, eventTime: row.key.eventTime, exitTime: 0,
                                label: -1, forwardReturn: 0, basePredictions: row.basePredictions, features: row.features,
                                ensemble: row.ensemble, modelVersion: row.modelVersion))
            }
        }
    }

    /// Puts back a row that was waiting for its label when the daemon stopped. The averaging
    /// baseline is recomputed from the base vectors (missing ones were stored imputed).
    public func restoreAwaitingRow(horizonIndex h: Int, symbol: String, eventTime: Int64,
                                   basePredictions: UnsafeBufferPointer<Double>, features: UnsafeBufferPointer<Double>,
                                   ensemble: UnsafeBufferPointer<Double>, modelVersion: UInt32) {
        guard let id = symbolTable.insert(symbol) else { return }
        averaging.combine(basePredictions: basePredictions, features: features, presentMask: .max, into: averageOut)
        scoreboard.remember(key: RowKey(symbol: id, horizonIndex: h, eventTime: eventTime), base: basePredictions,
                            ensemble: ensemble, average: UnsafeBufferPointer(averageOut), features: features,
                            modelVersion: modelVersion)
    }
}
