/// A collection of samples, each an input and a target, addressed by index.
///
/// Conforming types provide ``count`` and ``sample(at:)``; ``batch(at:)`` has a default that collates
/// samples (``Collatable``), which types holding whole tensors (like ``TensorDataset``) replace with one
/// gather. The input and the target are ``Tensor``s unless the type says otherwise: a model with several
/// inputs reads a ``TensorGroup`` of named tensors (``GroupDataset``, ``MultiInputLayer``), a model with
/// several outputs learns a ``TensorGroup`` of named targets (``MultiTargetDataset``,
/// ``MultiOutputLayer``). A `DataLoader` reads batches from a background thread, hence `Sendable`.
///
/// ```swift
/// struct Squares: Dataset {
///     var count: Int { 100 }
///     func sample(at i: Int) -> (input: Tensor, target: Tensor) {
///         (Tensor([Double(i)]), Tensor([Double(i * i)]))
///     }
/// }
///
/// struct Captioned: Dataset {            // two inputs per sample
///     var count: Int { 100 }
///     func sample(at i: Int) -> (input: TensorGroup, target: Tensor) {
///         (input: ["image": Tensor.zeros([1, 8, 8]), "length": Tensor([Double(i % 7)])],
///          target: Tensor(shape: [], integers: [i % 2]))
///     }
/// }
///
/// struct DigitAndParity: Dataset {       // two targets per sample
///     var count: Int { 100 }
///     func sample(at i: Int) -> (input: Tensor, target: TensorGroup) {
///         (input: Tensor.zeros([64]),
///          target: ["digit": Tensor(shape: [], integers: [i % 10]), "odd": Tensor(shape: [], integers: [i % 2])])
///     }
/// }
/// ```
public protocol Dataset: Sendable {
    /// The input of one sample: a ``Tensor`` (the default) or, for models with several inputs, a
    /// ``TensorGroup``. Batches hold the inputs collated (``Collatable/collate(_:)``).
    associatedtype Input: Collatable = Tensor
    /// The target of one sample: a ``Tensor`` (the default) or, for models with several outputs, a
    /// ``TensorGroup`` with one field per output. Batches hold the targets collated.
    associatedtype Target: Collatable = Tensor
    /// The number of samples.
    var count: Int { get }
    /// The sample at `index` (`0..<count`).
    func sample(at index: Int) -> (input: Input, target: Target)
    /// The samples at `indices`, collated along a new first dimension.
    func batch(at indices: [Int]) -> (inputs: Input, targets: Target)
}

extension Dataset {
    /// Collates ``sample(at:)`` for each index: inputs with ``Collatable/collate(_:)`` of ``Dataset/Input``,
    /// targets with that of ``Dataset/Target``. Samples that do not fit together (another shape, other
    /// field names) are a ``GradusError`` naming the samples and the first difference.
    ///
    /// ```swift
    /// let (x, y) = dataset.batch(at: [0, 5, 7])   // x: [3, ...], y: [3, ...]
    /// ```
    public func batch(at indices: [Int]) -> (inputs: Input, targets: Target) {
        checked(or: (inputs: Input.emptyPlaceholder, targets: Target.emptyPlaceholder)) {
            try require(!indices.isEmpty, "Dataset.batch(at:): needs at least one index")
            let samples = indices.map { sample(at: $0) }
            return try GradMode.noGrad {
                let inputs = try Self.collating("inputs", indices) { try Input.collate(samples.map { $0.input }) }
                let targets = try Self.collating("targets", indices) { try Target.collate(samples.map { $0.target }) }
                return (inputs: inputs, targets: targets)
            }
        }
    }

    /// Runs a collation of the samples at `indices`, naming the batch's samples in its error.
    static func collating<R>(_ part: String, _ indices: [Int], _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as GradusError {
            let shown = indices.prefix(8).map { "\($0)" }.joined(separator: ", ") + (indices.count > 8 ? ", …" : "")
            throw GradusError(error.kind, "Dataset.batch(at:): the \(part) of the samples at [\(shown)] (items 0, 1, … in this order) "
                                          + "cannot be batched: \(error.message)")
        }
    }

