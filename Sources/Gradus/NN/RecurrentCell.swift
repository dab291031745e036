/// What ``RNNCell``, ``LSTMCell`` and ``GRUCell`` share (PyTorch's `nn.RNNCellBase`): one step of a
/// recurrent layer, for loops written by hand (decoders that feed back their own output, attention over
/// an encoder at every step, sequences of varying structure).
///
/// Parameters have PyTorch's names, layouts and initialization: `weight_ih` `[gates·hiddenSize,
/// inputSize]`, `weight_hh` `[gates·hiddenSize, hiddenSize]` and, with `bias`, `bias_ih` and `bias_hh`
/// `[gates·hiddenSize]`, all uniform in ±1/√hiddenSize — so a PyTorch cell's `state_dict` loads as it is.
/// Inputs are `[N, inputSize]`, or `[inputSize]` for one sample; states `[N, hiddenSize]` (`[hiddenSize]`).
///
/// ```swift
/// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
/// var state: (h: Tensor, c: Tensor)? = nil
/// for x in steps { state = cell(x, state) }   // each x [N, 10]
/// ```
public class RecurrentCell: Module {
    /// Features of the input.
    public let inputSize: Int
    /// Features of the hidden (and cell) state.
    public let hiddenSize: Int
    /// Whether the cell has biases.
    public let hasBias: Bool

    /// `weight_ih`, the gates' input weights stacked.
    public private(set) var inputWeight: Tensor
    /// `weight_hh`, the gates' hidden-state weights stacked.
    public private(set) var hiddenWeight: Tensor
    /// `bias_ih`, or nil without biases.
    public private(set) var inputBias: Tensor?
    /// `bias_hh`, or nil without biases.
    public private(set) var hiddenBias: Tensor?

    /// The cell's name in error messages.
    class var cellName: String { "RecurrentCell" }

    /// A cell with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - gates: the gates stacked in each weight: 1 (RNN), 4 (LSTM), 3 (GRU).
    ///   - inputSize: features of the input.
    ///   - hiddenSize: features of the state.
    ///   - bias: whether the cell has biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    init(gates: Int, inputSize: Int, hiddenSize: Int, bias: Bool, dtype: DType, generator: inout SeededGenerator) {
        let largest = Int(Int32.max)   // keeps gates × hiddenSize within Int
        let valid = (1...largest).contains(inputSize) && (1...largest).contains(hiddenSize)
        self.inputSize = valid ? inputSize : 1
        self.hiddenSize = valid ? hiddenSize : 1
        self.hasBias = bias
        let (h, i) = (self.hiddenSize, self.inputSize)
        let bound = 1 / Double(h).squareRoot()
        func uniform(_ shape: [Int]) -> Tensor {
            let t = Tensor.zeros(shape, dtype: dtype)
            Init.uniform(t, low: -bound, high: bound, generator: &generator)
            return t.requiringGrad()
        }
        inputWeight = uniform([gates * h, i])
        hiddenWeight = uniform([gates * h, h])
        if bias {
            inputBias = uniform([gates * h])
            hiddenBias = uniform([gates * h])
        }
        super.init()
        invariant(type(of: self) != RecurrentCell.self, "RecurrentCell is the shared base of RNNCell, LSTMCell and GRUCell")
        _ = validSetting(valid, "\(Self.cellName): inputSize \(inputSize) and hiddenSize \(hiddenSize) must be at least 1 and at most \(largest)")
    }

    /// PyTorch's names and order: weight_ih, weight_hh, bias_ih, bias_hh.
    override func discoverMembers() -> Members {
        var found = Members()
        found.parameters = [("weight_ih", inputWeight), ("weight_hh", hiddenWeight)]
        if let inputBias, let hiddenBias { found.parameters += [("bias_ih", inputBias), ("bias_hh", hiddenBias)] }
        return found
    }

    /// The input as `[N, inputSize]` and whether it was one sample (`[inputSize]`), checked.
    func batchedInput(_ input: Tensor) throws -> (Tensor, unbatched: Bool) {
        let name = Self.cellName
        try require(input.rank == 1 || input.rank == 2, "\(name): input must be [N, \(inputSize)] or [\(inputSize)], got \(input.shape)",
                    .shapeMismatch)
        try require(input.shape.last == inputSize, "\(name): input \(input.shape) does not end with inputSize \(inputSize)", .shapeMismatch)
        try require(input.dtype == inputWeight.dtype, "\(name): input is \(input.dtype) but the cell's weights are \(inputWeight.dtype)",
                    .dtypeMismatch)
        return input.rank == 1 ? (input.unsqueeze(0), true) : (input, false)
    }

    /// A state given for `batch` samples as `[N, hiddenSize]` (`[hiddenSize]` for one sample), or zeros.
    func batchedState(_ state: Tensor?, batch: Int, unbatched: Bool, dtype: DType, what: String) throws -> Tensor {
        guard let state else { return Tensor.zeros([batch, hiddenSize], dtype: dtype) }
        let expected = unbatched ? [hiddenSize] : [batch, hiddenSize]
        try require(state.shape == expected, "\(Self.cellName): \(what) \(state.shape) must be \(expected) for this input", .shapeMismatch)
        try require(state.dtype == dtype, "\(Self.cellName): \(what) is \(state.dtype) but the input is \(dtype)", .dtypeMismatch)
        return unbatched ? state.unsqueeze(0) : state
    }

    /// `x·W_ihᵀ + b_ih` and `h·W_hhᵀ + b_hh`, each `[N, gates·hiddenSize]`.
    func projections(_ x: Tensor, _ h: Tensor) -> (input: Tensor, hidden: Tensor) {
        (Tensor.linear(x, weight: inputWeight, bias: inputBias), Tensor.linear(h, weight: hiddenWeight, bias: hiddenBias))
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "inputSize: \(inputSize), hiddenSize: \(hiddenSize)" + (hasBias ? "" : ", bias: false")
    }
}

