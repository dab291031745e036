// Mean absolute error: |x − y|.

extension Tensor {
    /// The absolute error |x − y| between this prediction and `target`, reduced by `reduction`
    /// (PyTorch's `F.l1_loss`). Its gradient at x = y is 0, as in PyTorch.
    ///
    /// - Parameters:
    ///   - target: the wanted values, of the same shape.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = prediction.l1Loss(target)
    /// ```
    public func l1Loss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checked {
            try requireSameShape(target, "l1Loss")
            return (self - target).abs().reduced(reduction)
        }
    }
}

/// Mean absolute error as a criterion.
///
/// ```swift
/// let loss = L1Loss()(prediction, target)
/// ```
public struct L1Loss: Criterion {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameter reduction: `.mean` (default), `.sum` or `.none`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        prediction.l1Loss(target, reduction: reduction)
    }
}