    /// The sample at `index`, as ``sample(at:)``.
    ///
    /// ```swift
    /// let (x, y) = dataset[3]
    /// ```
    public subscript(index: Int) -> (input: Input, target: Target) { sample(at: index) }
}

/// A dataset over two tensors whose first dimensions index the samples (PyTorch's `TensorDataset`).
///
/// ```swift
/// let data = TensorDataset(images, labels)   // images [n, 64], labels [n]
/// let (x, y) = data[0]                        // x [64], y []
/// ```
public struct TensorDataset: Dataset {
    /// The inputs, samples along the first dimension.
    public let inputs: Tensor
    /// The targets, samples along the first dimension.
    public let targets: Tensor

    /// Creates a dataset; both tensors must have the same size along their first dimension.
    ///
    /// - Parameters:
    ///   - inputs: the features, `[n, ...]`.
    ///   - targets: the targets, `[n, ...]`.
    ///
    /// ```swift
    /// let data = TensorDataset(Tensor.normal([10, 3]), Tensor(labels: Array(repeating: 0, count: 10)))
    /// ```
    public init(_ inputs: Tensor, _ targets: Tensor) {
        // Shapes that do not fit: recorded inside a `GradusError.catching` scope (the dataset is then
        // empty), a stop with the message outside one.
        let fits = checkedEvenAfterFailure(or: false) { try Self.checkRows(inputs, targets); return true }
        self.inputs = fits ? inputs.detach() : Tensor.placeholder()
        self.targets = fits ? targets.detach() : Tensor.placeholder()
    }

    /// Creates a dataset from tensors that come from outside the program (files, a request), checked:
    /// it throws where ``init(_:_:)`` would stop. For class labels with a known number of classes,
    /// ``init(_:labels:classCount:)`` also checks every label.
    ///
    /// - Parameters:
    ///   - inputs: the features, `[n, ...]`.
    ///   - targets: the targets, `[n, ...]` (regression values, labels, anything per sample).
    /// - Throws: ``GradusError`` (`.shapeMismatch`) naming both shapes when their first dimensions differ
    ///   or either is a scalar.
    ///
    /// ```swift
    /// let data = try TensorDataset(validating: try NPYReader.read("x.npy"), targets: try NPYReader.read("y.npy"))
    /// ```
    public init(validating inputs: Tensor, targets: Tensor) throws {
        try Self.checkRows(inputs, targets)
        self.inputs = inputs.detach()
        self.targets = targets.detach()
    }

    /// Checks that `inputs` and `targets` hold the same number of samples along their first dimension.
    private static func checkRows(_ inputs: Tensor, _ targets: Tensor) throws {
        try require(inputs.rank >= 1 && targets.rank >= 1 && inputs.shape[0] == targets.shape[0],
                    "TensorDataset: inputs \(inputs.shape) and targets \(targets.shape) must share their first dimension", .shapeMismatch)
    }

    /// A classification dataset whose labels are checked against a declared number of classes: for
    /// labels that come from a file or a request. It throws where ``init(_:_:)`` would stop.
    ///
    /// - Parameters:
    ///   - inputs: the features, `[n, ...]`.
    ///   - labels: int64 class indices, `[n]`.
    ///   - classCount: the number of classes; every label must lie in `0..<classCount`.
    /// - Throws: ``GradusError`` naming the first bad label and its sample, or the mismatched shapes.
    ///
    /// ```swift
    /// let data = try TensorDataset(images, labels: labels, classCount: 10)
    /// ```
    public init(_ inputs: Tensor, labels: Tensor, classCount: Int) throws {
        try require(classCount >= 1, "TensorDataset: classCount must be at least 1, got \(classCount)")
        try require(labels.dtype == .int64, "TensorDataset: labels must be int64 class indices, got \(labels.dtype)", .dtypeMismatch)
        try require(inputs.rank >= 1 && labels.rank == 1 && inputs.shape[0] == labels.shape[0],
                    "TensorDataset: inputs \(inputs.shape) and labels \(labels.shape) must share their first dimension (labels 1-D)",
                    .shapeMismatch)
        let p = labels.pointer(Int64.self)
        for i in 0..<labels.count where p[i] < 0 || p[i] >= Int64(classCount) {
            throw GradusError(.indexOutOfRange, "TensorDataset: label \(p[i]) of sample \(i) is outside 0..<\(classCount)")
        }
        self.init(inputs, labels)
    }

