/// A dataset over several named input tensors and one targets tensor whose first dimensions index the
/// samples: ``TensorDataset`` for models with several inputs (``MultiInputLayer``). Its samples and
/// batches have a ``TensorGroup`` as input, with the fields in the order given.
///
/// ```swift
/// // images [n, 1, 8, 8], features [n, 3], labels [n]
/// let data = try GroupDataset(["image": images, "features": features], labels)
/// let (x, y) = data[0]                     // x["image"]: [1, 8, 8], x["features"]: [3], y: []
/// for (batch, targets) in DataLoader(data, batchSize: 32, shuffle: true) {
///     let logits = model(batch)            // batch["image"]: [32, 1, 8, 8], batch["features"]: [32, 3]
/// }
/// ```
public struct GroupDataset: Dataset {
    /// A sample's input: one tensor per field.
    public typealias Input = TensorGroup

    /// The input tensors by name, samples along each one's first dimension.
    public let inputs: TensorGroup
    /// The targets, samples along the first dimension.
    public let targets: Tensor

    /// Creates a dataset; every input tensor must have as many rows (first dimension) as the targets.
    ///
    /// - Parameters:
    ///   - inputs: at least one named tensor, each `[n, ...]`.
    ///   - targets: the targets, `[n, ...]`.
    /// - Throws: ``GradusError`` (`.shapeMismatch`) naming the first field whose first dimension differs
    ///   from the targets', with both shapes; `.invalidArgument` for an empty group.
    ///
    /// ```swift
    /// let data = try GroupDataset(["tokens": ids, "mask": mask], labels)
    /// ```
    public init(_ inputs: TensorGroup, _ targets: Tensor) throws {
        try require(!inputs.isEmpty, "GroupDataset: needs at least one input tensor")
        try require(targets.rank >= 1,
                    "GroupDataset: targets of shape \(targets.shape) have no first dimension to index the samples", .shapeMismatch)
        for (name, tensor) in inputs {
            try require(tensor.rank >= 1 && tensor.shape[0] == targets.shape[0],
                        "GroupDataset: input \"\(name)\" of shape \(tensor.shape) and targets of shape \(targets.shape) must share their first dimension",
                        .shapeMismatch)
        }
        self.init(validatedInputs: inputs.mapTensors { $0.detach() }, targets: targets.detach())
    }

    /// A dataset whose shapes are known to fit.
    init(validatedInputs inputs: TensorGroup, targets: Tensor) {
        self.inputs = inputs
        self.targets = targets
    }

    /// The number of samples.
    public var count: Int { targets.shape[0] }

    /// Row `index` of every input and of the targets.
    ///
    /// - Parameter index: a sample index in `0..<count`.
    ///
    /// ```swift
    /// let (x, y) = data.sample(at: 3)   // x["image"]: [1, 8, 8]
    /// ```
    public func sample(at index: Int) -> (input: TensorGroup, target: Tensor) {
        checked(or: (input: TensorGroup.emptyPlaceholder, target: Tensor.placeholder())) {
            try require(index >= 0 && index < count, "GroupDataset: index \(index) is out of range 0..<\(count)", .indexOutOfRange)
            return GradMode.noGrad {
                (inputs.mapTensors { $0.select(axis: 0, index: index) }, targets.select(axis: 0, index: index))
            }
        }
    }

    /// Rows `indices` of every input and of the targets, each field gathered in one pass.
    ///
    /// - Parameter indices: sample indices in `0..<count`.
    ///
    /// ```swift
    /// let (x, y) = data.batch(at: [4, 1, 7])   // x["image"]: [3, 1, 8, 8], y: [3]
    /// ```
    public func batch(at indices: [Int]) -> (inputs: TensorGroup, targets: Tensor) {
        let index = Tensor(labels: indices)
        return GradMode.noGrad {
            (inputs.mapTensors { $0.indexSelect(axis: 0, index: index) }, targets.indexSelect(axis: 0, index: index))
        }
    }

    /// The samples at `indices`, as a new in-memory dataset.
    ///
    /// - Parameter indices: sample indices in `0..<count`.
    ///
    /// ```swift
    /// let firstTen = data.subset(Array(0..<10))
    /// ```
    public func subset(_ indices: [Int]) -> GroupDataset {
        let (x, y) = batch(at: indices)
        return GroupDataset(validatedInputs: x, targets: y)
    }
}

extension GroupDataset {
    /// A seeded split that holds out `fraction` of the samples (rounded, at least one), choosing the
    /// same rows as ``TensorDataset/holdingOut(_:seed:)`` does for as many samples and the same seed.
    ///
    /// - Throws: a ``GradusError`` when the fraction is outside [0, 1].
    ///
    /// ```swift
    /// let (train, validation) = try data.holdingOut(0.1, seed: 0)
    /// ```
    public func holdingOut(_ fraction: Double, seed: UInt64) throws -> (train: GroupDataset, validation: GroupDataset) {
        let parts = try holdOutIndices(count: count, fraction: fraction, seed: seed, op: "GroupDataset.holdingOut")
        return (subset(parts.train), subset(parts.validation))
    }
}
