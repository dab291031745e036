import Synchronization

/// A hook that runs before a module's forward computation, with the module and its input; it may
/// return a replacement input (nil keeps it). PyTorch's `register_forward_pre_hook`.
public typealias ForwardPreHook = (_ module: Module, _ input: Tensor) throws -> Tensor?

/// A hook that runs after a module's forward computation, with the module, its input (after the
/// pre-hooks) and its output; it may return a replacement output (nil keeps it). PyTorch's
/// `register_forward_hook`.
public typealias ForwardHook = (_ module: Module, _ input: Tensor, _ output: Tensor) throws -> Tensor?

/// A hook that runs when the gradient with respect to a module's input has been computed, with the
/// module, that gradient (nil when the input does not require gradients) and the gradient of its output;
/// it may return a replacement input gradient (nil keeps it). PyTorch's `register_full_backward_hook`.
public typealias BackwardHook = (_ module: Module, _ gradInput: Tensor?, _ gradOutput: Tensor) throws -> Tensor?

/// A hook that runs when the gradient of a module's output reaches it, before the module's own
/// backward computation; it may return a replacement (nil keeps it). PyTorch's
/// `register_full_backward_pre_hook`.
public typealias BackwardPreHook = (_ module: Module, _ gradOutput: Tensor) throws -> Tensor?

/// The gradient of a module call's output, kept for the backward hooks that run later with the input's.
final class BackwardHookGradient: @unchecked Sendable {
    var value: Tensor?
    /// The output's shape and dtype, for zeros when no gradient reached it.
    var shape: [Int] = []
    var dtype: DType = .float32
}

/// The forward and backward hooks registered on one module, in the order they run.
final class ForwardHookList: @unchecked Sendable {
    var pre: [(id: Int, hook: ForwardPreHook)] = [] { didSet { ForwardHookList.count(pre.count - oldValue.count) } }
    var post: [(id: Int, hook: ForwardHook)] = [] { didSet { ForwardHookList.count(post.count - oldValue.count) } }
    var backwardPre: [(id: Int, hook: BackwardPreHook)] = [] {
        didSet { ForwardHookList.count(backwardPre.count - oldValue.count) }
    }
    var backward: [(id: Int, hook: BackwardHook)] = [] { didSet { ForwardHookList.count(backward.count - oldValue.count) } }
    var isEmpty: Bool { pre.isEmpty && post.isEmpty && backwardPre.isEmpty && backward.isEmpty }

    deinit { ForwardHookList.count(-(pre.count + post.count + backwardPre.count + backward.count)) }

    /// How many forward hooks are registered on live modules, over the process: while it is 0, code that
    /// must know whether a model has hooks (``InferencePlan``) skips looking.
    static let registered = Atomic<Int>(0)

    private static func count(_ change: Int) {
        if change != 0 { registered.add(change, ordering: .relaxed) }
    }

    /// Whether hooks are suspended on this thread or task (``Module/withForwardHooksSuspended(_:)``).
    @TaskLocal static var suspended = false
}

extension Module {
    /// Registers a hook that runs each time this module is called, before its computation, and may
    /// replace the input it computes on (PyTorch's `register_forward_pre_hook`).
    ///
    /// Hooks run in the order they were registered (or first, with `prepend`), each on the previous one's
    /// result. They run whatever the grad mode, in training and in evaluation. Every layer of Gradus runs
    /// them when called; a module of your own runs them when its `callAsFunction` goes through
    /// ``withForwardHooks(_:_:)``. A hook that throws fails the call as an operation does (recorded inside
    /// ``GradusError/catching(_:)``, a stop outside one); in a scope that has already failed, hooks do not
    /// run (the tensors would be placeholders). An ``InferencePlan`` runs its model as it is, hooks
    /// included, while any of its modules has hooks; ONNX export runs none
    /// (``withForwardHooksSuspended(_:)``).
    ///
    /// For layers called with several tensors, the hook sees the main one: the input sequence of a
    /// recurrent layer or the input step of a cell, the query of ``MultiheadAttention``, the source or
    /// target of the Transformer layers, the first input of ``Bilinear``, the values of
    /// ``MaxPool2d/withIndices(_:)``. Models called with a ``TensorGroup`` (``FusionModel``, your
    /// ``MultiInputLayer``s) and the language models' `decode`/`step` do not run their own hooks (their
    /// layers' hooks run).
    ///
    /// Hooks are stored on the module without a lock: register and remove them while no call of the
    /// module runs (calls from several threads may run a hook concurrently). A hook that captures its own
    /// module strongly keeps it alive: use the module argument instead.
    ///
    /// - Parameters:
    ///   - prepend: run this hook before those already registered.
    ///   - hook: called with the module and its input; returns a replacement input or nil.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// let handle = model.registerForwardPreHook { _, x in x.clamp(min: -3, max: 3) }
    /// let y = model(x)      // computed on the clamped input
    /// handle.remove()
    /// ```
    @discardableResult
    public func registerForwardPreHook(prepend: Bool = false, _ hook: @escaping ForwardPreHook) -> HookHandle {
        addForwardHook { list, id in
            if prepend { list.pre.insert((id, hook), at: 0) } else { list.pre.append((id, hook)) }
        }
    }

