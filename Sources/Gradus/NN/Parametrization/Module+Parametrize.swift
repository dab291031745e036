// Registering and removing parametrizations of a module's parameters (PyTorch's
// `torch.nn.utils.parametrize`): the property keeps its name and computes its value from original
// tensors, which become the trained parameters under `parametrizations.<name>`.

/// The `parametrizations` child of a module with parametrized parameters (PyTorch's `ModuleDict` of
/// `ParametrizationList`s), in the order they were registered.
final class ParametrizationTable: Module {
    private(set) var lists: [(name: String, list: ParametrizationList)] = []

    subscript(name: String) -> ParametrizationList? { lists.first { $0.name == name }?.list }

    func add(_ list: ParametrizationList, for name: String) {
        lists.append((name, list))
        Module.structureChanged()
    }

    func remove(_ name: String) {
        lists.removeAll { $0.name == name }
        Module.structureChanged()
    }

    override func discoverMembers() -> Members {
        var found = Members()
        found.children = lists.map { ($0.name, $0.list as Module) }
        return found
    }
}

extension Module {
    /// The parametrizations of this module's parameters by name (PyTorch's `module.parametrizations`);
    /// empty when none is parametrized.
    ///
    /// ```swift
    /// try Parametrizations.weightNorm(layer)
    /// let list = layer.parametrizations["weight"]!   // original0 (g), original1 (v), step 0
    /// ```
    public var parametrizations: [String: ParametrizationList] {
        Dictionary(uniqueKeysWithValues: (parametrizationTable?.lists ?? []).map { ($0.name, $0.list) })
    }

    /// Whether the parameter `name` of this module (or, with nil, any of its parameters) is parametrized
    /// (PyTorch's `parametrize.is_parametrized`).
    ///
    /// - Parameter name: a parameter's name in this module (`"weight"`), or nil for any.
    ///
    /// ```swift
    /// if layer.isParametrized("weight") { try layer.removeParametrizations(for: "weight") }
    /// ```
    public func isParametrized(_ name: String? = nil) -> Bool {
        guard let table = parametrizationTable else { return false }
        guard let name else { return !table.lists.isEmpty }
        return table[name] != nil
    }

    /// Makes the parameter `name` computed by `parametrization` from an original tensor (PyTorch's
    /// `parametrize.register_parametrization`).
    ///
    /// The first parametrization of a parameter moves it to `parametrizations.<name>.original` (the same
    /// tensor object, so an optimizer built before keeps training it; when `parametrization` has a right
    /// inverse, its values become the right inverse of the current value). Reading `module.<name>` then
    /// computes `parametrization(original)`, once per call of the module; assigning to it sets the
    /// original through the right inverse. Registering more parametrizations on the same parameter
    /// chains them: each applies to the previous one's result.
    ///
    /// Unless `unsafe`, the result is checked to keep the parameter's shape and dtype.
    ///
    /// - Parameters:
    ///   - parametrization: a module from one tensor to one tensor, optionally a
    ///     ``RightInvertibleParametrization``.
    ///   - name: the name of a parameter of this module, as ``namedParameters()`` lists it here
    ///     (`"weight"`, `"in_proj_weight"`).
    ///   - unsafe: skip the checks of shape and dtype.
    /// - Throws: ``GradusError`` when this module has no such parameter, the parameter is not an
    ///   `@Parameter` property, or the parametrization fails or changes the shape or dtype.
    ///
    /// ```swift
    /// final class Symmetric: Module, Layer {
    ///     func callAsFunction(_ x: Tensor) -> Tensor { x.triu() + x.triu(diagonal: 1).transpose(0, 1) }
    /// }
    /// let layer = Linear(3, 3)
    /// try layer.registerParametrization(Symmetric(), for: "weight")
    /// // layer.weight is symmetric; the optimizer trains layer.parametrizations["weight"]!.original
    /// ```
    public func registerParametrization(_ parametrization: any Layer, for name: String, unsafe: Bool = false) throws {
        try register(parametrization, for: name, unsafe: unsafe)
    }

    /// Makes the parameter `name` computed by a ``MultiTensorParametrization`` from several original
    /// tensors, `parametrizations.<name>.original0`, `original1`, … (made by its right inverse from the
    /// current value; they are new tensors, so build the optimizer after registering). It must be the
    /// parameter's first parametrization.
    ///
    /// - Parameters:
    ///   - parametrization: the parametrization (``WeightNorm`` is one).
    ///   - name: the name of a parameter of this module.
    ///   - unsafe: skip the checks of shape and dtype.
    /// - Throws: ``GradusError`` as ``registerParametrization(_:for:unsafe:)-(Layer,_,_)`` does, and
    ///   when the parameter is parametrized already.
    ///
    /// ```swift
    /// try layer.registerParametrization(WeightNorm(dim: 0), for: "weight")
    /// ```
    public func registerParametrization(_ parametrization: any MultiTensorParametrization, for name: String,
                                        unsafe: Bool = false) throws {
        try register(parametrization, for: name, unsafe: unsafe)
    }

