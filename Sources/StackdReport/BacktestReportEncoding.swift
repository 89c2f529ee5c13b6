import Foundation

extension BacktestReport {
    /// `backtest.json`: sorted keys, fixed indentation and no wall-clock timing, so two replays
    /// of the same stream and configuration give byte-identical files. Non-finite numbers
    /// (which no metric should produce) are written as the strings "NaN"/"Infinity"/"-Infinity"
    /// rather than failing the whole report.
    public func jsonData() throws -> Data {
        var copy = self
        copy.timing = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var data = try encoder.encode(copy)
        data.append(0x0A)
        return data
    }

    /// Reads a `backtest.json` back (timing is absent there, so it stays nil).
    public static func decode(_ data: Data) throws -> BacktestReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(BacktestReport.self, from: data)
    }
}