/// One step of an Elman network (PyTorch's `nn.RNNCell`): `h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)`
/// (or relu). See ``RecurrentCell`` for shapes and parameters.
///
/// ```swift
/// let cell = RNNCell(inputSize: 4, hiddenSize: 8)
/// var h: Tensor? = nil
/// for x in steps { h = cell(x, h) }
/// ```
public final class RNNCell: RecurrentCell, Layer {
    /// The activation of the new state.
    public let nonlinearity: RNN.Nonlinearity

    /// A cell with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of the input.
    ///   - hiddenSize: features of the state.
    ///   - bias: whether the cell has biases.
    ///   - nonlinearity: tanh (the default) or relu.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RNN.Nonlinearity = .tanh,
                dtype: DType = .float32, generator: inout SeededGenerator) {
        self.nonlinearity = nonlinearity
        super.init(gates: 1, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &generator)
    }

    /// A cell initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let cell = RNNCell(inputSize: 4, hiddenSize: 8, nonlinearity: .relu)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RNN.Nonlinearity = .tanh,
                            dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, nonlinearity: nonlinearity, dtype: dtype, generator: &g)
    }

    override class var cellName: String { "RNNCell" }

    /// The next state from `input` and `hidden` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[N, inputSize]` or `[inputSize]`.
    ///   - hidden: `[N, hiddenSize]` (`[hiddenSize]` for one sample), or nil.
    /// - Returns: the new hidden state, shaped like `hidden`.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                let (x, unbatched) = try batchedInput(input)
                let h = try batchedState(hidden, batch: x.shape[0], unbatched: unbatched, dtype: x.dtype, what: "hidden state")
                let (pi, ph) = projections(x, h)
                let next = nonlinearity == .tanh ? (pi + ph).tanh() : (pi + ph).relu()
                return unbatched ? next.squeeze(0) : next
            }
        }
    }

    /// The next state from a zero state.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil) }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        super.extraDescription + (nonlinearity == .relu ? ", nonlinearity: relu" : "")
    }
}

