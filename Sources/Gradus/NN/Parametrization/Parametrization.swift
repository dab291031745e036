/// A parametrization that can also go back from a value of the tensor to an original that gives it
/// (PyTorch's optional `right_inverse`): registering it sets the original from the tensor's current
/// value, and assigning to the parametrized property sets the original from the value assigned.
///
/// A parametrization is any ``Layer`` (a module from one tensor to one tensor); it needs a right inverse
/// only for those two uses. Without one, registering keeps the tensor as the original, and assigning
/// to the property fails with a message.
///
/// ```swift
/// /// Symmetric matrices: the upper triangle mirrored.
/// final class Symmetric: Module, RightInvertibleParametrization {
///     func callAsFunction(_ x: Tensor) -> Tensor { x.triu() + x.triu(diagonal: 1).transpose(0, 1) }
///     func rightInverse(_ value: Tensor) -> Tensor { value.triu() }
/// }
/// try layer.registerParametrization(Symmetric(), for: "weight")
/// ```
public protocol RightInvertibleParametrization: Layer {
    /// An original that this parametrization maps to `value` (or to a value as close as it can).
    ///
    /// - Parameter value: a value of the parametrized tensor.
    /// - Returns: the original, of the shape and dtype the parametrization takes.
    func rightInverse(_ value: Tensor) -> Tensor
}

/// A parametrization computed from several original tensors (PyTorch's parametrizations whose
/// `right_inverse` returns a tuple): weight normalization computes the weight from a magnitude `g` and
/// a direction `v`. It can only be the first parametrization of a tensor; its originals are named
/// `original0`, `original1`, … in the state dictionary.
///
/// ```swift
/// final class Scaled: Module, MultiTensorParametrization {
///     func callAsFunction(_ originals: [Tensor]) -> Tensor { originals[0] * originals[1] }
///     func rightInverse(_ value: Tensor) -> [Tensor] { [Tensor.ones([], dtype: value.dtype), value] }
/// }
/// ```
public protocol MultiTensorParametrization: Module {
    /// The parametrized tensor's value from the originals.
    ///
    /// - Parameter originals: the tensors ``rightInverse(_:)`` made, in its order.
    func callAsFunction(_ originals: [Tensor]) -> Tensor

    /// Originals that give `value`: computed once from the tensor's value when the parametrization is
    /// registered, and when a value is assigned to the parametrized property.
    ///
    /// - Parameter value: a value of the parametrized tensor.
    func rightInverse(_ value: Tensor) -> [Tensor]
}
