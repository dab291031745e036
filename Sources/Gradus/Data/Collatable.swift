/// A type whose values can be batched: a list of samples becomes one value that holds them all along a
/// new first dimension (PyTorch's `default_collate`).
///
/// A ``Dataset``'s ``Dataset/Input`` is collatable, so that the default ``Dataset/batch(at:)`` and
/// ``DataLoader`` can batch the inputs of any dataset. ``Tensor`` stacks its items; ``TensorGroup``
/// stacks them field by field. A type of your own (say, two tensors in a struct) collates its fields
/// the same way and names an empty value for failed batches:
///
/// ```swift
/// struct Pair: Collatable {
///     var left: Tensor
///     var right: Tensor
///     static func collate(_ items: [Pair]) throws -> Pair {
///         try Pair(left: Tensor.collate(items.map(\.left)), right: Tensor.collate(items.map(\.right)))
///     }
///     static var emptyPlaceholder: Pair { Pair(left: .emptyPlaceholder, right: .emptyPlaceholder) }
/// }
/// ```
public protocol Collatable: Sendable {
    /// `items` batched along a new first dimension, in order.
    ///
    /// - Parameter items: at least one value; all of the same structure and shapes.
    /// - Returns: one value whose tensors hold the items along their first dimension.
    /// - Throws: ``GradusError`` naming the first item that does not fit the first one.
    ///
    /// ```swift
    /// let batch = try Tensor.collate([Tensor([1, 2]), Tensor([3, 4])])   // [2, 2]
    /// ```
    static func collate(_ items: [Self]) throws -> Self

    /// What a failed batch gives inside a ``GradusError/catching(_:)`` scope: an empty value (its
    /// tensors are empty placeholders), which the operations after the failure pass through without
    /// computing. Outside a scope a failure stops the program and this value is never made.
    ///
    /// ```swift
    /// let nothing = TensorGroup.emptyPlaceholder   // no fields
    /// ```
    static var emptyPlaceholder: Self { get }
}

extension Tensor: Collatable {
    /// Tensors of one shape and dtype stacked along a new first dimension: `n` items of shape `s` give
    /// a tensor of shape `[n] + s` (PyTorch's `default_collate` on tensors).
    ///
    /// - Parameter items: at least one tensor; all must have the shape and dtype of the first.
    /// - Returns: the stacked tensor.
    /// - Throws: ``GradusError`` (`.shapeMismatch` or `.dtypeMismatch`) naming the first item that
    ///   differs from item 0, with both shapes (or dtypes).
    ///
    /// ```swift
    /// let batch = try Tensor.collate([Tensor([1, 2]), Tensor([3, 4]), Tensor([5, 6])])   // [3, 2]
    /// ```
    public static func collate(_ items: [Tensor]) throws -> Tensor {
        try require(!items.isEmpty, "Tensor.collate: needs at least one item")
        let first = items[0]
        for (k, t) in items.enumerated().dropFirst() {
            try require(t.shape == first.shape,
                        "Tensor.collate: item \(k) has shape \(t.shape) but item 0 has shape \(first.shape); samples must share one shape to be batched",
                        .shapeMismatch)
            try require(t.dtype == first.dtype,
                        "Tensor.collate: item \(k) is \(t.dtype) (shape \(t.shape)) but item 0 is \(first.dtype) (shape \(first.shape))",
                        .dtypeMismatch)
        }
        return Tensor.stack(items)
    }

    /// An empty float32 tensor: what a failed batch gives inside a ``GradusError/catching(_:)`` scope.
    ///
    /// ```swift
    /// let empty = Tensor.emptyPlaceholder   // shape [0]
    /// ```
    public static var emptyPlaceholder: Tensor { placeholder() }
}