    /// Registers a hook that runs each time this module is called, after its computation, with its input
    /// and output, and may replace the output (PyTorch's `register_forward_hook`). The usual way to read a
    /// model's intermediate activations (features, attention maps) without changing its code.
    ///
    /// Hooks run in registration order (or first, with `prepend`), each seeing the previous one's output;
    /// see ``registerForwardPreHook(prepend:_:)`` for when hooks run and which input a layer with several
    /// inputs passes.
    ///
    /// - Parameters:
    ///   - prepend: run this hook before those already registered.
    ///   - hook: called with the module, its input and its output; returns a replacement output or nil.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// var features: Tensor?
    /// let handle = model[1].registerForwardHook { _, _, output in
    ///     features = output.detach()
    ///     return nil
    /// }
    /// _ = model(images)
    /// handle.remove()
    /// ```
    @discardableResult
    public func registerForwardHook(prepend: Bool = false, _ hook: @escaping ForwardHook) -> HookHandle {
        addForwardHook { list, id in
            if prepend { list.post.insert((id, hook), at: 0) } else { list.post.append((id, hook)) }
        }
    }

    /// Registers a hook that runs during backward passes, once the gradient with respect to this
    /// module's input of a call has been computed, with that gradient and the gradient of the call's
    /// output; it may replace the input gradient (PyTorch's `register_full_backward_hook`). When the input
    /// does not require gradients (a model's first layer), the hook runs when the output's gradient
    /// arrives, with a nil input gradient.
    ///
    /// The hook sees the module's main input and output, as forward hooks do (see
    /// ``registerForwardPreHook(prepend:_:)``); it runs for calls made while grad mode is on. A hook that
    /// throws fails the backward pass.
    ///
    /// - Parameters:
    ///   - prepend: run this hook before those already registered.
    ///   - hook: called with the module, the input gradient (or nil) and the output gradient.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// var outputGradient: Tensor?
    /// model[0].registerFullBackwardHook { _, _, gradOutput in
    ///     outputGradient = gradOutput      // what Grad-CAM weighs a layer's activations by
    ///     return nil
    /// }
    /// loss.backward()
    /// ```
    @discardableResult
    public func registerFullBackwardHook(prepend: Bool = false, _ hook: @escaping BackwardHook) -> HookHandle {
        addForwardHook { list, id in
            if prepend { list.backward.insert((id, hook), at: 0) } else { list.backward.append((id, hook)) }
        }
    }

    /// Registers a hook that runs during backward passes when the gradient of this module's output
    /// reaches it, before the module's own backward computation; it may replace that gradient (PyTorch's
    /// `register_full_backward_pre_hook`).
    ///
    /// - Parameters:
    ///   - prepend: run this hook before those already registered.
    ///   - hook: called with the module and the output gradient; returns a replacement or nil.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// layer.registerFullBackwardPreHook { _, g in g.clamp(min: -1, max: 1) }
    /// ```
    @discardableResult
    public func registerFullBackwardPreHook(prepend: Bool = false, _ hook: @escaping BackwardPreHook) -> HookHandle {
        addForwardHook { list, id in
            if prepend { list.backwardPre.insert((id, hook), at: 0) } else { list.backwardPre.append((id, hook)) }
        }
    }

