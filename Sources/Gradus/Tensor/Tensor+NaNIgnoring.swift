// Operations that skip NaN instead of propagating it (PyTorch's `torch.fmax`, `torch.fmin`,
// `torch.nansum`, `torch.nanmean`): the sums are NaN replaced by 0 (recorded with PyTorch's masked
// gradient), then sums and counts; fmax/fmin record PyTorch's rule (ties split, as `maximum`).

extension Tensor {
    /// Elementwise maximum that ignores NaN (PyTorch's `torch.fmax`): where one side is NaN the other is
    /// taken, NaN only where both are. Broadcast and promoted as ``maximum(_:)``.
    ///
    /// Gradients as PyTorch's: ties split it in halves, a side gets none where the other is strictly
    /// larger or where it alone is NaN; where both are NaN this tensor gets it.
    ///
    /// ```swift
    /// Tensor([1.0, .nan, .nan]).fmax(Tensor([2.0, 3.0, .nan]))   // [2, 3, nan]
    /// ```
    public func fmax(_ other: Tensor) -> Tensor { nanIgnoring(other, "fmax", larger: true) }

    /// Elementwise minimum that ignores NaN (PyTorch's `torch.fmin`); see ``fmax(_:)``.
    ///
    /// ```swift
    /// Tensor([1.0, .nan]).fmin(Tensor([2.0, 3.0]))   // [1, 3]
    /// ```
    public func fmin(_ other: Tensor) -> Tensor { nanIgnoring(other, "fmin", larger: false) }

    /// `fmax` (`larger`) or `fmin`: x where it wins (or ties, or y is NaN), else y.
    private func nanIgnoring(_ other: Tensor, _ op: String, larger: Bool) -> Tensor {
        checked {
            let (x, y) = Tensor.promoted(self, other)
            let out = GradMode.noGrad {
                let (a, b) = (x.detach(), y.detach())
                return Tensor.where((larger ? a.ge(b) : a.le(b)).logicalOr(b.isNaN()), a, b)
            }
            record(op, output: out, inputs: [x, y]) { g, _ in
                let (a, b) = (x.detach(), y.detach())
                let (aNaN, bNaN) = (a.isNaN(), b.isNaN())
                let split = Tensor.where(a.eq(b), g * 0.5, g)
                // x loses where y is strictly better or x alone is NaN; y where x is strictly better or y is NaN.
                let xLoses = (larger ? a.lt(b) : a.gt(b)).logicalOr(aNaN.logicalAnd(bNaN.logicalNot()))
                let yLoses = (larger ? a.gt(b) : a.lt(b)).logicalOr(bNaN)
                return [split.maskedWhere(xLoses, 0), split.maskedWhere(yLoses, 0)]
            }
            return out
        }
    }

    /// The sum over `axes` (all when nil or empty, as PyTorch's `dim=()`) with NaN counted as 0 (PyTorch's `torch.nansum`); ±inf still
    /// count. NaN elements get no gradient. Integer tensors have no NaN: the plain sum.
    ///
    /// - Parameters:
    ///   - axes: the dimensions summed; nil for all.
    ///   - keepDims: keep them with size 1.
    ///
    /// ```swift
    /// Tensor([1.0, .nan, 2.0]).nansum()   // 3
    /// ```
    public func nansum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        guard dtype.isFloatingPoint else { return sum(axes: axes, keepDims: keepDims) }
        return withoutNaN().sum(axes: axes, keepDims: keepDims)
    }

    /// The mean over `axes` (all when nil or empty, as PyTorch's `dim=()`) of the elements that are not NaN (PyTorch's `torch.nanmean`):
    /// their sum over their count, NaN where every element is NaN (0 / 0). Floating-point tensors only,
    /// as in PyTorch.
    ///
    /// ```swift
    /// Tensor([1.0, .nan, 2.0]).nanmean()   // 1.5
    /// ```
    public func nanmean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        checked {
            try requireFloat("nanmean")
            let counted = GradMode.noGrad { 1 - detach().isNaN() }.sum(axes: axes, keepDims: keepDims)
            return withoutNaN().sum(axes: axes, keepDims: keepDims) / counted
        }
    }

    /// This tensor with NaN replaced by 0. Its gradient is the upstream one times 1 where the element was
    /// a number and 0 where it was NaN (PyTorch's nansum backward: a product, so an infinite upstream
    /// gradient — nanmean of an all-NaN row divides by 0 — gives NaN there, as in PyTorch).
    private func withoutNaN() -> Tensor {
        checked {
            let kept = GradMode.noGrad { detach().isNaN().logicalNot() }
            let out = GradMode.noGrad { Tensor.where(kept, detach(), Tensor.zeros([], dtype: dtype)) }
            record("nanToZero", output: out, inputs: [self]) { g, _ in [g * kept] }
            return out
        }
    }
}
