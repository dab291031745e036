/// Type-erased view of a ``Parameter``, for discovery by ``Module``.
protocol AnyParameter {
    var tensor: Tensor? { get }
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
    private var value: Value

    /// Wraps `wrappedValue` as a parameter; a tensor given here is made to require gradients when it
    /// is floating point.
    ///
    /// - Parameter wrappedValue: the parameter's initial tensor (or nil for an absent optional one).
    public init(wrappedValue: Value) {
        value = wrappedValue
        if let t = wrappedValue.bufferTensor, t.dtype.isFloatingPoint { t.requiresGrad = true }
    }

    /// The parameter. Setting it copies the values into the existing tensor (see ``Parameter``).
    public var wrappedValue: Value {
        get { value }
        set {
            guard let existing = value.bufferTensor, let incoming = newValue.bufferTensor else {
                if let t = newValue.bufferTensor, t.dtype.isFloatingPoint { t.requiresGrad = true }
                value = newValue
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
                    value = newValue
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

    var tensor: Tensor? { value.bufferTensor }
}
