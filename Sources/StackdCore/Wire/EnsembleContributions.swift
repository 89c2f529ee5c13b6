/// The contributions an ensemble output carries when `outputs.contributions` is on: one value per
/// base model (configured order), one for the shared columns, one for the bias, explaining the
/// served class (`schemas/wire.md` §4.3.1 binary, §5.3 JSON). Borrowed from the pipeline, valid
/// only during `emit`.
public struct EnsembleContributions {
    public var scale: ContributionScale
    /// The class they explain: the output's `predicted_class`.
    public var servedClass: Int
    /// M + 2 values: models, shared, bias.
    public var values: UnsafeBufferPointer<Double>

    public init(scale: ContributionScale, servedClass: Int, values: UnsafeBufferPointer<Double>) {
        self.scale = scale
        self.servedClass = servedClass
        self.values = values
    }

    /// Version of the binary block (its first byte); a new field or meaning bumps it.
    public static let blockVersion: UInt8 = 1
    /// Bytes of the block before its values: version, scale, value count, class.
    public static let blockHeaderSize = 4

    /// Bytes of the block for M models.
    public static func blockSize(modelCount m: Int) -> Int { blockHeaderSize + 8 * (m + 2) }
}
