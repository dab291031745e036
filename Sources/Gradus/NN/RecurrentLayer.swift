/// What ``RNN``, ``LSTM`` and ``GRU`` share (PyTorch's `nn.RNNBase`): stacked layers, each optionally
/// bidirectional, that read a sequence one step at a time, with PyTorch's parameter names and layout.
///
/// Each layer `l` and direction has `weight_ih_l<l>` `[gates·hiddenSize, inputs]`, `weight_hh_l<l>`
/// `[gates·hiddenSize, hiddenSize]` and, with `bias`, `bias_ih_l<l>` and `bias_hh_l<l>`
/// `[gates·hiddenSize]`; the reverse direction's names end in `_reverse`. All start uniform in
/// ±1/√hiddenSize, as in PyTorch. Sequences are `[T, N, inputSize]` (`[N, T, inputSize]` with
/// `batchFirst`), or `[T, inputSize]` for one sequence; states are `[numLayers·directions, N,
/// hiddenSize]`. An ``LSTM`` with a projection (`projSize`, PyTorch's `proj_size`) also has
/// `weight_hr_l<l>` `[projSize, hiddenSize]`; its hidden state and outputs have `projSize` features
/// (the cell state keeps `hiddenSize`), and `weight_hh` is `[4·hiddenSize, projSize]`.
///
/// ```swift
/// let lstm = LSTM(inputSize: 8, hiddenSize: 16, numLayers: 2, batchFirst: true)
/// let (output, state) = lstm(x, nil)   // x [N, T, 8] -> output [N, T, 16]
/// ```
public class RecurrentLayer: Module {
    /// Features of each step of the input.
    public let inputSize: Int
    /// Features of the hidden state (of an LSTM's cell state, and of its hidden state before the
    /// projection when ``projSize`` is set).
    public let hiddenSize: Int
    /// Stacked layers; each reads the previous one's output sequence.
    public let numLayers: Int
    /// Whether the layers have biases.
    public let hasBias: Bool
    /// Whether sequences are `[N, T, features]` rather than `[T, N, features]`.
    public let batchFirst: Bool
    /// The dropout probability on each layer's output but the last, in training mode.
    public let dropout: Double
    /// Whether each layer also reads the sequence backwards (outputs of both directions concatenated).
    public let bidirectional: Bool
    /// The features of the hidden state after an LSTM's projection (PyTorch's `proj_size`), or 0 for
    /// none; always 0 for ``RNN`` and ``GRU``.
    public let projSize: Int

    /// `weight_ih` of each layer and direction, in PyTorch's order (layer 0, layer 0 reverse, …).
    public private(set) var inputWeights: [Tensor] = []
    /// `weight_hh` of each layer and direction.
    public private(set) var hiddenWeights: [Tensor] = []
    /// `bias_ih` of each layer and direction (empty without biases).
    public private(set) var inputBiases: [Tensor] = []
    /// `bias_hh` of each layer and direction (empty without biases).
    public private(set) var hiddenBiases: [Tensor] = []
    /// `weight_hr` of each layer and direction: an LSTM's projection of its hidden state (empty without
    /// `projSize`).
    public private(set) var projectionWeights: [Tensor] = []

    /// The features of the hidden state the layers output: `projSize` when set, else `hiddenSize`.
    var outputFeatures: Int { projSize > 0 ? projSize : hiddenSize }

    /// 1 or 2.
    var directions: Int { bidirectional ? 2 : 1 }
    /// The gates stacked in each weight: 1 (RNN), 4 (LSTM), 3 (GRU).
    class var gateCount: Int { 1 }
    /// The layer's name in error messages.
    class var layerName: String { "RecurrentLayer" }

