// Pointwise combinations of several tensors that PyTorch names (`torch.lerp`, `addcmul`, `addcdiv`):
// compositions of differentiable operations, so gradients (of any order) and broadcasting are those of
// the operations they are made of — which are PyTorch's.

extension Tensor {
    /// Linear interpolation self + weight · (end − self) (PyTorch's `torch.lerp`). Gradients: g (1 − w)
    /// for self, g · w for end, g (end − self) for a tensor weight.
    ///
    /// - Parameters:
    ///   - end: the other end, broadcast against this tensor.
    ///   - weight: the weight of `end`, a tensor broadcast against both.
    ///
    /// ```swift
    /// let averaged = shadow.lerp(weights, weight: Tensor(scalar: 0.01))
    /// ```
    public func lerp(_ end: Tensor, weight: Tensor) -> Tensor {
        // One weight that needs no gradient (an EMA's decay): the number's form, without both branches.
        if weight.count == 1 && !weight.requiresGrad && weight.rank <= Swift.max(rank, end.rank)
            && weight.dtype == dtype && end.dtype == dtype {
            let w = GradMode.noGrad { weight.detach().to(.float64).scalars(as: Double.self)[0] }
            return lerp(end, weight: w)
        }
        // PyTorch's two forms: from `self` for |weight| < 0.5, from `end` otherwise, so that weight 1
        // gives `end` exactly (self + 1·(end − self) loses it when the two are far apart).
        let difference = end - self
        return Tensor.where(weight.abs() .< 0.5, self + weight * difference, end - difference * (1 - weight))
    }

    /// Linear interpolation with a number as the weight.
    ///
    /// ```swift
    /// Tensor([0.0, 10.0]).lerp(Tensor([10.0, 20.0]), weight: 0.5)   // [5, 15]
    /// ```
    public func lerp(_ end: Tensor, weight: Double) -> Tensor {
        Swift.abs(weight) < 0.5 ? self + (end - self) * weight : end - (end - self) * (1 - weight)
    }

    /// self + value · t1 · t2 (PyTorch's `torch.addcmul`), broadcast.
    ///
    /// ```swift
    /// let v = average.addcmul(grad, grad, value: 1 - beta2)
    /// ```
    public func addcmul(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
        self + t1 * t2 * value
    }

    /// self + value · t1 / t2 (PyTorch's `torch.addcdiv`), broadcast.
    ///
    /// ```swift
    /// let step = weights.addcdiv(m, v.sqrt() + 1e-8, value: -lr)
    /// ```
    public func addcdiv(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
        self + t1 / t2 * value
    }
}
