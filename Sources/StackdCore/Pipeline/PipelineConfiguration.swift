/// What the pure pipeline needs to know about a deployment. The daemon builds it from the TOML
/// configuration; replay builds it from the same file, which is what makes their outputs equal.
public struct PipelineConfiguration: Sendable, Equatable {
    /// Base models. Their order in features and outputs is alphabetical, as in the reference.
    public var models: [String]
    /// Accepted horizons, in bars.
    public var horizons: [Int]
    /// Accepted symbols; empty means "any symbol", registered on first sight up to `maxSymbols`.
    public var symbols: [String]
    public var maxSymbols: Int
    /// Number of classes K (3: short, neutral, long).
    public var classCount: Int
    /// Largest accepted |Σp − 1|.
    public var sumTolerance: Double
    /// How long, in driver time, a row waits for missing models after its first arrival.
    public var deadlineNanoseconds: Int64
    /// Fewest models a row needs to be emitted at its deadline; fewer and it is dropped (counted).
    public var minModels: Int
    /// Rows under assembly at once; past this the oldest row is forced out (counted).
    public var maxPendingRows: Int
    /// Emitted rows kept while their label is awaited; past this the oldest is dropped (counted).
    public var maxAwaitingLabels: Int
    /// Largest accepted payload, in bytes.
    public var maxPayloadBytes: Int
    /// Recent per-model skill as stacking features: each model's log-loss over its last this many
    /// labelled rows of the horizon; 0 leaves them out.
    public var skillWindow: Int = 0
    /// Names of the regime values each (symbol, event time) receives on `regime.<symbol>`, in wire
    /// order; they become stacking features after the cross-model ones. Empty: no regimes, and a
    /// regime message is refused as `unknown_kind`.
    public var regimeNames: [String] = []
    /// Every output carries each base model's contribution to its served class
    /// (`outputs.contributions`); off, the pipeline does no extra work per output.
    public var contributions: Bool = false

    public init(
        models: [String], horizons: [Int], symbols: [String] = [], maxSymbols: Int = 4096,
        classCount: Int = 3, sumTolerance: Double = 1e-3, deadlineNanoseconds: Int64 = 50_000_000,
        minModels: Int = 1, maxPendingRows: Int = 65_536, maxAwaitingLabels: Int = 262_144,
        maxPayloadBytes: Int = 4096
    ) {
        self.models = models.sorted()
        self.horizons = horizons
        self.symbols = symbols
        self.maxSymbols = max(maxSymbols, symbols.count)
        self.classCount = classCount
        self.sumTolerance = sumTolerance
        self.deadlineNanoseconds = deadlineNanoseconds
        self.minModels = minModels
        self.maxPendingRows = maxPendingRows
        self.maxAwaitingLabels = maxAwaitingLabels
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// Problems that make the configuration unusable, each as one sentence.
    public func problems() -> [String] {
        var out: [String] = []
        if models.isEmpty { out.append("at least one base model is required") }
        if models.count > 64 { out.append("at most 64 base models are supported") }
        if Set(models).count != models.count { out.append("base model names must be unique") }
        for m in models where !Self.isValidName(string: m) { out.append("model name \"\(m)\" must be 1-64 printable ASCII bytes without '.', '\"', '\\' or spaces") }
        for s in symbols where !Self.isValidName(string: s) { out.append("symbol \"\(s)\" must be 1-64 printable ASCII bytes without '.', '\"', '\\' or spaces") }
        if horizons.isEmpty { out.append("at least one horizon is required") }
        if Set(horizons).count != horizons.count { out.append("horizons must be unique") }
        for h in horizons where h <= 0 || h > Int(UInt32.max) { out.append("horizon \(h) must be a positive 32-bit integer") }
        if classCount < 2 || classCount > WireFormat.maxClassCount { out.append("class count must be 2...16") }
        if !(sumTolerance >= 0 && sumTolerance < 1) { out.append("sum tolerance must be in [0, 1)") }
        if deadlineNanoseconds < 0 { out.append("deadline must not be negative") }
        if minModels < 1 || minModels > max(models.count, 1) { out.append("min_models must be 1...\(models.count)") }
        if maxPendingRows < 1 { out.append("max_pending_rows must be positive") }
        if maxAwaitingLabels < 0 { out.append("max_awaiting_labels must not be negative") }
        if maxPayloadBytes < 64 { out.append("max_payload_bytes must be at least 64") }
        if maxSymbols < 1 { out.append("max_symbols must be positive") }
        if regimeNames.count > WireFormat.maxRegimeCount { out.append("at most \(WireFormat.maxRegimeCount) regimes are supported") }
        if Set(regimeNames).count != regimeNames.count { out.append("regime names must be unique") }
        for r in regimeNames where !Self.isValidName(string: r) { out.append("regime name \"\(r)\" must be 1-64 printable ASCII bytes without '.', '\"', '\\' or spaces") }
        if skillWindow < 0 || skillWindow > 1_000_000 { out.append("skill window must be 0...1000000") }
        return out
    }

    static func isValidName(string s: String) -> Bool {
        var copy = s
        return copy.withUTF8 { StackdCore.isValidName(UnsafeRawBufferPointer($0)) }
    }
}
