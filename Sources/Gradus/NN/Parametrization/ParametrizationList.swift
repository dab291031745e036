/// The parametrizations of one tensor of a module, and the original tensors they start from (PyTorch's
/// `ParametrizationList`): `module.parametrizations["weight"]`.
///
/// The originals are the trained parameters: `original` when the first parametrization works on one
/// tensor, `original0`, `original1`, … when it is a ``MultiTensorParametrization``. The parametrizations
/// are its child modules `0`, `1`, … (their buffers, such as spectral normalization's `_u` and `_v`,
/// are saved with the model), applied in that order. So a `Linear` with weight normalization lists
/// `bias`, `parametrizations.weight.original0` and `parametrizations.weight.original1`, as in PyTorch.
///
/// ```swift
/// try Parametrizations.weightNorm(layer)
/// let magnitude = layer.parametrizations["weight"]!.originals[0]   // g, [out, 1]
/// ```
public final class ParametrizationList: Module {
    /// The tensors the first parametrization starts from (the parameters that optimizers train).
    public private(set) var originals: [Tensor]
    /// Whether the originals are named `original0`, `original1`, … (a multi-tensor first
    /// parametrization) rather than `original`.
    let numbersOriginals: Bool
    /// The parametrizations, in the order they apply.
    public private(set) var steps: [Module]
    /// The parametrized tensor's shape and dtype when the first parametrization was registered; for
    /// size accessors, which must not compute the value.
    let valueShape: [Int]
    let valueDType: DType

    init(originals: [Tensor], numbered: Bool, first: Module, valueShape: [Int], valueDType: DType) {
        self.originals = originals
        numbersOriginals = numbered
        steps = [first]
        self.valueShape = valueShape
        self.valueDType = valueDType
        super.init()
    }

    /// The single original (`original`), or the first of several.
    public var original: Tensor { originals[0] }

    func append(_ step: Module) {
        steps.append(step)
        Module.structureChanged()
    }

    override func discoverMembers() -> Members {
        var found = Members()
        found.parameters = numbersOriginals ? originals.enumerated().map { ("original\($0.offset)", $0.element) }
                                            : [("original", originals[0])]
        found.children = steps.enumerated().map { ("\($0.offset)", $0.element) }
        return found
    }

    /// The parametrized tensor: the parametrizations applied to the originals, in order. Inside a
    /// ``Parametrizations/cached(_:)`` scope (and during a call of the module that owns it) computed once.
    ///
    /// ```swift
    /// let weight = layer.parametrizations["weight"]!.value   // the same as layer.weight
    /// ```
    public var value: Tensor { currentValue() }

    func currentValue() -> Tensor {
        if let cache = ParametrizationCache.current { return cache.value(of: self) { compute() } }
        return compute()
    }

    /// Applies the parametrizations (the first to all originals, the rest each to the last's result).
    func compute() -> Tensor {
        var x: Tensor
        if let multi = steps[0] as? any MultiTensorParametrization {
            x = multi(originals)
        } else {
            x = (steps[0] as! any Layer)(originals[0])
        }
        for step in steps.dropFirst() { x = (step as! any Layer)(x) }
        return x
    }

    /// The originals that give `value`, through every parametrization's right inverse in reverse order
    /// (each must have one), checked against the originals' shapes and dtypes.
    func originals(giving value: Tensor) throws -> [Tensor] {
        var x = value
        for step in steps.dropFirst().reversed() {
            guard let invertible = step as? any RightInvertibleParametrization else {
                throw GradusError(.invalidArgument, "Parametrization: \(type(of: step)) has no right inverse (RightInvertibleParametrization), so a value cannot be assigned to the tensor it parametrizes")
            }
            x = invertible.rightInverse(x)
        }
        let result: [Tensor]
        if let multi = steps[0] as? any MultiTensorParametrization {
            result = multi.rightInverse(x)
        } else if let invertible = steps[0] as? any RightInvertibleParametrization {
            result = [invertible.rightInverse(x)]
        } else {
            throw GradusError(.invalidArgument, "Parametrization: \(type(of: steps[0])) has no right inverse (RightInvertibleParametrization), so a value cannot be assigned to the tensor it parametrizes")
        }
        try GradusError.throwIfRecorded()
        try require(result.count == originals.count,
                    "Parametrization: the right inverse of \(type(of: steps[0])) gave \(result.count) tensors for \(originals.count) originals",
                    .invalidArgument)
        for (new, old) in zip(result, originals) {
            try require(new.shape == old.shape && new.dtype == old.dtype,
                        "Parametrization: the right inverse gave a tensor of shape \(new.shape) (\(new.dtype)) for an original of shape \(old.shape) (\(old.dtype))",
                        .shapeMismatch)
        }
        return result
    }

    /// Sets the originals so that the parametrized tensor is `value` (PyTorch's assignment to a
    /// parametrized attribute), in place, without recording.
    func assign(_ value: Tensor) throws {
        let new = try GradMode.noGrad { try originals(giving: value) }
        for (original, v) in zip(originals, new) { try original.copyValues(from: v) }
    }

    /// Replaces the originals with new tensors (registration of a multi-tensor parametrization).
    func replaceOriginals(_ new: [Tensor]) {
        originals = new
        Module.structureChanged()
    }
}
