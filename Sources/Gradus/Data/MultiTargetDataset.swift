/// A dataset whose samples have several named targets, one per output of a model with several outputs
/// (``MultiOutputLayer``): a digit's class and whether it is odd, an object's class and its box. The
/// inputs are one tensor or named tensors (``TensorGroup``); every tensor holds the samples along its
/// first dimension.
///
/// ```swift
/// // images [n, 64], labels [n] (int64), odd [n] (int64)
/// let data = try MultiTargetDataset(images, targets: ["digit": labels, "odd": odd])
/// let (x, y) = data[0]                  // x: [64], y["digit"]: [], y["odd"]: []
/// for (batch, targets) in DataLoader(data, batchSize: 32, shuffle: true) {
///     let outputs = model(batch)        // a TensorGroup with "digit" and "odd"
/// }
/// ```
public struct MultiTargetDataset<Input: RowSelectable>: Dataset {
    /// A sample's targets: one tensor per output.
    public typealias Target = TensorGroup

    /// The inputs, samples along the first dimension (of each tensor).
    public let inputs: Input
    /// The targets by name, samples along each one's first dimension.
    public let targets: TensorGroup

    /// Creates a dataset; every input and target tensor must have the same number of rows.
    ///
    /// - Parameters:
    ///   - inputs: a tensor `[n, ...]` or named tensors, each `[n, ...]`.
    ///   - targets: at least one named target tensor, each `[n, ...]`.
    /// - Throws: ``GradusError`` (`.shapeMismatch`) naming the tensor whose first dimension differs, with
    ///   its shape; `.invalidArgument` for an empty group.
    ///
    /// ```swift
    /// let data = try MultiTargetDataset(["image": images, "features": features],
    ///                                   targets: ["class": labels, "size": sizes])
    /// ```
    public init(_ inputs: Input, targets: TensorGroup) throws {
        try Self.checkRows(inputs, targets)
        self.init(validatedInputs: inputs.detachingRows(), targets: targets.detachingRows())
    }

    /// Checks that the inputs and the targets hold the same number of rows.
    static func checkRows(_ inputs: Input, _ targets: TensorGroup) throws {
        let rows = try inputs.rowCount(op: "MultiTargetDataset: inputs")
        let targetRows = try targets.rowCount(op: "MultiTargetDataset: targets")
        try require(rows == targetRows,
                    "MultiTargetDataset: the inputs have \(rows) rows but the targets \(targetRows); both must hold the same samples",
                    .shapeMismatch)
    }

    /// A dataset whose shapes are known to fit.
    init(validatedInputs inputs: Input, targets: TensorGroup) {
        self.inputs = inputs
        self.targets = targets
    }

    /// The number of samples.
    public var count: Int { targets.leadingCount }

    /// Row `index` of the inputs and of every target.
    ///
    /// - Parameter index: a sample index in `0..<count`.
    ///
    /// ```swift
    /// let (x, y) = data.sample(at: 3)   // y["digit"]: []
    /// ```
    public func sample(at index: Int) -> (input: Input, target: TensorGroup) {
        checked(or: (input: Input.emptyPlaceholder, target: TensorGroup.emptyPlaceholder)) {
            try require(index >= 0 && index < count, "MultiTargetDataset: index \(index) is out of range 0..<\(count)", .indexOutOfRange)
            return GradMode.noGrad { (inputs.selectingRow(index), targets.selectingRow(index)) }
        }
    }

    /// Rows `indices` of the inputs and of every target, each tensor gathered in one pass.
    ///
    /// - Parameter indices: sample indices in `0..<count`.
    ///
    /// ```swift
    /// let (x, y) = data.batch(at: [4, 1, 7])   // y["digit"]: [3]
    /// ```
    public func batch(at indices: [Int]) -> (inputs: Input, targets: TensorGroup) {
        let index = Tensor(labels: indices)
        return GradMode.noGrad { (inputs.selectingRows(index), targets.selectingRows(index)) }
    }

    /// The samples at `indices`, as a new in-memory dataset.
    ///
    /// ```swift
    /// let firstTen = data.subset(Array(0..<10))
    /// ```
    public func subset(_ indices: [Int]) -> MultiTargetDataset {
        let (x, y) = batch(at: indices)
        return MultiTargetDataset(validatedInputs: x, targets: y)
    }

    /// A seeded split that holds out `fraction` of the samples (rounded, at least one), choosing the
    /// same rows as ``TensorDataset/holdingOut(_:seed:)`` does for as many samples and the same seed.
    ///
    /// - Throws: a ``GradusError`` when the fraction is outside [0, 1].
    ///
    /// ```swift
    /// let (train, validation) = try data.holdingOut(0.2, seed: 0)
    /// ```
    public func holdingOut(_ fraction: Double, seed: UInt64) throws -> (train: MultiTargetDataset, validation: MultiTargetDataset) {
        let parts = try holdOutIndices(count: count, fraction: fraction, seed: seed, op: "MultiTargetDataset.holdingOut")
        return (subset(parts.train), subset(parts.validation))
    }
}

extension MultiTargetDataset where Input == TensorGroup {
    /// Creates a dataset of named inputs (so that a dictionary literal of inputs reads as a
    /// ``TensorGroup``); see ``init(_:targets:)``.
    ///
    /// - Parameters:
    ///   - inputs: named tensors, each `[n, ...]`.
    ///   - targets: at least one named target tensor, each `[n, ...]`.
    /// - Throws: ``GradusError`` as ``init(_:targets:)`` does.
    ///
    /// ```swift
    /// let data = try MultiTargetDataset(["image": images, "features": features], targets: ["class": labels])
    /// ```
    public init(_ inputs: TensorGroup, targets: TensorGroup) throws {
        try Self.checkRows(inputs, targets)
        self.init(validatedInputs: inputs.detachingRows(), targets: targets.detachingRows())
    }
}
