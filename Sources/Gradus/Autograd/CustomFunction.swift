extension Autograd {
    /// Runs a computation that autograd cannot see into (a call into another library, a collective
    /// across processes, a hand-written kernel) as one differentiable operation with the backward rule
    /// you give. PyTorch's `torch.autograd.Function`.
    ///
    /// `forward` receives the inputs detached and runs without recording; its result is recorded as the
    /// output of an operation named `name` whose inputs are `inputs`. During backward, `backward`
    /// receives the gradient of the output (and the output) and returns one gradient per input, each of
    /// that input's shape, or nil where there is none.
    ///
    /// - Parameters:
    ///   - name: the operation's name, for error messages and ``AnomalyMode``.
    ///   - inputs: the tensors the result depends on.
    ///   - forward: computes the result from the (detached) inputs.
    ///   - backward: the backward rule.
    /// - Returns: the result, recording the operation when grad mode is on and an input requires gradients.
    ///
    /// ```swift
    /// // A straight-through rounding: rounds forward, passes the gradient unchanged backward.
    /// let y = Autograd.function("roundST", inputs: [x], forward: { $0[0].round() },
    ///                           backward: { g, _ in [g] })
    /// ```
    public static func function(
        _ name: String, inputs: [Tensor],
        forward: ([Tensor]) throws -> Tensor,
        backward: @escaping BackwardRule
    ) -> Tensor {
        checked {
            let output = try GradMode.noGrad { try forward(inputs.map { $0.detach() }) }
            // A fresh object (sharing the storage), so that recording never attaches a node to a tensor
            // that forward returned unchanged (an input, or a tensor held elsewhere).
            let result = output.detach()
            let checkedRule: BackwardRule = { g, out in
                let grads = try backward(g, out)
                try require(grads.count == inputs.count,
                            "\(name) backward: returned \(grads.count) gradients for \(inputs.count) inputs", .autograd)
                return grads
            }
            Tensor.record(name, output: result, inputs: inputs, rule: checkedRule)
            return result
        }
    }
}
