/// How a loss turns its per-element values into its result, like PyTorch's `reduction` argument.
///
/// ```swift
/// let perSample = prediction.mseLoss(target, reduction: .none)   // same shape as the inputs
/// let total = prediction.mseLoss(target, reduction: .sum)        // a scalar
/// ```
public enum Reduction: String, Sendable, CaseIterable {
    /// Keep the per-element losses.
    case none
    /// Average them (for class-weighted losses: divide by the sum of the weights, as in PyTorch).
    case mean
    /// Add them up.
    case sum
}

/// A loss computed from a prediction and a target, callable as `criterion(prediction, target)`.
///
/// ```swift
/// let criterion: any Criterion = CrossEntropyLoss()
/// let loss = criterion(model(x), labels)
/// ```
public protocol Criterion: Sendable {
    /// The loss of `prediction` against `target`.
    func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor
}

extension Tensor {
    /// Applies `reduction` to per-element losses.
    func reduced(_ reduction: Reduction) -> Tensor {
        switch reduction {
        case .none: return self
        case .mean: return mean()
        case .sum: return sum()
        }
    }

    /// Stops unless `target` has this tensor's shape and dtype.
    func requireSameShape(_ target: Tensor, _ op: String) throws {
        try require(shape == target.shape,
                     "\(op): prediction shape \(shape) and target shape \(target.shape) differ", .shapeMismatch)
        try require(dtype == target.dtype,
                     "\(op): prediction dtype \(dtype) and target dtype \(target.dtype) differ", .dtypeMismatch)
    }
}
