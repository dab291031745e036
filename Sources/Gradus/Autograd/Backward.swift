import Synchronization

extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires gradients, by the
    /// chain rule in reverse topological order, and adds it to each leaf's ``grad``.
    ///
    /// - Parameters:
    ///   - gradient: the gradient of some final scalar with respect to this tensor; may be omitted for a
    ///     one-element tensor (it is then 1). Must have this tensor's shape.
    ///   - retainGraph: keep the graph so that `backward` can run through it again. By default the
    ///     graph is freed as it is walked.
    ///   - createGraph: record the backward pass itself, so the gradients can be differentiated again
    ///     (higher-order derivatives). Implies `retainGraph`.
    ///   - inputs: when given, only these tensors receive gradients (PyTorch's `inputs=`), and only the
    ///     part of the graph that leads to them runs; each must require gradients. A listed interior tensor
    ///     gets its gradient in its own ``grad`` too. The list may not be empty.
    ///
    /// ```swift
    /// optimizer.zeroGrad()
    /// let loss = criterion(model(x), y)
    /// loss.backward()
    /// optimizer.step()
    ///
    /// loss2.backward(inputs: head.parameters())   // the head's gradients only
    /// ```
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false,
                         inputs: [Tensor]? = nil) {
        checked(or: ()) {
            if let inputs {
                try require(!inputs.isEmpty, "backward: the inputs list is empty; omit it to reach every leaf", .autograd)
                for (i, t) in inputs.enumerated() {
                    try require(t.requiresGrad, "backward: input \(i) (shape \(t.shape)) does not require gradients", .autograd)
                }
            }
            _ = try Autograd.withPassCallbacks {
                try Autograd.run(root: self, seed: gradient, collecting: inputs, accumulating: true,
                                 retainGraph: retainGraph || createGraph, createGraph: createGraph)
            }
        }
    }
}

/// A leaf with hooks during one backward pass: its summed gradient and how many uses are still to come.
final class HookedLeaf {
    let tensor: Tensor
    var remaining: Int
    var sum: Tensor?
    /// Whether `sum` is a buffer of this pass that nothing else refers to (so it can be added into).
    var owned = false
    /// Whether the pass records itself (then sums are recorded additions, never in place).
    let recording: Bool

    init(_ tensor: Tensor, remaining: Int, recording: Bool) {
        self.tensor = tensor
        self.remaining = remaining
        self.recording = recording
    }

    func add(_ g: Tensor) {
        if let s = sum {
            if owned && !recording { s.stridedAccumulate(g, strides: contiguousStrides(s.shape), offset: 0) } else { sum = s + g; owned = true }
        } else {
            sum = g
        }
    }

    func addSlice(_ g: Tensor, _ geometry: (inputShape: [Int], strides: [Int], offset: Int)) {
        if !owned {
            sum = sum?.contiguous().clone() ?? Tensor.zeros(geometry.inputShape, dtype: g.dtype)
            owned = true
        }
        sum!.stridedAccumulate(g, strides: geometry.strides, offset: geometry.offset)
    }

    /// Runs the gradient hooks on the pass's sum, adds it to `grad`, then runs the post-accumulate hooks.
    /// A first gradient on a storage already handed out in pass `pass` (another leaf's, the seed) is copied.
    func finish(pass: Int) throws {
        guard let s = sum else { return }
        sum = nil
        tensor.accumulateGradient(try tensor.applyGradientHooks(s), pass: pass)
        try tensor.runPostAccumulateHooks()
    }
}

extension Tensor {
    /// Adds `g`, a gradient computed in backward pass `pass`, to this leaf's ``grad``. A first gradient
    /// is made contiguous, like the leaf (a transpose's gradient arrives as a view), and the leaf's own:
    /// one on a storage already handed out in this pass (another leaf's gradient, the seed) is copied,
    /// since a rule may pass its upstream gradient on unchanged, to each input.
    func accumulateGradient(_ g: Tensor, pass: Int) {
        if let existing = grad {
            grad = existing + g
            return
        }
        let own = g.storage.gradientPass == pass ? g.clone() : g.contiguous()
        own.storage.gradientPass = pass
        grad = own
    }
}

/// The reverse-mode engine, and the functional form of differentiation (gradients returned as values).
public enum Autograd {
    /// Numbers each backward pass, to mark visited nodes.
    private static let passCounter = Atomic<Int>(0)