    /// Whether forward hooks (or forward pre-hooks) are registered on this module.
    public var hasForwardHooks: Bool { forwardHooks.map { !($0.pre.isEmpty && $0.post.isEmpty) } ?? false }

    /// Whether backward hooks (or backward pre-hooks) are registered on this module.
    public var hasBackwardHooks: Bool { forwardHooks.map { !($0.backwardPre.isEmpty && $0.backward.isEmpty) } ?? false }

    /// Whether this module or any module below it has forward hooks (backward hooks do not run where no
    /// gradient is recorded, as in an ``InferencePlan``).
    var anyModuleHasForwardHooks: Bool {
        ForwardHookList.registered.load(ordering: .relaxed) != 0 && modules().contains { $0.hasForwardHooks }
    }

    /// Runs `body` with every module's forward hooks suspended on this thread (or task): what exports
    /// and shape probes use, so that hooks do not see their sample inputs or change the traced outputs.
    ///
    /// - Parameter body: the work to do without hooks.
    /// - Returns: what `body` returns.
    ///
    /// ```swift
    /// let plainOutput = Module.withForwardHooksSuspended { model(x) }
    /// ```
    public static func withForwardHooksSuspended<R>(_ body: () throws -> R) rethrows -> R {
        try ForwardHookList.$suspended.withValue(true, operation: body)
    }

    private func addForwardHook(_ add: (ForwardHookList, Int) -> Void) -> HookHandle {
        let id = Autograd.nextHookID.add(1, ordering: .relaxed).newValue
        let list = forwardHooks ?? ForwardHookList()
        add(list, id)
        forwardHooks = list
        return HookHandle { [weak self] in
            guard let self, let list = self.forwardHooks else { return }
            list.pre.removeAll { $0.id == id }
            list.post.removeAll { $0.id == id }
            list.backwardPre.removeAll { $0.id == id }
            list.backward.removeAll { $0.id == id }
            if list.isEmpty { self.forwardHooks = nil }
        }
    }

    /// Runs `forward` on `input` between this module's forward hooks: the pre-hooks may replace the
    /// input, the hooks after it may replace the output. Without hooks it is `forward(input)`.
    ///
    /// Every layer of Gradus computes through it; call it in your own module's `callAsFunction` for its
    /// hooks to run.
    ///
    /// - Parameters:
    ///   - input: the module's input.
    ///   - forward: the module's computation.
    /// - Returns: the output, after the hooks.
    ///
    /// ```swift
    /// final class Scale: Module, Layer {
    ///     let factor: Double
    ///     init(_ factor: Double) { self.factor = factor }
    ///     func callAsFunction(_ x: Tensor) -> Tensor {
    ///         withForwardHooks(x) { x in x * factor }
    ///     }
    /// }
    /// ```
    @inline(__always)
    public func withForwardHooks(_ input: Tensor, _ forward: (Tensor) -> Tensor) -> Tensor {
        // Parametrized tensors are computed once per call (spectral normalization's power iteration runs once).
        if parametrizationTable != nil, ParametrizationCache.current == nil {
            return ParametrizationCache.scoped { hookedForward(input, forward, output: { $0 }, replacingOutput: { $1 }) }
        }
        return hookedForward(input, forward, output: { $0 }, replacingOutput: { $1 })
    }

    /// ``withForwardHooks(_:_:)`` for a call whose result holds more than one tensor (a recurrent layer's
    /// output and state): the hooks see, and may replace, the tensor that `output` reads.
    ///
    /// - Parameters:
    ///   - input: the module's main input.
    ///   - forward: the module's computation.
    ///   - output: the tensor of the result that hooks see.
    ///   - replacingOutput: the result with that tensor replaced by a hook's.
    /// - Returns: the result, after the hooks.
    ///
    /// ```swift
    /// func callAsFunction(_ x: Tensor) -> (logits: Tensor, features: Tensor) {
    ///     withForwardHooks(x, { x in let f = body(x); return (head(f), f) },
    ///                      output: { $0.logits }, replacingOutput: { (logits: $1, features: $0.features) })
    /// }
    /// ```
    @inline(__always)
    public func withForwardHooks<Result>(_ input: Tensor, _ forward: (Tensor) -> Result, output: (Result) -> Tensor,
                                         replacingOutput: (Result, Tensor) -> Result) -> Result {
        if parametrizationTable != nil, ParametrizationCache.current == nil {
            return ParametrizationCache.scoped { hookedForward(input, forward, output: output, replacingOutput: replacingOutput) }
        }
        return hookedForward(input, forward, output: output, replacingOutput: replacingOutput)
    }