/// One step of a long short-term memory (PyTorch's `nn.LSTMCell`): gates i, f, g, o from
/// `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`, then `c' = σ(f)·c + σ(i)·tanh(g)` and `h' = σ(o)·tanh(c')`.
/// See ``RecurrentCell`` for shapes and parameters. As a ``Layer`` it returns `h'` from a zero state.
///
/// ```swift
/// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
/// var state: (h: Tensor, c: Tensor)? = nil
/// for x in steps { state = cell(x, state) }
/// ```
public final class LSTMCell: RecurrentCell, Layer {
    /// A cell with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of the input.
    ///   - hiddenSize: features of the hidden and cell states.
    ///   - bias: whether the cell has biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: inout SeededGenerator) {
        super.init(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &generator)
    }

    /// A cell initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &g)
    }

    override class var cellName: String { "LSTMCell" }

    /// The next hidden and cell states from `input` and `state` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[N, inputSize]` or `[inputSize]`.
    ///   - state: `h` and `c`, each `[N, hiddenSize]` (`[hiddenSize]` for one sample), or nil.
    /// - Returns: the new `h` and `c`, shaped like the state.
    public func callAsFunction(_ input: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        withForwardHooks(input, { input in
            checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
                let (x, unbatched) = try batchedInput(input)
                let n = x.shape[0]
                let h = try batchedState(state?.h, batch: n, unbatched: unbatched, dtype: x.dtype, what: "hidden state")
                let c = try batchedState(state?.c, batch: n, unbatched: unbatched, dtype: x.dtype, what: "cell state")
                let (pi, ph) = projections(x, h)
                let both = LSTM.cell(gates: pi + ph, cell: c)   // [N, 2H]: h' then c'
                var next = (both.slice(axis: 1, start: 0, end: hiddenSize), both.slice(axis: 1, start: hiddenSize, end: 2 * hiddenSize))
                if unbatched { next = (next.0.squeeze(0), next.1.squeeze(0)) }
                return next
            }
        }, output: { $0.h }, replacingOutput: { (h: $1, c: $0.c) })
    }

    /// The next hidden state from a zero state.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil).h }
}

/// One step of a gated recurrent unit (PyTorch's `nn.GRUCell`): gates r, z, n with
/// `n = tanh(x·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn))` and `h' = (1 − z)·n + z·h`. See ``RecurrentCell`` for
/// shapes and parameters.
///
/// ```swift
/// let cell = GRUCell(inputSize: 4, hiddenSize: 8)
/// var h: Tensor? = nil
/// for x in steps { h = cell(x, h) }
/// ```
public final class GRUCell: RecurrentCell, Layer {
    /// A cell with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of the input.
    ///   - hiddenSize: features of the state.
    ///   - bias: whether the cell has biases.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32, generator: inout SeededGenerator) {
        super.init(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &generator)
    }

    /// A cell initialized from the default generator (``Random``).
    ///
    /// ```swift
    /// let cell = GRUCell(inputSize: 4, hiddenSize: 8)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: &g)
    }

    override class var cellName: String { "GRUCell" }

    /// The next state from `input` and `hidden` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[N, inputSize]` or `[inputSize]`.
    ///   - hidden: `[N, hiddenSize]` (`[hiddenSize]` for one sample), or nil.
    /// - Returns: the new hidden state, shaped like `hidden`.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                let (x, unbatched) = try batchedInput(input)
                let h = try batchedState(hidden, batch: x.shape[0], unbatched: unbatched, dtype: x.dtype, what: "hidden state")
                let (pi, ph) = projections(x, h)
                let next = GRU.cell(projectedInput: pi, projectedHidden: ph, hidden: h)
                return unbatched ? next.squeeze(0) : next
            }
        }
    }

    /// The next state from a zero state.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil) }
}
