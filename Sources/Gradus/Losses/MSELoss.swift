// Mean squared error: (x − y)².

extension Tensor {
    /// The squared error (x − y)² between this prediction and `target`, reduced by `reduction`
    /// (PyTorch's `F.mse_loss`). Shapes and dtypes must match.
    ///
    /// - Parameters:
    ///   - target: the wanted values.
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///
    /// ```swift
    /// let loss = model(x).mseLoss(y)
    /// ```
    public func mseLoss(_ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        requireSameShape(target, "mseLoss")
        return (self - target).square().reduced(reduction)
    }
}

/// Mean squared error as a criterion: `MSELoss()(prediction, target)`.
///
/// ```swift
/// let criterion = MSELoss()
/// let loss = criterion(model(x), y)
/// ```
public struct MSELoss: Criterion {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the criterion.
    /// - Parameter reduction: `.mean` (default), `.sum` or `.none`.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        prediction.mseLoss(target, reduction: reduction)
    }
}