    private func register(_ step: Module, for name: String, unsafe: Bool) throws {
        try GradusError.catching {
            let what = "registerParametrization: \(type(of: step)) on \(type(of: self)).\(name)"
            if let list = parametrizationTable?[name] {
                guard let layer = step as? any Layer, !(step is any MultiTensorParametrization) else {
                    throw GradusError(.invalidArgument, "\(what): a parametrization of several original tensors must be the first on a tensor, and \(name) is parametrized already")
                }
                if !unsafe {
                    let current = GradMode.noGrad { list.compute() }
                    let next = GradMode.noGrad { layer(current) }
                    try GradusError.throwIfRecorded()
                    try require(next.shape == current.shape && next.dtype == current.dtype,
                                "\(what): the parametrization changes \(current.shape) (\(current.dtype)) into \(next.shape) (\(next.dtype)); pass unsafe: true if that is meant",
                                .shapeMismatch)
                    if let invertible = layer as? any RightInvertibleParametrization {
                        let back = GradMode.noGrad { invertible.rightInverse(next) }
                        try GradusError.throwIfRecorded()
                        try require(back.shape == current.shape && back.dtype == current.dtype,
                                    "\(what): the right inverse gives \(back.shape) (\(back.dtype)) for \(current.shape) (\(current.dtype))",
                                    .shapeMismatch)
                    }
                }
                list.append(step)
                return
            }
            let (property, tensor) = try parameterProperty(named: name, for: what)
            let list: ParametrizationList
            if let multi = step as? any MultiTensorParametrization {
                let made = GradMode.noGrad { multi.rightInverse(tensor) }
                try GradusError.throwIfRecorded()
                try require(!made.isEmpty, "\(what): the right inverse gave no tensors", .invalidArgument)
                // Own copies: never sharing storage with what the right inverse returned (the weight itself).
                let originals = made.map { t in
                    GradMode.noGrad { t.detach().contiguous().clone() }.requiringGrad(tensor.requiresGrad && t.dtype.isFloatingPoint)
                }
                list = ParametrizationList(originals: originals, numbered: true, first: step,
                                           valueShape: tensor.shape, valueDType: tensor.dtype)
            } else {
                var original = tensor
                if let invertible = step as? any RightInvertibleParametrization {
                    let made = GradMode.noGrad { invertible.rightInverse(tensor) }
                    try GradusError.throwIfRecorded()
                    try require(made.dtype == tensor.dtype,
                                "\(what): the right inverse changes the dtype from \(tensor.dtype) to \(made.dtype)", .dtypeMismatch)
                    if made.shape == tensor.shape {
                        try tensor.copyValues(from: made)   // the same tensor: optimizers keep training it
                    } else {
                        original = made.detach().clone().requiringGrad(tensor.requiresGrad)
                    }
                }
                list = ParametrizationList(originals: [original], numbered: false, first: step,
                                           valueShape: tensor.shape, valueDType: tensor.dtype)
            }
            if !unsafe {
                let value = GradMode.noGrad { list.compute() }
                try GradusError.throwIfRecorded()
                try require(value.shape == tensor.shape && value.dtype == tensor.dtype,
                            "\(what): the parametrized value is \(value.shape) (\(value.dtype)) where the parameter is \(tensor.shape) (\(tensor.dtype)); pass unsafe: true if that is meant",
                            .shapeMismatch)
            }
            let table = parametrizationTable ?? ParametrizationTable()
            parametrizationTable = table
            // The property keeps the single original (the same tensor), or an empty stand-in.
            property.setParametrization(list, storing: list.numbersOriginals ? Tensor.zeros([0], dtype: tensor.dtype) : list.originals[0])
            table.add(list, for: name)
        }
    }