    /// A network with PyTorch's initialization drawn from `generator`.
    ///
    /// - Parameters:
    ///   - inputSize: features of each input step.
    ///   - hiddenSize: features of the hidden (and cell) state.
    ///   - numLayers: stacked layers.
    ///   - bias: whether the layers have biases.
    ///   - batchFirst: sequences as `[N, T, features]`.
    ///   - dropout: dropout on each layer's output but the last, in training mode.
    ///   - bidirectional: also read each sequence backwards.
    ///   - dtype: the parameters' element type.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let gru = GRU(inputSize: 4, hiddenSize: 8, bidirectional: true, generator: &rng)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                            dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32,
                            generator: inout SeededGenerator) {
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, projection: 0, dtype: dtype, generator: &generator)
    }

    /// The network with an optional LSTM projection (`projSize` 0 for none), which ``LSTM``'s
    /// initializers pass; see the public initializer for the other parameters.
    init(inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool, dropout: Double,
         bidirectional: Bool, projection projSize: Int, dtype: DType, generator: inout SeededGenerator) {
        // Invalid settings are reported after super.init, where the subclass's name can be read; the
        // layer is built with sizes of 1 and no dropout in their place (see validSetting).
        let largest = Int(Int32.max)   // keeps gates × hiddenSize and the weights' shapes within Int
        let sizesValid = (1...largest).contains(inputSize) && (1...largest).contains(hiddenSize) && (1...largest).contains(numLayers)
        let dropoutValid = dropout >= 0 && dropout <= 1
        self.inputSize = sizesValid ? inputSize : 1
        self.hiddenSize = sizesValid ? hiddenSize : 1
        self.numLayers = sizesValid ? numLayers : 1
        self.hasBias = bias
        self.batchFirst = batchFirst
        self.dropout = dropoutValid ? dropout : 0
        self.bidirectional = bidirectional
        let projectionValid = projSize >= 0 && projSize < self.hiddenSize
        self.projSize = projectionValid ? projSize : 0
        super.init()
        invariant(type(of: self) != RecurrentLayer.self,
                "RecurrentLayer is the shared base of RNN, LSTM and GRU: create one of those")
        let name = Self.layerName, gates = Self.gateCount
        _ = validSetting(sizesValid,
                "\(name): inputSize \(inputSize), hiddenSize \(hiddenSize) and numLayers \(numLayers) must be at least 1 and at most \(largest)")
        _ = validSetting(dropoutValid, "\(name): dropout must be in [0, 1], got \(dropout)")
        _ = validSetting(projectionValid, "\(name): projSize must be at least 0 and smaller than hiddenSize \(self.hiddenSize), got \(projSize)")
        let (inputSize, hiddenSize, numLayers, outputs) = (self.inputSize, self.hiddenSize, self.numLayers, self.outputFeatures)
        let bound = 1 / Double(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Tensor {
            let t = Tensor.zeros(shape, dtype: dtype)
            Init.uniform(t, low: -bound, high: bound, generator: &generator)
            return t.requiringGrad()
        }
        for layer in 0..<numLayers {
            for _ in 0..<directions {
                let inputs = layer == 0 ? inputSize : outputs * directions
                inputWeights.append(uniform([gates * hiddenSize, inputs]))
                hiddenWeights.append(uniform([gates * hiddenSize, outputs]))
                if bias {
                    inputBiases.append(uniform([gates * hiddenSize]))
                    hiddenBiases.append(uniform([gates * hiddenSize]))
                }
                if self.projSize > 0 { projectionWeights.append(uniform([self.projSize, hiddenSize])) }
            }
        }
    }

    /// A network with PyTorch's initialization drawn from the default generator (``Random``).
    ///
    /// ```swift
    /// let lstm = LSTM(inputSize: 4, hiddenSize: 8, batchFirst: true)
    /// ```
    public convenience init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                            batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
                            dtype: DType = .float32) {
        var g = splitDefaultGenerator()
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: &g)
    }

    /// PyTorch's names and order: for each layer, each direction: weight_ih, weight_hh, bias_ih, bias_hh,
    /// weight_hr.
    override func discoverMembers() -> Members {
        var found = Members()
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let i = layer * directions + direction
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                found.parameters.append(("weight_ih" + suffix, inputWeights[i]))
                found.parameters.append(("weight_hh" + suffix, hiddenWeights[i]))
                if hasBias {
                    found.parameters.append(("bias_ih" + suffix, inputBiases[i]))
                    found.parameters.append(("bias_hh" + suffix, hiddenBiases[i]))
                }
                if projSize > 0 { found.parameters.append(("weight_hr" + suffix, projectionWeights[i])) }
            }
        }
        return found
    }

    /// One step of layer-and-direction `index`: the new state from the input's projection
    /// `x·W_ihᵀ + b_ih` `[N, gates·hiddenSize]` and the state (`[h]`, or `[h, c]` for an LSTM).
    func step(_ projectedInput: Tensor, _ state: [Tensor], index: Int) -> [Tensor] {
        fatalError("\(Self.layerName) must override step")
    }

    /// The whole sequence of layer-and-direction `index` as one operation, or nil to run it step by step
    /// with ``step(_:_:index:)``: the hidden state of every step `[T, N, H]` and the final states.
    func fusedSequence(_ projected: Tensor, _ state: [Tensor], index: Int, reverse: Bool) -> (hidden: Tensor, final: [Tensor])? {
        nil
    }

    /// ``fusedSequence(_:_:index:reverse:)`` for a layer with one state (RNN, GRU): `sequence` from the
    /// projections, the initial state, and the hidden weights and bias of `index`, when all are Float32.
    func fusedSingleStateSequence(_ projected: Tensor, _ state: [Tensor], index: Int, reverse: Bool,
                                  _ sequence: (_ projected: Tensor, _ h0: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor)
        -> (hidden: Tensor, final: [Tensor])? {
        let weight = hiddenWeights[index], bias = hasBias ? hiddenBiases[index] : nil
        guard projected.dtype == .float32, weight.dtype == .float32, state[0].dtype == .float32 else { return nil }
        let y = sequence(projected, state[0], weight, bias)
        return (y, [y.select(axis: 0, index: reverse ? 0 : projected.shape[0] - 1)])
    }

    /// Rows of the batch below which a fused sequence is not split over threads.
    static let minimumRowsPerThread = 8

    /// The bands of rows a fused sequence of a batch of `rows` is split into, one per thread: each
    /// carries its rows through every step, so that the threads never wait for each other between steps.
    static func sequenceParts(rows: Int) -> Int {
        Swift.max(1, Swift.min(Threading.count, rows / minimumRowsPerThread))
    }

    /// The backward walk of a fused sequence with one state (RNN, GRU), each band of rows on its own
    /// thread (``sequenceParts(rows:)``): for every step, last first, `step` gets the band, the step's
    /// position `s` in the forward order, its index `t` and that of the step whose state it read
    /// (`before`), the gradient reaching the step's state — its own, from `gradient` `[T, N, H]`, plus what
    /// the step after it sent back — and `dh` `[band, H]`, where it writes what goes back to the step
    /// before. The last `dh` of each band is the initial state's gradient, written into `gradH0` `[N, H]`.
    static func walkBandsBackward(steps: Int, rows n: Int, width h: Int, reverse: Bool, gradient: UnsafePointer<Float>,
                                  gradH0: UnsafeMutablePointer<Float>,
                                  _ step: (_ rows: Range<Int>, _ s: Int, _ t: Int, _ before: Int,
                                           _ combined: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<Float>) -> Void) {
        let pointers = UncheckedSendable((gradient, gradH0))
        Threading.parallelParts(n, parts: sequenceParts(rows: n)) { _, rows in
            let (pg, pdh0) = pointers.value
            let (r0, m) = (rows.lowerBound, rows.count)
            let combined = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
            let dh = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
            defer { combined.deallocate(); dh.deallocate() }
            dh.initialize(repeating: 0, count: m * h)
            for s in stride(from: steps - 1, through: 0, by: -1) {
                let t = reverse ? steps - 1 - s : s
                let own = pg + (t * n + r0) * h
                for i in 0..<m * h { combined[i] = own[i] + dh[i] }
                step(rows, s, t, reverse ? t + 1 : t - 1, combined, dh)
            }
            (pdh0 + r0 * h).update(from: dh, count: m * h)
        }
    }

    /// `x·Wᵀ + b` with the hidden weights of `index`.
    func projectHidden(_ h: Tensor, index: Int) -> Tensor {
        Tensor.linear(h, weight: hiddenWeights[index], bias: hasBias ? hiddenBiases[index] : nil)
    }

    /// Runs every layer and direction over `input`, from `initial` states (each `[L·D, N, H]`, or
    /// `[L·D, H]` for one sequence, with H the projection's size for an LSTM's hidden state when
    /// ``projSize`` is set; nil means zeros). Returns the last layer's outputs and the final states,
    /// shaped like `initial`.
    func run(_ input: Tensor, initial: [Tensor]?, stateCount: Int) throws -> (output: Tensor, final: [Tensor]) {
        let op = Self.layerName
        try require(input.rank == 2 || input.rank == 3,
                "\(op): input must be [T, N, \(inputSize)]\(batchFirst ? " (batch first: [N, T, \(inputSize)])" : "") or [T, \(inputSize)], got \(input.shape)", .shapeMismatch)
        try require(input.shape.last == inputSize, "\(op): input \(input.shape) does not end with inputSize \(inputSize)", .shapeMismatch)
        try require(input.dtype == inputWeights[0].dtype,
                    "\(op): input is \(input.dtype) but the layer's weights are \(inputWeights[0].dtype)", .dtypeMismatch)
        let batched = input.rank == 3
        var x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1)   // [T, N, I]
        let (steps, batch) = (x.shape[0], x.shape[1])
        try require(steps >= 1, "\(op): input \(input.shape) has no time steps", .shapeMismatch)
        let states: [Tensor] = try (0..<stateCount).map { k in
            // The hidden state has the projection's features; an LSTM's cell state has hiddenSize.
            let stateShape = [numLayers * directions, batch, k == 0 ? outputFeatures : hiddenSize]
            guard let given = initial?[k] else { return Tensor.zeros(stateShape, dtype: input.dtype) }
            let s = batched ? given : given.unsqueeze(1)
            try require(given.dtype == input.dtype, "\(op): initial state dtype \(given.dtype) differs from input dtype \(input.dtype)", .dtypeMismatch)
            try require(s.shape == stateShape,
                    "\(op): initial state \(given.shape) must be \(batched ? stateShape : [stateShape[0], stateShape[2]]) for input \(input.shape)", .shapeMismatch)
            return s
        }
        var finals = [[Tensor]](repeating: [], count: stateCount)
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let i = layer * directions + direction
                // The input side of every step in one product: [T, N, gates·H].
                let projected = Tensor.linear(x, weight: inputWeights[i], bias: hasBias ? inputBiases[i] : nil)
                try GradusError.throwIfRecorded()   // before reading the projection's shape
                var state = states.map { $0.select(axis: 0, index: i) }
                if !KernelTesting.stepwiseRecurrence,
                   let fused = fusedSequence(projected, state, index: i, reverse: direction == 1) {
                    for k in 0..<stateCount { finals[k].append(fused.final[k]) }
                    outputs.append(fused.hidden)
                    continue
                }
                var hidden = [Tensor?](repeating: nil, count: steps)
                for s in 0..<steps {
                    let t = direction == 0 ? s : steps - 1 - s
                    state = step(projected.select(axis: 0, index: t), state, index: i)
                    hidden[t] = state[0]
                }
                for k in 0..<stateCount { finals[k].append(state[k]) }
                outputs.append(Tensor.stack(hidden.map { $0! }, axis: 0))
            }
            x = directions == 1 ? outputs[0] : Tensor.concatenate(outputs, axis: 2)
            if layer < numLayers - 1 { x = Functional.dropout(x, p: dropout, training: isTraining) }
        }
        let output = batched ? (batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1)
        let final = finals.map { parts -> Tensor in
            let s = Tensor.stack(parts, axis: 0)
            return batched ? s : s.squeeze(1)
        }
        return (output, final)
    }

    /// The configuration shown by ``Module/description`` (PyTorch's `extra_repr`).
    public override var extraDescription: String {
        var s = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", numLayers: \(numLayers)" }
        if !hasBias { s += ", bias: false" }
        if batchFirst { s += ", batchFirst: true" }
        if dropout != 0 { s += ", dropout: \(dropout)" }
        if bidirectional { s += ", bidirectional: true" }
        if projSize > 0 { s += ", projSize: \(projSize)" }
        return s
    }
}
