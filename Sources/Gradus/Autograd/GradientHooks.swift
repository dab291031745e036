#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A gradient hook: receives the gradient of a tensor during a backward pass and may return a
/// replacement (of the same shape and dtype) or nil to keep it. PyTorch's `register_hook`.
public typealias GradientHook = (_ gradient: Tensor) throws -> Tensor?

/// A hook that runs after a leaf's ``Tensor/grad`` has been updated by a backward pass.
/// PyTorch's `register_post_accumulate_grad_hook`.
public typealias PostAccumulateGradHook = (_ tensor: Tensor) throws -> Void

/// The hooks registered on one tensor, in registration order.
final class TensorHooks: @unchecked Sendable {
    var gradient: [(id: Int, hook: GradientHook)] = []
    var postAccumulate: [(id: Int, hook: PostAccumulateGradHook)] = []
    /// Whether a tensor made by an operation keeps its gradient in `grad` (``Tensor/retainGrad()``).
    var retainsGrad = false
    var isEmpty: Bool { gradient.isEmpty && postAccumulate.isEmpty && !retainsGrad }
}

/// Removes the hook it was returned for: a tensor's gradient hook or a module's forward hook.
/// PyTorch's `RemovableHandle`.
///
/// ```swift
/// let handle = w.registerHook { g in g * 0.5 }
/// ...
/// handle.remove()
/// ```
public final class HookHandle: @unchecked Sendable {
    /// Unregisters the hook; nil once done (or for a handle of a registration that failed).
    private var removal: (() -> Void)?

    init(removal: (() -> Void)?) {
        self.removal = removal
    }

    convenience init(tensor: Tensor, id: Int) {
        self.init(removal: id < 0 ? nil : { [weak tensor] in
            guard let tensor, let hooks = tensor.hooks else { return }
            let before = hooks.gradient.count + hooks.postAccumulate.count
            hooks.gradient.removeAll { $0.id == id }
            hooks.postAccumulate.removeAll { $0.id == id }
            let after = hooks.gradient.count + hooks.postAccumulate.count
            Autograd.registeredHooks.subtract(before - after, ordering: .relaxed)
            if hooks.isEmpty { tensor.hooks = nil }
        })
    }

    /// Removes the hook; removing it again does nothing.
    public func remove() {
        let removal = self.removal
        self.removal = nil
        removal?()
    }
}

extension Tensor {
    /// Registers a hook that receives this tensor's gradient each time a backward pass computes it, and
    /// may replace it by returning a tensor of the same shape (nil keeps the gradient as it is).
    ///
    /// On a tensor made by an operation, the hook sees the total gradient of the tensor before it flows
    /// on to the tensor's inputs. On a leaf, it sees the sum of all the gradients that the pass delivers to
    /// the leaf, before that sum is added to ``grad``. Hooks run in the order they were registered, each on
    /// the previous one's result. Hooks run in ``Tensor/backward(_:retainGraph:createGraph:inputs:)``; in
    /// ``Autograd/gradients(of:wrt:gradOutput:retainGraph:createGraph:)`` only the hooks of tensors made by
    /// operations run. PyTorch's `Tensor.register_hook`.
    ///
    /// - Parameter hook: the hook; it may throw a ``GradusError`` to fail the backward pass.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// let w = Tensor([1.0, 2.0]).requiringGrad()
    /// let handle = w.registerHook { g in g.clamp(min: -1, max: 1) }   // gradient clipping per tensor
    /// (w * w * 10).sum().backward()
    /// print(w.grad!)   // [1, 1]
    /// handle.remove()
    /// ```
    @discardableResult
    public func registerHook(_ hook: @escaping GradientHook) -> HookHandle {
        checked(or: HookHandle(tensor: self, id: -1)) {
            try require(requiresGrad, "registerHook: the tensor (shape \(shape)) does not require gradients, so no gradient will reach a hook", .autograd)
            return addHook { hooks, id in hooks.gradient.append((id, hook)) }
        }
    }

    /// Registers a hook that runs after a backward pass has added this leaf's gradient into ``grad``
    /// (once per pass, with the final sum of the pass). This is the moment at which a gradient is final,
    /// which data-parallel training uses to start sending it while the rest of the pass goes on.
    /// PyTorch's `Tensor.register_post_accumulate_grad_hook`.
    ///
    /// - Parameter hook: called with this tensor; it may throw a ``GradusError`` to fail the pass.
    /// - Returns: a handle whose ``HookHandle/remove()`` unregisters the hook.
    ///
    /// ```swift
    /// for p in model.parameters() {
    ///     p.registerPostAccumulateGradHook { p in print("gradient of \(p.shape) is ready") }
    /// }
    /// ```
    @discardableResult
    public func registerPostAccumulateGradHook(_ hook: @escaping PostAccumulateGradHook) -> HookHandle {
        checked(or: HookHandle(tensor: self, id: -1)) {
            try require(requiresGrad && isLeaf, "registerPostAccumulateGradHook: only leaves that require gradients accumulate a gradient (this tensor: shape \(shape), \(isLeaf ? "a leaf that does not require gradients" : "made by '\(gradFn!.name)'"))", .autograd)
            return addHook { hooks, id in hooks.postAccumulate.append((id, hook)) }
        }
    }