    /// The gradients of `output` with respect to `inputs`, returned instead of stored in ``Tensor/grad``
    /// (like `torch.autograd.grad`).
    ///
    /// - Parameters:
    ///   - output: the tensor to differentiate; a one-element tensor unless `gradOutput` is given.
    ///   - inputs: tensors that `output` was computed from, each requiring gradients.
    ///   - gradOutput: the upstream gradient, with `output`'s shape; 1 when omitted.
    ///   - retainGraph: keep the graph for another pass.
    ///   - createGraph: record this pass, so the returned gradients can be differentiated again.
    /// - Returns: one gradient per input; zeros for an input that `output` does not depend on.
    ///
    /// ```swift
    /// let x = Tensor([1.0, 2.0]).requiringGrad()
    /// let y = (x * x * x).sum()
    /// let dy = Autograd.gradients(of: y, wrt: [x], createGraph: true)[0]   // 3x²
    /// let d2y = Autograd.gradients(of: dy.sum(), wrt: [x])[0]              // 6x
    /// ```
    public static func gradients(
        of output: Tensor, wrt inputs: [Tensor], gradOutput: Tensor? = nil,
        retainGraph: Bool = false, createGraph: Bool = false
    ) -> [Tensor] {
        checked(or: []) {
            for (i, t) in inputs.enumerated() {
                try require(t.requiresGrad, "Autograd.gradients: input \(i) (shape \(t.shape)) does not require gradients", .autograd)
            }
            let found = try withPassCallbacks {
                try run(root: output, seed: gradOutput, collecting: inputs,
                        retainGraph: retainGraph || createGraph, createGraph: createGraph)
            }
            return zip(inputs, found).map { t, g in g ?? Tensor.zeros(t.shape, dtype: t.dtype) }
        }
    }

