/// Type-erased view of a ``Parameter``, for discovery by ``Module`` and for its parametrizations
/// (Module+Parametrize.swift).
protocol AnyParameter {
    /// The tensor stored, not parametrized: what discovery lists while no parametrization is registered.
    var tensor: Tensor? { get }
    /// The parametrizations computing the property's value, or nil.
    var parametrization: ParametrizationList? { get }
    /// Makes `list` compute the property's value (nil: the stored tensor again), storing `tensor`.
    func setParametrization(_ list: ParametrizationList?, storing tensor: Tensor)
}

/// Where a ``Parameter`` keeps its tensor: a reference, so that registering a parametrization on a
/// module (which finds the property's wrapper by reflection, as a copy) reaches the property itself.
final class ParameterStorage<Value: BufferValue>: @unchecked Sendable {
    var value: Value
    /// The parametrizations that compute the property's value instead of `value`, or nil.
    var parametrization: ParametrizationList?
    init(_ value: Value) { self.value = value }
}

/// Marks a tensor property of a ``Module`` as a *parameter*: trained by optimizers, saved in
/// ``Module/stateDict()``, listed by ``Module/parameters()`` (PyTorch's `nn.Parameter`).
///
/// A parameter keeps its identity: optimizers, gradient hooks and state dictionaries hold the tensor
/// object, so assigning to the property **copies the new values into the existing tensor** (in place,
/// without recording, counting a new storage version) instead of replacing it. `layer.weight += delta`
/// and `layer.weight = pretrained` therefore update the weight that the optimizer trains. The new value
/// must have the parameter's shape; it is converted to the parameter's dtype. An optional parameter
/// (`Tensor?`, PyTorch's `bias=None`) can be set to nil or from nil to a tensor, which then becomes the
/// parameter (requiring gradients).
///
/// Assigning **another parameter** (a leaf tensor that requires gradients, such as another layer's
/// weight) ties the two instead, as in PyTorch: `head.weight = embedding.weight` makes both names hold
/// one tensor, trained once with the gradients of both uses, and listed under both keys by
/// ``Module/stateDict()``. Tie before building the optimizer (it holds the tensors it was given). To
/// copy another parameter's values without tying, assign `other.detach()`.
///
/// Every stored tensor of a module must be marked: `@Parameter` for what is trained, ``Buffer`` for
/// state that is saved but not trained. Keep intermediate values in local variables.
///
/// A parameter can be **parametrized** (``Module/registerParametrization(_:for:unsafe:)-(Layer,_,_)``, weight
/// normalization, spectral normalization): reading it then computes its value from the parametrization's
/// original tensors, which are the trained parameters, and assigning to it sets those originals through
/// the parametrization's right inverse.
///
/// ```swift
/// final class Scale: Module, Layer {
///     @Parameter var factor = Tensor.ones([1])
///     func callAsFunction(_ x: Tensor) -> Tensor { x * factor }
/// }
/// let m = Scale()
/// let optimizer = SGD(m.parameters(), lr: 0.1)
/// m.factor = Tensor([2.0])   // the optimizer still trains m.factor, now 2
/// ```
@propertyWrapper
public struct Parameter<Value: BufferValue>: AnyParameter {
    private let storage: ParameterStorage<Value>

    /// Wraps `wrappedValue` as a parameter; a tensor given here is made to require gradients when it
    /// is floating point.
    ///
    /// - Parameter wrappedValue: the parameter's initial tensor (or nil for an absent optional one).
    public init(wrappedValue: Value) {
        storage = ParameterStorage(wrappedValue)
        if let t = wrappedValue.bufferTensor, t.dtype.isFloatingPoint { t.requiresGrad = true }
    }

    /// The parameter. Setting it copies the values into the existing tensor (see ``Parameter``); a
    /// parametrized one computes its value and sets its originals.
    public var wrappedValue: Value {
        get {
            if let list = storage.parametrization { return list.currentValue() as! Value }
            return storage.value
        }
        nonmutating set {
            if let list = storage.parametrization {
                checked(or: ()) {
                    guard let incoming = newValue.bufferTensor else {
                        throw GradusError(.invalidArgument, "Parameter: a parametrized tensor cannot be set to nil; remove its parametrizations first (removeParametrizations(for:))")
                    }
                    try list.assign(incoming)
                }
                return
            }
            let value = storage.value
            guard let existing = value.bufferTensor, let incoming = newValue.bufferTensor else {
                if let t = newValue.bufferTensor, t.dtype.isFloatingPoint { t.requiresGrad = true }
                storage.value = newValue
                Module.structureChanged()
                return
            }
            if existing === incoming { return }
            // Another parameter (a leaf that requires gradients): the two are tied, one tensor under
            // both names, as PyTorch's `head.weight = embedding.weight` does.
            if incoming.isLeaf && incoming.requiresGrad {
                checked(or: ()) {
                    try require(incoming.shape == existing.shape && incoming.dtype == existing.dtype,
                                "Parameter: tying to a parameter of shape \(incoming.shape) (\(incoming.dtype)) needs this parameter's shape \(existing.shape) and dtype \(existing.dtype)",
                                .shapeMismatch)
                    storage.value = newValue
                    Module.structureChanged()
                }
                return
            }
            checked(or: ()) {
                try require(incoming.shape == existing.shape,
                            "Parameter: a tensor of shape \(incoming.shape) cannot be assigned to a parameter of shape \(existing.shape); a parameter keeps its identity (optimizers hold it), so only its values can change",
                            .shapeMismatch)
                try existing.copyValues(from: incoming)
            }
        }
    }

    var tensor: Tensor? { storage.value.bufferTensor }

    var parametrization: ParametrizationList? { storage.parametrization }

    func setParametrization(_ list: ParametrizationList?, storing tensor: Tensor) {
        storage.value = tensor as! Value
        storage.parametrization = list
    }

    /// The stored tensor's shape, or the parametrized value's (as registered) without computing it: for
    /// the size accessors of layers (`inFeatures`), which must not run a parametrization (spectral
    /// normalization's power iteration) when read.
    var shape: [Int] { storage.parametrization?.valueShape ?? storage.value.bufferTensor?.shape ?? [] }

    /// The stored tensor's dtype, or the parametrized value's (as registered) without computing it.
    var dtype: DType { storage.parametrization?.valueDType ?? storage.value.bufferTensor?.dtype ?? .float32 }

    /// The tensor stored, never a parametrized value: for discovery, which must not compute one.
    var storedValue: Value { storage.value }
}