    /// The `@Parameter` property that holds the parameter `name` of this module, and its tensor.
    private func parameterProperty(named name: String, for what: String) throws -> (any AnyParameter, Tensor) {
        let own = members()
        guard let tensor = own.parameters.first(where: { $0.0 == name })?.1 else {
            if own.buffers.contains(where: { $0.0 == name }) {
                throw GradusError(.invalidArgument, "\(what): \(name) is a buffer; only parameters can be parametrized")
            }
            let names = own.parameters.map(\.0)
            throw GradusError(.invalidArgument, "\(what): \(type(of: self)) has no parameter \(name)" +
                              (names.isEmpty ? "" : " (its parameters: \(names.joined(separator: ", ")))"))
        }
        // The property of that name first (two properties may hold one tied tensor), else the one holding
        // the tensor (modules that name their parameters themselves: attention's in_proj_weight).
        let properties = parameterProperties()
        let byName = properties.first { $0.label == "_" + name && $0.property.tensor === tensor }
        guard let property = (byName ?? properties.first { $0.property.tensor === tensor })?.property else {
            throw GradusError(.invalidArgument, "\(what): \(name) is not held by an @Parameter property (recurrent layers keep their weights in arrays), so it cannot be parametrized")
        }
        return (property, tensor)
    }

    /// Whether this module is, or inherits from, a layer of Gradus (whose code reads sizes from its
    /// parameters' shapes).
    private var extendsBuiltInLayer: Bool {
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            if String(reflecting: m.subjectType).hasPrefix("Gradus.") { return true }
            mirror = m.superclassMirror
        }
        return false
    }

    /// The `@Parameter` properties of this module (its class and superclasses), found by reflection.
    private func parameterProperties() -> [(label: String, property: any AnyParameter)] {
        var found: [(label: String, property: any AnyParameter)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            for child in m.children {
                if let p = child.value as? any AnyParameter { found.append((child.label ?? "", p)) }
            }
            mirror = m.superclassMirror
        }
        return found
    }

    /// Removes the parametrizations of the parameter `name` (PyTorch's
    /// `parametrize.remove_parametrizations`): it becomes a plain parameter again.
    ///
    /// With `leaveParametrized` (the default) it keeps its current parametrized value: a single original
    /// tensor gets that value in place (an optimizer keeps training it); the originals of a
    /// ``MultiTensorParametrization`` give way to a new tensor. Without it, the original itself becomes
    /// the parameter again (only possible with a single original).
    ///
    /// - Parameters:
    ///   - name: the parametrized parameter.
    ///   - leaveParametrized: keep the parametrized value (true) or the original (false).
    /// - Throws: ``GradusError`` when `name` is not parametrized, or `leaveParametrized` is false with
    ///   several originals.
    ///
    /// ```swift
    /// try layer.removeParametrizations(for: "weight")   // the trained, normalized weight stays
    /// ```
    public func removeParametrizations(for name: String, leaveParametrized: Bool = true) throws {
        try GradusError.catching {
            let what = "removeParametrizations: \(type(of: self)).\(name)"
            guard let table = parametrizationTable, let list = table[name] else {
                throw GradusError(.invalidArgument, "\(what): \(name) is not parametrized")
            }
            guard let property = parameterProperties().first(where: { $0.property.parametrization === list })?.property else {
                invariant(false, "\(what): no property holds the parametrization")
                return
            }
            let restored: Tensor
            if leaveParametrized {
                let value = GradMode.noGrad { list.compute() }
                try GradusError.throwIfRecorded()
                // Gradus's layers read their sizes from their parameters' shapes (kernelSize, inFeatures).
                try require(value.shape == list.valueShape || !extendsBuiltInLayer,
                            "\(what): the parametrized value is \(value.shape) where \(type(of: self)) needs \(list.valueShape); a built-in layer cannot keep a parameter of another shape",
                            .shapeMismatch)
                let original = list.originals[0]
                if !list.numbersOriginals, value.shape == original.shape, value.dtype == original.dtype {
                    try original.copyValues(from: value)
                    restored = original
                } else {
                    let trained = list.originals.contains(where: \.requiresGrad)
                    restored = value.detach().contiguous().clone().requiringGrad(trained && value.dtype.isFloatingPoint)
                }
            } else {
                guard !list.numbersOriginals else {
                    throw GradusError(.invalidArgument, "\(what): a tensor parametrized by several originals (\(type(of: list.steps[0]))) cannot be left unparametrized (leaveParametrized: false)")
                }
                try require(list.originals[0].shape == list.valueShape || !extendsBuiltInLayer,
                            "\(what): the original is \(list.originals[0].shape) where \(type(of: self)) needs \(list.valueShape); a built-in layer cannot keep a parameter of another shape",
                            .shapeMismatch)
                restored = list.originals[0]
            }
            property.setParametrization(nil, storing: restored)
            table.remove(name)
            if table.lists.isEmpty { parametrizationTable = nil }
            Module.structureChanged()
        }
    }
}
