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
        checked {
            try requireSameShape(target, "mseLoss")
            if reduction == .none { return (self - target).square() }
            // Mean and sum are one fused primitive: one pass forward, one pass backward (instead of four
            // recorded ops, each allocating), which is most of a small regression step.
            try require(dtype == target.dtype && dtype.isFloatingPoint,
                    "mseLoss: dtypes \(dtype) and \(target.dtype) must be the same floating-point type", .dtypeMismatch)
            // The mean of no element is NaN, as in PyTorch (0 · NaN).
            let scale = reduction == .mean ? (count == 0 ? Double.nan : 1 / Double(count)) : 1
            let out = Tensor(uninitializedShape: [], dtype: dtype)
            func forward<T: TensorFloat>(_: T.Type) {
                let a = pointer(T.self), b = target.pointer(T.self)
                var acc0: T = 0, acc1: T = 0, acc2: T = 0, acc3: T = 0
                var i = 0
                while i &+ 4 <= count {
                    let d0 = a[i] - b[i], d1 = a[i &+ 1] - b[i &+ 1], d2 = a[i &+ 2] - b[i &+ 2], d3 = a[i &+ 3] - b[i &+ 3]
                    acc0 += d0 * d0; acc1 += d1 * d1; acc2 += d2 * d2; acc3 += d3 * d3
                    i &+= 4
                }
                while i < count { let d = a[i] - b[i]; acc0 += d * d; i &+= 1 }
                out.pointer(T.self)[0] = ((acc0 + acc1) + (acc2 + acc3)) * T(scale)
            }
            if dtype == .float32 { forward(Float.self) } else { forward(Double.self) }
            record("mseLoss", output: out, inputs: [self, target]) { g, _ in
                let d: Tensor
                if GradMode.isEnabled {
                    // Recording the backward pass (createGraph): tensor operations, differentiable again.
                    d = (self - target) * g * (2 * scale)
                } else {
                    let k = 2 * scale * g.item(Double.self), kf = Float(k)
                    d = try self.zipWith(target, "mseLoss backward", { ($0 - $1) * kf }, { ($0 - $1) * k })
                }
                return [self.requiresGrad ? d : nil, target.requiresGrad ? -d : nil]
            }
            return out
        }
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