    /// Evaluates `body` at `inputs` and returns its value with its gradient with respect to each input,
    /// as values, in the style of a gradient tape. The given tensors are not modified: `body` receives
    /// copies that require gradients, and no ``Tensor/grad`` is written.
    ///
    /// - Parameters:
    ///   - inputs: the points at which to differentiate.
    ///   - body: a function of the inputs returning a one-element tensor.
    /// - Returns: the value and one gradient per input.
    ///
    /// ```swift
    /// let (loss, grads) = Autograd.valueWithGradient(at: [w, b]) { p in
    ///     ((x.matmul(p[0]) + p[1] - y).square()).mean()
    /// }
    /// ```
    public static func valueWithGradient(
        at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor
    ) rethrows -> (value: Tensor, gradients: [Tensor]) {
        let variables = inputs.map { $0.detach().requiringGrad() }
        let value = try GradMode.with(enabled: true) { try body(variables) }
        let single = checked(or: false) {
            try require(value.count == 1, "Autograd.valueWithGradient: the function returned shape \(value.shape), not a single value", .shapeMismatch)
            return true
        }
        guard single else { return (Tensor.placeholder(), inputs.map { _ in Tensor.placeholder() }) }
        guard value.requiresGrad else {
            return (value, inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) })
        }
        let grads = gradients(of: value, wrt: variables)
        // A failed backward (recorded in the scope) returns no gradients: placeholders, one per input.
        guard grads.count == variables.count else { return (Tensor.placeholder(), inputs.map { _ in Tensor.placeholder() }) }
        return (value.detach(), grads)
    }

    /// Single-input form of ``valueWithGradient(at:of:)``.
    ///
    /// ```swift
    /// let (y, dy) = Autograd.valueWithGradient(at: x) { $0.tanh().sum() }
    /// ```
    public static func valueWithGradient(
        at input: Tensor, of body: (Tensor) throws -> Tensor
    ) rethrows -> (value: Tensor, gradient: Tensor) {
        let (v, g) = try valueWithGradient(at: [input]) { try body($0[0]) }
        return (v, g[0])
    }

    /// Runs one backward pass from `root`. With `collecting` nil, gradients of leaves are added to their
    /// `grad`; otherwise the gradients of the listed tensors are returned and, unless `accumulating`, no
    /// `grad` is touched (with `accumulating`, each listed tensor's gradient is added to its own `grad`).
    ///
    /// Tensors in `stoppingAt` (requested interior tensors) are treated as leaves: the pass collects their
    /// gradients and goes no further (a checkpoint's recomputation stops at the graph outside it).
    static func run(
        root: Tensor, seed: Tensor?, collecting targets: [Tensor]?, accumulating: Bool = false,
        retainGraph: Bool, createGraph: Bool, stoppingAt boundary: Set<ObjectIdentifier> = []
    ) throws -> [Tensor?] {
        try require(root.requiresGrad,
                     "backward: the tensor (shape \(root.shape)) does not require gradients and has no graph", .autograd)
        let seedGradient: Tensor
        if let seed {
            try require(seed.shape == root.shape,
                         "backward: gradient shape \(seed.shape) does not match the tensor's shape \(root.shape)", .autograd)
            // As PyTorch, a seed of another element type is converted to the tensor's.
            seedGradient = seed.dtype == root.dtype ? seed : GradMode.noGrad { seed.to(root.dtype) }
        } else {
            try require(root.count == 1,
                         "backward: a gradient must be given for a tensor of shape \(root.shape); only one-element tensors have an implicit gradient of 1", .autograd)
            seedGradient = Tensor.ones(root.shape, dtype: root.dtype)
        }

        // A tensor listed twice is collected once, at its first place, and copied to the others.
        var targetIndex: [ObjectIdentifier: Int] = [:]
        var collected = [Tensor?](repeating: nil, count: targets?.count ?? 0)
        if let targets { for (i, t) in targets.enumerated() where targetIndex[ObjectIdentifier(t)] == nil { targetIndex[ObjectIdentifier(t)] = i } }

        /// Leaves with hooks: their gradients are summed over the pass, and handed to the hooks and added
        /// to `grad` once every node that uses them has run (PyTorch's AccumulateGrad). Only counted while
        /// some tensor has a hook, so that passes without hooks pay nothing.
        var hookedLeaves: [ObjectIdentifier: HookedLeaf] = [:]
        let order = topologicalOrder(from: root, stoppingAt: boundary)
        if targets == nil && registeredHooks.load(ordering: .relaxed) > 0 {
            func count(_ t: Tensor) {
                guard t.requiresGrad, t.gradFn == nil, let hooks = t.hooks, !hooks.isEmpty else { return }
                let key = ObjectIdentifier(t)
                if let h = hookedLeaves[key] { h.remaining += 1 } else { hookedLeaves[key] = HookedLeaf(t, remaining: 1, recording: createGraph) }
            }
            for t in order { for input in t.gradFn!.inputs { count(input) } }
            if root.gradFn == nil { count(root) }
        }
        /// Storages of the gradients given to leaves in this pass (and the seed's) are marked with the
        /// pass's number: a leaf's new `grad` on a marked storage is copied, so that no two leaves (or a
        /// leaf and the caller's seed) share a gradient tensor. (A rule may pass its upstream gradient on
        /// unchanged, to each input.)
        let pass = passCounter.add(1, ordering: .relaxed).newValue
        seedGradient.storage.gradientPass = pass
        /// With requested tensors, only the nodes on a path from the root to one of them run (PyTorch's
        /// pruning): a node is needed when one of its inputs is requested or is itself a needed node.
        /// The others get no gradient, so their rules, hooks and `retainGrad` stay untouched.
        if targets != nil {
            for t in order {
                let node = t.gradFn!
                for input in node.inputs where input.requiresGrad
                    && (targetIndex[ObjectIdentifier(input)] != nil || input.gradFn?.neededPass == pass) {
                    node.neededPass = pass
                    break
                }
            }
        }
        /// Whether a gradient reaching interior tensor `t` must be kept for its node to run.
        func runs(_ node: Node) -> Bool { targets == nil || node.neededPass == pass }
        func deliver(_ g: Tensor, to t: Tensor) {
            // Gradients take their tensor's element type (a rule or a custom backward may return another).
            let g = g.dtype == t.dtype ? g : g.to(t.dtype)
            if targets != nil {
                if let i = targetIndex[ObjectIdentifier(t)] {
                    collected[i] = collected[i].map { $0 + g } ?? g
                    if t.gradFn == nil { return }
                }
            }
            if let node = t.gradFn {
                guard runs(node) else { return }
                guard let pending = node.pendingGradient else {
                    node.pendingGradient = g
                    node.pendingIsOwned = false
                    return
                }
                if createGraph {
                    node.pendingGradient = pending + g
                } else if node.pendingIsOwned {
                    pending.stridedAccumulate(g, strides: contiguousStrides(pending.shape), offset: 0)
                } else {
                    // A fresh sum that only this node holds: later gradients are added into it in place.
                    node.pendingGradient = pending + g
                    node.pendingIsOwned = true
                }
            } else if targets == nil {
                if !hookedLeaves.isEmpty, let h = hookedLeaves[ObjectIdentifier(t)] {
                    h.add(g)
                    return
                }
                t.accumulateGradient(g, pass: pass)
            }
        }

        /// Called once per use of a leaf by a node that has run (or was skipped): the last use finalizes it.
        func used(_ input: Tensor) throws {
            guard !hookedLeaves.isEmpty, input.gradFn == nil, let h = hookedLeaves[ObjectIdentifier(input)] else { return }
            h.remaining -= 1
            if h.remaining == 0 { try h.finish(pass: pass) }
        }

        /// Gradients of slices of a leaf (or of a requested input without a graph), summed in one buffer
        /// per tensor that this pass owns, and delivered once after the walk: a parameter or input read
        /// through many slices then costs one zero-filled tensor, not one per slice.
        /// (An array, with an index by identity, so that leaves are delivered in a fixed order.)
        var leafSliceBuffers: [(tensor: Tensor, buffer: Tensor)] = []
        var leafSliceIndex: [ObjectIdentifier: Int] = [:]

        /// Delivers the gradient `g` of a slice of `t` (geometry `geometry`): added into that region of
        /// `t`'s pending gradient when `t` is an interior node, or of the pass's buffer for `t` when it is
        /// a leaf; padded with zeros only for a requested interior tensor.
        func deliverSlice(_ g: Tensor, _ geometry: (inputShape: [Int], strides: [Int], offset: Int), to t: Tensor) {
            let g = g.dtype == t.dtype ? g : g.to(t.dtype)
            let isTarget = targets != nil && targetIndex[ObjectIdentifier(t)] != nil
            if t.gradFn == nil, !hookedLeaves.isEmpty, let h = hookedLeaves[ObjectIdentifier(t)] {
                h.addSlice(g, geometry)
                return
            }
            if t.gradFn == nil {
                // A leaf that is not requested gets nothing when gradients are collected (as in deliver).
                guard targets == nil || isTarget else { return }
                let key = ObjectIdentifier(t)
                if let k = leafSliceIndex[key] {
                    leafSliceBuffers[k].buffer.stridedAccumulate(g, strides: geometry.strides, offset: geometry.offset)
                } else {
                    let buffer = Tensor.zeros(geometry.inputShape, dtype: g.dtype)
                    buffer.stridedAccumulate(g, strides: geometry.strides, offset: geometry.offset)
                    leafSliceIndex[key] = leafSliceBuffers.count
                    leafSliceBuffers.append((t, buffer))
                }
                return
            }
            if let node = t.gradFn, !isTarget, !runs(node) { return }
            guard let node = t.gradFn, !isTarget else {
                let full = Tensor.zeros(geometry.inputShape, dtype: g.dtype)
                full.stridedAccumulate(g, strides: geometry.strides, offset: geometry.offset)
                deliver(full, to: t)
                return
            }
            if !node.pendingIsOwned {
                let buffer = node.pendingGradient?.clone() ?? Tensor.zeros(geometry.inputShape, dtype: g.dtype)
                node.pendingGradient = buffer
                node.pendingIsOwned = true
            }
            node.pendingGradient!.stridedAccumulate(g, strides: geometry.strides, offset: geometry.offset)
        }

        // A pass that fails part-way leaves partial sums on the nodes it has not reached: clear them,
        // so that a later pass through the same graph (retained) starts from nothing.
        func clearPending() {
            for t in order {
                t.gradFn?.pendingGradient = nil
                t.gradFn?.pendingIsOwned = false
            }
        }
        do {
            try GradMode.with(enabled: createGraph) {
                deliver(seedGradient, to: root)
                for t in order.reversed() {
                    // (`runs`: a node this pass does not need keeps whatever another pass left on it.)
                    guard let node = t.gradFn, runs(node), var g = node.pendingGradient else {
                        if !hookedLeaves.isEmpty, let node = t.gradFn { for input in node.inputs { try used(input) } }
                        continue
                    }
                    node.pendingGradient = nil
                    node.pendingIsOwned = false
                    guard let rule = node.rule else {
                        throw GradusError(.autograd, "backward: the graph through '\(node.name)' was already freed by an earlier backward; pass retainGraph: true to the first call")
                    }
                    if let hooks = t.hooks {
                        g = try t.applyGradientHooks(g)
                        if hooks.retainsGrad {
                            let kept = createGraph ? g : g.detach()
                            t.grad = t.grad.map { $0 + kept } ?? kept.clone()
                        }
                    }
                    if !createGraph, let geometry = node.sliceGeometry, let input = node.inputs.first {
                        if input.requiresGrad {
                            if AnomalyMode.isEnabled { try AnomalyMode.checkBackward(node.name, g) }
                            deliverSlice(g, geometry, to: input)
                        }
                        if !hookedLeaves.isEmpty { try used(input) }
                        if !retainGraph { node.release() }
                        continue
                    }
                    try node.checkVersions(output: t)
                    let grads = try rule(g, t)
                    try require(grads.count == node.inputs.count, "backward: rule of '\(node.name)' returned \(grads.count) gradients for \(node.inputs.count) inputs", .autograd)
                    for (input, maybeGrad) in zip(node.inputs, grads) {
                        guard input.requiresGrad, let gi = maybeGrad else { continue }
                        let reduced = gi.shape == input.shape ? gi : try gi.unbroadcast(to: input.shape, op: node.name)
                        if AnomalyMode.isEnabled { try AnomalyMode.checkBackward(node.name, reduced) }
                        deliver(reduced, to: input)
                    }
                    if !hookedLeaves.isEmpty { for input in node.inputs { try used(input) } }
                    if !retainGraph { node.release() }
                }
                // Leaves have no node to wait for: their slices' summed gradients go in after the walk.
                for entry in leafSliceBuffers { deliver(entry.buffer, to: entry.tensor) }
                // The root itself, when it is a hooked leaf (its count is never used up by a node).
                if root.gradFn == nil { try used(root) }
                if accumulating, let targets {
                    for (i, t) in targets.enumerated() where targetIndex[ObjectIdentifier(t)] == i {
                        guard let g = collected[i] else { continue }
                        if t.gradFn == nil {
                            t.accumulateGradient(try t.applyGradientHooks(g), pass: pass)
                            try t.runPostAccumulateHooks()
                        } else if t.gradFn!.neededPass == pass {
                            // Its node ran: its hooks saw the gradient, and `retainGrad` already kept it.
                            if t.hooks?.retainsGrad == true { continue }
                            let kept = createGraph ? g : g.detach()
                            t.grad = t.grad.map { $0 + kept } ?? kept.clone()
                        } else {
                            let hooked = try t.applyGradientHooks(g)
                            let kept = createGraph ? hooked : hooked.detach()
                            t.grad = t.grad.map { $0 + kept } ?? kept.clone()
                        }
                    }
                }
            }
        } catch {
            clearPending()
            throw error
        }
        if let targets {
            for (i, t) in targets.enumerated() {
                let first = targetIndex[ObjectIdentifier(t)]!
                if first != i { collected[i] = collected[first] }
            }
        }
        return collected
    }

    /// Non-leaf tensors reachable from `root` without passing through `boundary`, each after all of its
    /// inputs (post-order).
    static func topologicalOrder(from root: Tensor, stoppingAt boundary: Set<ObjectIdentifier> = []) -> [Tensor] {
        var order: [Tensor] = []
        guard root.gradFn != nil, boundary.isEmpty || !boundary.contains(ObjectIdentifier(root)) else { return order }
        // Nodes are marked with a number unique to this pass instead of being kept in a set.
        let epoch = passCounter.add(1, ordering: .relaxed).newValue
        var stack: [(Tensor, Int)] = [(root, 0)]
        root.gradFn!.visitEpoch = epoch
        while let (t, i) = stack.last {
            let inputs = t.gradFn!.inputs
            if i < inputs.count {
                stack[stack.count - 1].1 = i + 1
                let child = inputs[i]
                if let node = child.gradFn, child.requiresGrad, node.visitEpoch != epoch,
                   boundary.isEmpty || !boundary.contains(ObjectIdentifier(child)) {
                    node.visitEpoch = epoch
                    stack.append((child, 0))
                }
            } else {
                order.append(t)
                stack.removeLast()
            }
        }
        return order
    }
}

extension Tensor {
    /// Sums a gradient of a broadcast result back to the shape of the input that was broadcast.
    /// This is the one place where broadcasting is undone; backward rules never do it themselves.
    func unbroadcast(to target: [Int], op: String) throws -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        try require(lead >= 0, "\(op) backward: gradient of shape \(shape) cannot be reduced to shape \(target)", .autograd)
        var axes: [Int] = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        for (i, d) in target.enumerated() {
            try require(d == shape[lead + i] || d == 1,
                         "\(op) backward: gradient of shape \(shape) cannot be reduced to shape \(target)", .autograd)
        }
        let summed = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return summed.reshape(target)
    }
}
