/// The base class of every layer and model: it finds its parameters, buffers and sub-modules by itself,
/// by reflection, and offers PyTorch's `nn.Module` API on them.
///
/// **What counts as what.** Stored properties are discovered with `Mirror` (superclass properties first,
/// then in declaration order), looking inside arrays (named `name.0`, `name.1`, …), dictionaries (keys
/// sorted, `name.key`) and optionals (`nil` is skipped):
/// - a property wrapped in ``Parameter`` is a **parameter** — whether or not it currently requires
///   gradients, so a frozen parameter stays a parameter. A `Tensor?` set to `nil` is an absent parameter
///   (PyTorch's `bias=None`). Assigning to it copies the values into the existing tensor, so optimizers
///   keep training it;
/// - a property wrapped in ``Buffer`` is a **buffer** (saved, not trained);
/// - a `Module` property is a **child**.
///
/// Anything else (numbers, strings, structs) is configuration and ignored. A stored `Tensor` that is
/// neither a parameter nor a buffer is a mistake that stops discovery with a message naming the
/// property (it would otherwise silently become a parameter): store intermediate tensors in local
/// variables. Names are joined with dots as in PyTorch (`layers.0.weight`).
///
/// ```swift
/// final class MLP: Module, Layer {
///     let hidden = Linear(784, 128)
///     let output = Linear(128, 10)
///     func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// let model = MLP()
/// print(model.namedParameters().map(\.name))   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
open class Module {
    /// Whether the module is in training mode (the default) or evaluation mode; see ``train(_:)``.
    public private(set) var isTraining = true

    /// The members found by the last discovery, for modules whose members are cached (see ``members()``).
    private let memberCache = MemberCache()

    /// The forward hooks registered on this module (ForwardHooks.swift); nil when there are none.
    var forwardHooks: ForwardHookList?

    /// The parametrizations of this module's parameters (Module+Parametrize.swift); nil when there are none.
    var parametrizationTable: ParametrizationTable?

    /// Creates a module in training mode.
    public init() {}

    // MARK: Discovery

    /// The direct members of one module: parameters, buffers and children with their local names.
    struct Members {
        var parameters: [(String, Tensor)] = []
        var buffers: [(String, any AnyBuffer)] = []
        var children: [(String, Module)] = []
    }

    /// This module's own parameters, buffers and children (not those of its children).
    ///
    /// Reflection is slow (about 0.5 ms for the members of a two-layer Transformer encoder, measured by
    /// the `module_parameters` benchmark), so the members of Gradus's own layers are cached: their child
    /// modules are constants, and the only other way their members change, a ``Parameter`` or ``Buffer``
    /// property getting a different tensor (or nil), counts a global structure epoch that invalidates
    /// every cache. Modules defined outside Gradus may reassign `var` child properties, which no setter
    /// reports, so theirs are found again on each call (their built-in children still answer from cache).
    final func members() -> Members {
        guard Module.cachesMembers(of: type(of: self)) else { return withParametrizations(discoverMembers()) }
        let epoch = Module.structureEpoch.load(ordering: .acquiring)
        if let cached = memberCache.members(at: epoch) { return cached }
        let found = withParametrizations(discoverMembers())
        memberCache.store(found, at: epoch)
        return found
    }

    /// `found` with the parametrized parameters replaced by the `parametrizations` child that holds their
    /// originals, last among the children (where PyTorch registers it).
    private func withParametrizations(_ found: Members) -> Members {
        guard let table = parametrizationTable else { return found }
        var found = found
        found.parameters.removeAll { table[$0.0] != nil }
        found.children.append(("parametrizations", table))
        return found
    }

