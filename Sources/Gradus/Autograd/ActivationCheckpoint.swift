// Activation checkpointing (PyTorch's `torch.utils.checkpoint`): a part of the forward pass keeps only
// its inputs and outputs, and is computed again during the backward pass to get its gradients. Memory
// then grows with the number of checkpointed parts, not with every intermediate tensor inside them.

/// Called with `true` just before a checkpoint's body is computed again in the backward pass, and with
/// `false` just after (a layer wrapper restores its layers' own generators and buffers around it).
typealias RecomputationGuard = (_ starting: Bool) -> Void

extension Autograd {
    /// Runs `body` without keeping its intermediate tensors for the backward pass: only `inputs` and the
    /// results are kept, and `body` runs again, recorded, when the backward pass reaches the results
    /// (PyTorch's `torch.utils.checkpoint`, in its non-reentrant form). Training memory then grows with
    /// the number of checkpointed parts rather than with every activation inside them, for about one
    /// more forward pass of compute.
    ///
    /// Gradients reach everything `body` reads that requires them: the given inputs and also the
    /// tensors it captures (a layer's parameters, an encoder's output), so a model's parameters need not
    /// be passed in. They work with ``Tensor/backward(_:retainGraph:createGraph:inputs:)``,
    /// ``gradients(of:wrt:gradOutput:retainGraph:createGraph:)``, hooks, and `createGraph` (higher-order
    /// gradients). Outside grad mode `body` simply runs.
    ///
    /// `body` must compute the same thing when it runs again. With `preserveRandomState` (the default),
    /// the default generator (``Random``) is set back to its state before the first run while `body`
    /// runs again, so dropout masks drawn from it repeat; generators that `body` keeps itself do not
    /// (``Checkpointed`` restores its layers' own). Inputs changed in place between the forward and the
    /// backward pass are refused, as for every recorded operation. Results that carry gradients must
    /// share one floating-point type.
    ///
    /// - Parameters:
    ///   - inputs: the tensors `body` computes from.
    ///   - preserveRandomState: replay the default generator's numbers when `body` runs again.
    ///   - body: the computation; kept until the backward pass.
    /// - Returns: `body`'s results.
    ///
    /// ```swift
    /// var h = x
    /// for block in blocks {
    ///     h = Autograd.checkpoint([h]) { block($0[0]) }[0]
    /// }
    /// loss(h).backward()   // each block's activations are computed again here, one block at a time
    /// ```
    public static func checkpoint(_ inputs: [Tensor], preserveRandomState: Bool = true,
                                  _ body: @escaping ([Tensor]) -> [Tensor]) -> [Tensor] {
        checkpoint(inputs, preserveRandomState: preserveRandomState, guardedBy: nil, body)
    }

    /// Single-input, single-result form of ``checkpoint(_:preserveRandomState:_:)-([Tensor],_,_)``.
    ///
    /// - Parameters:
    ///   - input: the tensor `body` computes from.
    ///   - preserveRandomState: replay the default generator's numbers when `body` runs again.
    ///   - body: the computation.
    /// - Returns: `body`'s result.
    ///
    /// ```swift
    /// let h = Autograd.checkpoint(x) { block($0) }
    /// ```
    public static func checkpoint(_ input: Tensor, preserveRandomState: Bool = true,
                                  _ body: @escaping (Tensor) -> Tensor) -> Tensor {
        let results = checkpoint([input], preserveRandomState: preserveRandomState, guardedBy: nil) { [body($0[0])] }
        return results.first ?? Tensor.placeholder()
    }

    static func checkpoint(_ inputs: [Tensor], preserveRandomState: Bool, guardedBy recomputation: RecomputationGuard?,
                           _ body: @escaping ([Tensor]) -> [Tensor]) -> [Tensor] {
        // In a scope that has failed, the body's operations return placeholders at once: run it for them.
        guard GradMode.isEnabled, !ErrorScope.hasFailed else { return body(inputs) }
        let randomState = preserveRandomState ? Random.state : nil
        let firstSerial = Node.serials.load(ordering: .relaxed)
        // A checkpoint ends an enclosing Parametrizations.cached scope: a parametrized tensor cached
        // outside would be an input of one call's region and an intermediate of another's, and the
        // recomputation (after the scope) would compute another one. Each run computes its own.
        let runBody: ([Tensor]) -> [Tensor] = { tensors in ParametrizationCache.$current.withValue(nil) { body(tensors) } }
        let outputs = runBody(inputs)
        if ErrorScope.hasFailed { return outputs }
        return checked(or: outputs.map { _ in Tensor.placeholder() }) {
            let carrying = outputs.indices.filter { outputs[$0].requiresGrad }
            guard let firstCarrying = carrying.first else { return outputs }
            let dtype = outputs[firstCarrying].dtype
            try require(carrying.allSatisfy { outputs[$0].dtype == dtype },
                        "checkpoint: the results that carry gradients have different types (\(carrying.map { "\(outputs[$0].dtype)" }.joined(separator: ", "))); return one type, or checkpoint them apart",
                        .dtypeMismatch)
            let shapes = carrying.map { outputs[$0].shape }
            let outside = tensorsFromOutside(outputs: carrying.map { outputs[$0] }, inputs: inputs, since: firstSerial)
            // The results become fresh tensors over the same storage, recorded as one operation whose
            // inputs are the given tensors and what the body read from outside; the graph inside the body
            // is dropped with `outputs`. Several results are recorded as slices of one packed tensor.
            let packed = GradMode.noGrad { pack(carrying.map { outputs[$0] }) }
            let recordedInputs = inputs + outside
            let outputCount = outputs.count
            let rule: BackwardRule = { gradient, _ in
                try recompute(runBody, inputs: inputs, outside: outside, randomState: randomState, guard: recomputation,
                              carrying: carrying, shapes: shapes, outputCount: outputCount, gradient: gradient)
            }
            Tensor.record("checkpoint", output: packed, inputs: recordedInputs, rule: rule)
            var results = outputs
            if carrying.count == 1 {
                results[firstCarrying] = packed
            } else {
                var offset = 0
                for (k, i) in carrying.enumerated() {
                    let n = shapes[k].reduce(1, *)
                    results[i] = packed.slice(axis: 0, start: offset, end: offset + n).reshape(shapes[k])
                    offset += n
                }
            }
            return results
        }
    }

