import CGradusMath

/// A multi-layer gated recurrent unit network (PyTorch's `nn.GRU`). Each step, from the input x and
/// the hidden state h:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The gates are stacked in `weight_ih`/`weight_hh` in the order r, z, n. Shapes, names and options,
/// and the initializers, are described in ``RecurrentLayer``. As a ``Layer`` it returns the output
/// sequence only.
///
/// ```swift
/// let gru = GRU(inputSize: 10, hiddenSize: 20, batchFirst: true)
/// let (output, hidden) = gru(x, nil)   // x [N, T, 10] -> output [N, T, 20], hidden [1, N, 20]
/// ```
public final class GRU: RecurrentLayer, Layer {
    override class var gateCount: Int { 3 }
    override class var layerName: String { "GRU" }

    override func step(_ projectedInput: Tensor, _ state: [Tensor], index: Int) -> [Tensor] {
        [GRU.cell(projectedInput: projectedInput, projectedHidden: projectHidden(state[0], index: index), hidden: state[0])]
    }

    /// Float32 sequences run as one operation (``sequence(projected:h0:weight:bias:reverse:)``).
    override func fusedSequence(_ projected: Tensor, _ state: [Tensor], index: Int, reverse: Bool) -> (hidden: Tensor, final: [Tensor])? {
        fusedSingleStateSequence(projected, state, index: index, reverse: reverse) {
            GRU.sequence(projected: $0, h0: $1, weight: $2, bias: $3, reverse: reverse)
        }
    }

    /// One step's gates from the projections `x·W_ihᵀ + b_ih` and `h·W_hhᵀ + b_hh` (each `[N, 3H]`, gates
    /// r, z, n) and the state `h` `[N, H]`: `n = tanh(x_n + r·h_n)`, then `h' = (1 − z)·n + z·h`, computed
    /// as PyTorch does, `n + z·(h − n)`. Shared with ``GRUCell``. Float32 runs one fused C pass forward
    /// and one backward, recorded as "gruCell" (the backward with tensor operations when it is itself
    /// recorded, `createGraph`); Float64 uses tensor operations throughout.
    static func cell(projectedInput: Tensor, projectedHidden: Tensor, hidden h: Tensor) -> Tensor {
        guard projectedInput.dtype == .float32, projectedHidden.dtype == .float32, h.dtype == .float32 else {
            let x = projectedInput.chunk(3, axis: 1), p = projectedHidden.chunk(3, axis: 1)
            let r = (x[0] + p[0]).sigmoid(), z = (x[1] + p[1]).sigmoid()
            let n = (x[2] + r * p[2]).tanh()
            return n + z * (h - n)
        }
        let (rows, width) = h.rank == 2 ? (h.shape[0], h.shape[1]) : (0, 0)
        invariant(h.rank == 2 && projectedInput.shape == [rows, 3 * width] && projectedHidden.shape == [rows, 3 * width],
                  "GRU cell: projections \(projectedInput.shape) and \(projectedHidden.shape) for the state \(h.shape)")
        let out = Tensor(uninitializedShape: [rows, width], dtype: .float32)
        let saved = Tensor(uninitializedShape: [rows, 4 * width], dtype: .float32)
        gradus_gru_cell_forward_f32(rows, width, projectedInput.pointer(Float.self), projectedHidden.pointer(Float.self),
                                    h.pointer(Float.self), out.pointer(Float.self), saved.pointer(Float.self))
        Tensor.record("gruCell", output: out, inputs: [projectedInput, projectedHidden, h]) { g, _ in
            if GradMode.isEnabled {
                let parts = cellGradients(projected: projectedInput, hiddenGates: projectedHidden, hidden: h, gradient: g)
                return [parts.projected, parts.hiddenGates, parts.hidden]
            }
            let gradInput = Tensor(uninitializedShape: [rows, 3 * width], dtype: .float32)
            let gradHiddenGates = Tensor(uninitializedShape: [rows, 3 * width], dtype: .float32)
            let gradH = Tensor(uninitializedShape: [rows, width], dtype: .float32)
            gradus_gru_cell_backward_f32(rows, width, g.pointer(Float.self), h.pointer(Float.self), saved.pointer(Float.self),
                                         gradInput.pointer(Float.self), gradHiddenGates.pointer(Float.self), gradH.pointer(Float.self))
            return [gradInput, gradHiddenGates, gradH]
        }
        return out
    }

    /// Runs the network from `hidden` (zeros when nil).
    ///
    /// - Parameters:
    ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` with `batchFirst`) or `[T, inputSize]`.
    ///   - hidden: the initial state `[numLayers·directions, N, hiddenSize]` (without N for one sequence).
    /// - Returns: the last layer's hidden state at every step, `[T, N, directions·hiddenSize]`, and the
    ///   final state of every layer and direction.
    public func callAsFunction(_ input: Tensor, _ hidden: Tensor?) -> (output: Tensor, hidden: Tensor) {
        withForwardHooks(input, { input in
            checked(or: (Tensor.placeholder(), Tensor.placeholder())) {
                let r = try run(input, initial: hidden.map { [$0] }, stateCount: 1)
                return (r.output, r.final[0])
            }
        }, output: { $0.output }, replacingOutput: { (output: $1, hidden: $0.hidden) })
    }

    /// The output sequence, from a zero state.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, nil).output }
}