    /// `forward` between the hooks, or alone when there are none (or they are suspended, or the scope failed).
    @inline(__always)
    private func hookedForward<Result>(_ input: Tensor, _ forward: (Tensor) -> Result, output: (Result) -> Tensor,
                                       replacingOutput: (Result, Tensor) -> Result) -> Result {
        guard forwardHooks != nil, !ErrorScope.hasFailed, !ForwardHookList.suspended else { return forward(input) }
        return runForwardHooks(input, forward, output: output, replacingOutput: replacingOutput)
    }

    private func runForwardHooks<Result>(_ input: Tensor, _ forward: (Tensor) -> Result, output: (Result) -> Tensor,
                                         replacingOutput: (Result, Tensor) -> Result) -> Result {
        // A snapshot: a hook that registers or removes hooks changes the next call, not this one. Hooks
        // stop running once the scope has failed (they would see placeholders, not values).
        let pre = forwardHooks?.pre ?? [], post = forwardHooks?.post ?? []
        let backwardPre = forwardHooks?.backwardPre ?? [], backward = forwardHooks?.backward ?? []
        var x = input
        for (_, hook) in pre where !ErrorScope.hasFailed {
            do {
                if let replaced = try hook(self, x) { x = replaced }
            } catch {
                x = ErrorScope.fail(error, Tensor.placeholder)
            }
        }
        // Backward hooks: identity operations around the call, whose backward rules run the hooks — the
        // output's when its gradient arrives, the input's once the module's backward has computed the
        // input gradient (PyTorch's BackwardHook).
        let watchesBackward = !(backwardPre.isEmpty && backward.isEmpty) && GradMode.isEnabled
        let outputGradient = BackwardHookGradient()
        let seen = x
        let inputHooked = watchesBackward && x.requiresGrad && !backward.isEmpty
        if inputHooked {
            x = hookedIdentity(x, "backward hook (input)") { g in
                // The output's gradient, or zeros when the loss did not read the main output (a recurrent
                // layer's state only); released at once, so that a recorded gradient (createGraph) does not
                // keep the graph alive through this box.
                let gradOutput = outputGradient.value ?? Tensor.zeros(outputGradient.shape, dtype: outputGradient.dtype)
                outputGradient.value = nil
                var gradInput = g
                for (_, hook) in backward {
                    if let r = try hook(self, gradInput, gradOutput) { gradInput = r }
                }
                return gradInput
            }
        }
        var result = forward(x)
        var y = output(result), replaced = false
        for (_, hook) in post where !ErrorScope.hasFailed {
            do {
                if let r = try hook(self, seen, y) { y = r; replaced = true }
            } catch {
                y = ErrorScope.fail(error, Tensor.placeholder)
                replaced = true
            }
        }
        outputGradient.shape = y.shape
        outputGradient.dtype = y.dtype
        if watchesBackward && y.requiresGrad {
            let inputTakesGradient = seen.requiresGrad
            y = hookedIdentity(y, "backward hook (output)") { g in
                var gradOutput = g
                for (_, hook) in backwardPre {
                    if let r = try hook(self, gradOutput) { gradOutput = r }
                }
                if inputHooked { outputGradient.value = gradOutput }
                // No input gradient will come: the hooks run now, with none.
                if !inputTakesGradient { for (_, hook) in backward { _ = try hook(self, nil, gradOutput) } }
                return gradOutput
            }
            replaced = true
        }
        if replaced { result = replacingOutput(result, y) }
        return result
    }

    /// A view of `t` recorded as an operation whose backward rule is `rule` (the gradient passes
    /// through it, changed or not).
    private func hookedIdentity(_ t: Tensor, _ name: String, _ rule: @escaping (Tensor) throws -> Tensor) -> Tensor {
        let view = t.makeView(shape: t.shape, strides: t.strides, offset: t.storageOffset)
        Tensor.record(name, output: view, inputs: [t]) { g, _ in [try rule(g)] }
        return view
    }
}