    /// Adds a hook to this tensor's hooks under a new id, and counts it.
    private func addHook(_ add: (TensorHooks, Int) -> Void) -> HookHandle {
        let id = Autograd.nextHookID.add(1, ordering: .relaxed).newValue
        let hooks = self.hooks ?? TensorHooks()
        add(hooks, id)
        self.hooks = hooks
        Autograd.registeredHooks.add(1, ordering: .relaxed)
        return HookHandle(tensor: self, id: id)
    }

    /// Keeps this tensor's gradient in ``grad`` during backward passes although it was made by an
    /// operation (only leaves keep theirs otherwise); passes add to it, as for leaves. It is the
    /// gradient after this tensor's hooks, whenever they were registered. No effect on a leaf.
    /// PyTorch's `retain_grad()`.
    ///
    /// ```swift
    /// let h = x.matmul(w)
    /// h.retainGrad()
    /// h.relu().sum().backward()
    /// print(h.grad!)   // 1 where h > 0
    /// ```
    public func retainGrad() {
        checked(or: ()) {
            try require(requiresGrad, "retainGrad: the tensor (shape \(shape)) does not require gradients", .autograd)
            guard gradFn != nil else { return }
            let hooks = self.hooks ?? TensorHooks()
            hooks.retainsGrad = true
            self.hooks = hooks
        }
    }

    /// Whether ``retainGrad()`` was called on this tensor made by an operation (PyTorch's `retains_grad`).
    public var retainsGrad: Bool { gradFn != nil && hooks?.retainsGrad == true }

    /// Runs this tensor's gradient hooks on `gradient`, checking each replacement.
    func applyGradientHooks(_ gradient: Tensor) throws -> Tensor {
        guard let hooks, !hooks.gradient.isEmpty else { return gradient }
        var g = gradient
        for (i, entry) in hooks.gradient.enumerated() {
            guard let replaced = try entry.hook(g) else { continue }
            try require(replaced.shape == g.shape && replaced.dtype == g.dtype,
                        "backward: gradient hook \(i) of a tensor of shape \(shape) returned \(replaced.dtype) \(replaced.shape), not the gradient's \(g.dtype) \(g.shape)", .autograd)
            g = replaced
        }
        return g
    }

    /// Runs this leaf's post-accumulate hooks.
    func runPostAccumulateHooks() throws {
        guard let hooks else { return }
        for entry in hooks.postAccumulate { try entry.hook(self) }
    }
}

extension Autograd {
    /// How many hooks are registered on all tensors: while it is 0, backward skips hook bookkeeping.
    static let registeredHooks = Atomic<Int>(0)
    static let nextHookID = Atomic<Int>(0)

    /// Callbacks queued during the backward pass running on this thread (innermost pass last).
    final class PassCallbacks {
        var callbacks: [() throws -> Void] = []
        let number = Autograd.passNumbers.add(1, ordering: .relaxed).newValue
    }

    static let passNumbers = Atomic<Int>(0)

    /// A number identifying the backward pass running on this thread (unique in the process), or nil
    /// outside one. A hook can tell from it whether work it started belongs to an earlier pass — one
    /// that failed before its queued callbacks ran.
    ///
    /// ```swift
    /// p.registerPostAccumulateGradHook { _ in print(Autograd.backwardPassNumber!) }
    /// ```
    public static var backwardPassNumber: Int? { currentPass?.number }

    private static let passKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var currentPass: PassCallbacks? {
        guard let raw = pthread_getspecific(passKey) else { return nil }
        return Unmanaged<PassCallbacks>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` as one backward pass of this thread, then the callbacks its hooks queued, in order.
    static func withPassCallbacks<R>(_ body: () throws -> R) throws -> R {
        // Callbacks are queued by hooks: with none registered, a pass needs no state (this keeps the
        // allocation and the thread-local writes off every small backward).
        guard registeredHooks.load(ordering: .relaxed) > 0 else { return try body() }
        let pass = PassCallbacks()
        let previous = pthread_getspecific(passKey)
        let retained = Unmanaged.passRetained(pass)
        pthread_setspecific(passKey, retained.toOpaque())
        defer {
            pthread_setspecific(passKey, previous)
            retained.release()
        }
        let result = try body()
        // A callback may queue another one; run until none is left.
        var i = 0
        while i < pass.callbacks.count {
            try pass.callbacks[i]()
            i += 1
        }
        return result
    }

    /// Queues `callback` to run when the backward pass that is running on this thread has finished
    /// (after every gradient has been accumulated and every hook has run). Call it from a hook.
    /// PyTorch's `Variable._execution_engine.queue_callback`.
    ///
    /// - Parameter callback: the work to do at the end of the pass; it may throw to fail the pass.
    /// - Returns: false, and queues nothing, when no backward pass is running on this thread.
    ///
    /// ```swift
    /// p.registerPostAccumulateGradHook { _ in
    ///     Autograd.queueCallback { print("backward finished") }
    /// }
    /// ```
    @discardableResult
    public static func queueCallback(_ callback: @escaping () throws -> Void) -> Bool {
        guard let pass = currentPass else { return false }
        pass.callbacks.append(callback)
        return true
    }
}