    /// Finds this module's own parameters, buffers and children by reflection.
    /// Containers whose children need other names (``Sequential``) override it.
    func discoverMembers() -> Members {
        var found = Members()
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        for m in mirrors.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                Module.collect(child.value, name: label, owner: m.subjectType, into: &found)
            }
        }
        return found
    }

    static func collect(_ value: Any, name: String, owner: Any.Type, into found: inout Members) {
        if let p = value as? any AnyParameter {
            let base = name.hasPrefix("_") ? String(name.dropFirst()) : name
            // A parametrized parameter's originals are found under `parametrizations` instead.
            if p.parametrization == nil, let t = p.tensor { found.parameters.append((base, t)) }
        } else if value is Tensor {
            // A plain stored tensor would silently become a parameter (and a replaced one would silently
            // stop training): the property must say what it is.
            invariant(false, "\(owner).\(name): a stored Tensor property of a Module must be marked @Parameter (trained and saved) or @Buffer (saved, not trained); keep intermediate values in local variables")
        } else if let m = value as? Module {
            found.children.append((name, m))
        } else if let b = value as? any AnyBuffer {
            let base = name.hasPrefix("_") ? String(name.dropFirst()) : name
            if b.tensor != nil { found.buffers.append((b.key ?? base, b)) }
        } else {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .optional:
                if let inner = mirror.children.first { collect(inner.value, name: name, owner: owner, into: &found) }
            case .collection:
                for (i, element) in mirror.children.enumerated() {
                    collect(element.value, name: "\(name).\(i)", owner: owner, into: &found)
                }
            case .dictionary:
                var entries: [(String, Any)] = []
                for pair in mirror.children {
                    let kv = Array(Mirror(reflecting: pair.value).children)
                    guard kv.count == 2 else { continue }
                    entries.append(("\(kv[0].value)", kv[1].value))
                }
                for (key, v) in entries.sorted(by: { $0.0 < $1.0 }) {
                    collect(v, name: "\(name).\(key)", owner: owner, into: &found)
                }
            default:
                break
            }
        }
    }

    /// The direct sub-modules with their names, in declaration order.
    ///
    /// ```swift
    /// for (name, child) in model.namedChildren { print(name, child) }
    /// ```
    public var namedChildren: [(name: String, module: Module)] {
        members().children.map { (name: $0.0, module: $0.1) }
    }

    /// The direct sub-modules, in declaration order.
    public var children: [Module] { members().children.map(\.1) }

    /// This module and all modules below it, depth first, each once, with dotted names; this module's
    /// name is the empty string (as in PyTorch's `named_modules`).
    ///
    /// ```swift
    /// let convs = model.namedModules().filter { $0.module is Conv2d }
    /// ```
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ m: Module, _ prefix: String) {
            guard seen.insert(ObjectIdentifier(m)).inserted else { return }
            result.append((name: prefix, module: m))
            for (name, child) in m.members().children {
                visit(child, prefix.isEmpty ? name : "\(prefix).\(name)")
            }
        }
        visit(self, "")
        return result
    }

    /// This module and all modules below it, depth first.
    public func modules() -> [Module] { namedModules().map(\.module) }

    /// Every parameter of this module and its descendants with its dotted name, in PyTorch's stable
    /// order: module by module, depth first (this module's own parameters, then each child's), each in
    /// declaration order. A tensor shared by several modules is listed once.
    ///
    /// ```swift
    /// for (name, p) in model.namedParameters() { print(name, p.shape) }
    /// ```
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        var seen = Set<ObjectIdentifier>()
        for (prefix, m) in namedModules() {
            for (name, t) in m.members().parameters where seen.insert(ObjectIdentifier(t)).inserted {
                result.append((name: prefix.isEmpty ? name : "\(prefix).\(name)", tensor: t))
            }
        }
        return result
    }

    /// Every parameter of this module and its descendants (see ``namedParameters()``), to hand to an
    /// optimizer.
    ///
    /// ```swift
    /// let optimizer = SGD(model.parameters(), lr: 0.01)
    /// ```
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// The parameters that currently require gradients (those not frozen).
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// Every buffer (see ``Buffer``) of this module and its descendants with its dotted key.
    ///
    /// ```swift
    /// let stats = bn.namedBuffers()   // running_mean, running_var, num_batches_tracked
    /// ```
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedBufferEntries().map { (name: $0.0, tensor: $0.1.tensor!) }
    }

    func namedBufferEntries() -> [(String, any AnyBuffer)] {
        var result: [(String, any AnyBuffer)] = []
        for (prefix, m) in namedModules() {
            for (name, b) in m.members().buffers {
                result.append((prefix.isEmpty ? name : "\(prefix).\(name)", b))
            }
        }
        return result
    }

    /// The total number of parameter elements.
    ///
    /// ```swift
    /// print(Linear(784, 10).parameterCount)   // 7850
    /// ```
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: Modes

    /// Sets training mode (`true`, the default) or evaluation mode (`false`) on this module and all
    /// modules below it. Dropout and batch normalization behave differently in the two modes.
    ///
    /// - Parameter mode: `true` for training, `false` for evaluation.
    ///
    /// ```swift
    /// model.train()
    /// ```
    public func train(_ mode: Bool = true) {
        for m in modules() { m.isTraining = mode }
    }

    /// Sets evaluation mode on this module and all modules below it (same as `train(false)`).
    ///
    /// ```swift
    /// model.eval()
    /// let accuracy = evaluate(model)
    /// ```
    public func eval() { train(false) }

    /// Calls `body` on this module and every module below it, depth first (PyTorch's `apply`).
    ///
    /// ```swift
    /// model.apply { if let l = $0 as? Linear { Init.zeros(l.bias!) } }
    /// ```
    public func apply(_ body: (Module) -> Void) {
        for m in modules() { body(m) }
    }

    // MARK: Gradients

    /// Clears the gradients of all parameters: sets ``Tensor/grad`` to nil (PyTorch's default), or with
    /// `setToNone: false` fills the existing gradients with zeros in place (tensors that hold them keep
    /// them). Unlike PyTorch, the next backward pass does not add into that tensor: it gives the parameter
    /// a new gradient tensor (the old one keeps its zeros).
    ///
    /// - Parameter setToNone: whether to drop the gradients (default) rather than zero them.
    ///
    /// ```swift
    /// model.zeroGrad()
    /// loss.backward()
    /// ```
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters() { Module.clearGradient(of: p, setToNone: setToNone) }
    }

    /// Drops `p`'s gradient, or zeroes it in place (detached from any graph it was recorded in).
    static func clearGradient(of p: Tensor, setToNone: Bool) {
        guard let g = p.grad else { return }
        if setToNone { p.grad = nil; return }
        if g.requiresGrad { p.grad = g.detach() }
        GradMode.noGrad { _ = p.grad?.zeroInPlace() }
    }

    /// Stops gradients for every parameter of this module and its descendants (`requiresGrad = false`),
    /// for fine-tuning only part of a model. The tensors stay parameters.
    ///
    /// ```swift
    /// model.features.freeze()
    /// ```
    public func freeze() {
        for p in parameters() { p.requiresGrad = false }
    }

    /// Makes every floating-point parameter of this module and its descendants require gradients again.
    ///
    /// ```swift
    /// model.features.unfreeze()
    /// ```
    public func unfreeze() {
        for p in parameters() where p.dtype.isFloatingPoint { p.requiresGrad = true }
    }

    // MARK: Description

    /// The text after the type name in ``Module/description``, like PyTorch's `extra_repr`
    /// (e.g. `inFeatures: 784, outFeatures: 10, bias: true`). Empty by default.
    open var extraDescription: String { "" }
}

/// A module called with one tensor, giving one tensor: what ``Sequential`` chains.
///
/// ```swift
/// final class Scale: Module, Layer {
///     let factor: Double
///     init(_ factor: Double) { self.factor = factor }
///     func callAsFunction(_ x: Tensor) -> Tensor { x * factor }
/// }
/// ```
public protocol Layer: Module {
    /// Applies the layer to `input`.
    func callAsFunction(_ input: Tensor) -> Tensor
}