    /// One tensor for the results that carry gradients: the result itself (detached) when there is one,
    /// else their elements end to end.
    private static func pack(_ tensors: [Tensor]) -> Tensor {
        tensors.count == 1 ? tensors[0].detach() : Tensor.concatenate(tensors.map { $0.detach().reshape([-1]) }, axis: 0)
    }

    /// What the graph recorded since node `since` reads from outside it (tensors that require gradients
    /// other than `inputs`: parameters, and interior tensors of an older graph), in a fixed order.
    private static func tensorsFromOutside(outputs: [Tensor], inputs: [Tensor], since first: Int) -> [Tensor] {
        let given = Set(inputs.map(ObjectIdentifier.init))
        var found: [Tensor] = []
        var seen: Set<ObjectIdentifier> = []
        var stack: [Tensor] = []
        func visit(_ t: Tensor) {
            let key = ObjectIdentifier(t)
            guard t.requiresGrad, !given.contains(key), seen.insert(key).inserted else { return }
            if let node = t.gradFn, node.serial > first { stack.append(t) } else { found.append(t) }
        }
        outputs.forEach(visit)
        while let t = stack.popLast() {
            for input in t.gradFn!.inputs { visit(input) }
        }
        return found
    }

    /// The backward rule of a checkpoint: `body` again, recorded, on copies of the inputs, then a pass
    /// from its results to the copies and to the tensors from outside (stopping there: the enclosing
    /// pass carries their gradients on).
    private static func recompute(
        _ body: ([Tensor]) -> [Tensor], inputs: [Tensor], outside: [Tensor], randomState: [UInt64]?,
        guard recomputation: RecomputationGuard?, carrying: [Int], shapes: [[Int]], outputCount: Int, gradient: Tensor
    ) throws -> [Tensor?] {
        try GradusError.catching {
            let createGraph = GradMode.isEnabled
            let copies = GradMode.with(enabled: true) {
                inputs.map { t in t.requiresGrad ? (createGraph ? t.clone() : t.detach().requiringGrad()) : t }
            }
            let stateAfter = randomState.map { _ in Random.state }
            if let randomState { Random.state = randomState }
            recomputation?(true)
            // The layer's state (its buffers) is put back after the pass below, so that the pass finds
            // the versions the recomputed graph recorded.
            defer { recomputation?(false) }
            let again = GradMode.with(enabled: true) { body(copies) }
            if let stateAfter { Random.state = stateAfter }
            try GradusError.throwIfRecorded()
            try require(again.count == outputCount && zip(carrying, shapes).allSatisfy { again[$0].requiresGrad && again[$0].shape == $1 },
                        "checkpoint: computed again, the body gave other results (\(again.count) tensors, shapes \(again.map(\.shape))); it must compute the same thing each time",
                        .autograd)
            let root = GradMode.with(enabled: true) { carrying.count == 1 ? again[carrying[0]] : Tensor.concatenate(carrying.map { again[$0].reshape([-1]) }, axis: 0) }
            let requested = inputs.indices.filter { inputs[$0].requiresGrad }
            let targets = requested.map { copies[$0] } + outside
            // The pass stops at the copies and the outside tensors: below them lies the enclosing pass's
            // graph (a recorded copy's input, with createGraph), which that pass walks itself. The seed is
            // the enclosing pass's gradient: its storage keeps that pass's mark (so a leaf's gradient is
            // never the caller's tensor).
            let mark = gradient.storage.gradientPass
            defer { gradient.storage.gradientPass = mark }
            let grads = try run(root: root, seed: gradient, collecting: targets, retainGraph: createGraph, createGraph: createGraph,
                                stoppingAt: Set(targets.map(ObjectIdentifier.init)))
            var result = [Tensor?](repeating: nil, count: inputs.count + outside.count)
            for (k, i) in requested.enumerated() { result[i] = grads[k] }
            for j in outside.indices { result[inputs.count + j] = grads[requested.count + j] }
            return result
        }
    }
}