    /// The number of samples.
    public var count: Int { inputs.shape[0] }

    /// Row `index` of the inputs and of the targets.
    public func sample(at index: Int) -> (input: Tensor, target: Tensor) {
        checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
            try require(index >= 0 && index < count, "TensorDataset: index \(index) is out of range 0..<\(count)", .indexOutOfRange)
            return GradMode.noGrad { (inputs.select(axis: 0, index: index), targets.select(axis: 0, index: index)) }
        }
    }

    /// Rows `indices` of the inputs and of the targets, gathered in one pass.
    public func batch(at indices: [Int]) -> (inputs: Tensor, targets: Tensor) {
        let index = Tensor(labels: indices)
        return GradMode.noGrad { (inputs.indexSelect(axis: 0, index: index), targets.indexSelect(axis: 0, index: index)) }
    }

    /// The samples at `indices`, as a new in-memory dataset.
    ///
    /// ```swift
    /// let firstTen = data.subset(Array(0..<10))
    /// ```
    public func subset(_ indices: [Int]) -> TensorDataset {
        let (x, y) = batch(at: indices)
        return TensorDataset(x, y)
    }

    /// A seeded random split into a training part holding `trainFraction` of the samples (rounded
    /// down, where a product such as 100 × 0.29 = 28.999999999999996 counts as the whole number it
    /// misses by rounding error) and a validation part holding the rest.
    ///
    /// - Parameters:
    ///   - trainFraction: the share of samples for training, in [0, 1].
    ///   - seed: the seed of the permutation; the same seed gives the same split.
    ///
    /// ```swift
    /// let (train, validation) = data.split(trainFraction: 0.8, seed: 42)
    /// ```
    public func split(trainFraction: Double, seed: UInt64) throws -> (train: TensorDataset, validation: TensorDataset) {
        try require(trainFraction >= 0 && trainFraction <= 1, "TensorDataset.split: trainFraction \(trainFraction) is not in [0, 1]")
        // Rounded down, but not below a whole number that the product misses by rounding error only
        // (100 × 0.29 is 28.999999999999996: 29 samples, as random_split gives).
        let product = Double(count) * trainFraction, nearest = product.rounded()
        let nTrain = Int(abs(product - nearest) <= 4 * product.ulp ? nearest : product.rounded(.down))
        let parts = try splitIndices(count: count, lengths: [nTrain, count - nTrain], seed: seed)
        return (subset(parts[0]), subset(parts[1]))
    }

    /// A seeded split that holds out `fraction` of the samples (rounded, at least one): the test part of
    /// a data set, a validation part for early stopping or tuning.
    ///
    /// - Throws: a ``GradusError`` when the fraction is outside [0, 1].
    ///
    /// ```swift
    /// let (train, validation) = try data.holdingOut(0.1, seed: 0)
    /// ```
    public func holdingOut(_ fraction: Double, seed: UInt64) throws -> (train: TensorDataset, validation: TensorDataset) {
        let parts = try holdOutIndices(count: count, fraction: fraction, seed: seed, op: "TensorDataset.holdingOut")
        return (subset(parts.train), subset(parts.validation))
    }
}

/// The rows a seeded hold-out of `fraction` (rounded, at least one) keeps and holds out among `count`,
/// shared by ``TensorDataset/holdingOut(_:seed:)`` and ``GroupDataset/holdingOut(_:seed:)`` so that both
/// choose the same rows.
func holdOutIndices(count: Int, fraction: Double, seed: UInt64, op: String) throws -> (train: [Int], validation: [Int]) {
    try require(fraction >= 0 && fraction <= 1, "\(op): fraction \(fraction) is not in [0, 1]")
    try require(count >= 1, "\(op): the data set is empty; there is no sample to hold out")
    let held = Swift.max(1, Int((Double(count) * fraction).rounded()))
    let nTrain = count - held   // (a product of fractions here held out one more at some sizes: 39 at 0.2 gave 9)
    let parts = try splitIndices(count: count, lengths: [nTrain, count - nTrain], seed: seed)
    return (parts[0], parts[1])
}
