// Tests of values (NaN, infinities), replacing them, and logical operations. Gradus has no bool dtype:
// as its comparisons, these give 1 for true and 0 for false in the operands' dtype (PyTorch gives bool);
// `logicalAnd` and the others of two tensors give their promoted dtype. None of them records a gradient,
// except ``Tensor/nanToNum(nan:posinf:neginf:)``.

extension Tensor {
    /// 1 where an element is NaN, 0 elsewhere (PyTorch's `torch.isnan`); all 0 for an int64 tensor.
    ///
    /// ```swift
    /// if x.isNaN().any().item() != 0 { print("NaN in x") }
    /// ```
    public func isNaN() -> Tensor {
        checked { dtype.isFloatingPoint ? GradMode.noGrad { detach().ne(detach()) } : Tensor.zeros(shape, dtype: dtype) }
    }

    /// 1 where an element is +inf or -inf, 0 elsewhere (PyTorch's `torch.isinf`).
    public func isInf() -> Tensor {
        checked { dtype.isFloatingPoint ? GradMode.noGrad { detach().abs().eq(Double.infinity) } : Tensor.zeros(shape, dtype: dtype) }
    }

    /// 1 where an element is neither NaN nor infinite, 0 elsewhere (PyTorch's `torch.isfinite`).
    public func isFinite() -> Tensor {
        // x − x is 0 for every finite x and NaN for NaN and ±inf.
        checked { dtype.isFloatingPoint ? GradMode.noGrad { (detach() - detach()).eq(0) } : Tensor.ones(shape, dtype: dtype) }
    }

    /// This tensor with NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf` (PyTorch's
    /// `torch.nan_to_num`); by default the largest finite values of the dtype. The gradient passes
    /// where the element was finite and is 0 where it was replaced. Integer tensors come back unchanged.
    ///
    /// - Parameters:
    ///   - nan: the value for NaN.
    ///   - posinf: the value for +inf (nil: the dtype's largest finite value).
    ///   - neginf: the value for -inf (nil: the dtype's most negative finite value).
    ///
    /// ```swift
    /// let cleaned = logits.nanToNum(nan: 0, posinf: 1e4, neginf: -1e4)
    /// ```
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        checked {
            if !dtype.isFloatingPoint { return GradMode.noGrad { clone() } }
            let (n32, p32, m32) = (Float(nan), posinf.map(Float.init) ?? .greatestFiniteMagnitude,
                                   neginf.map(Float.init) ?? -.greatestFiniteMagnitude)
            let (n64, p64, m64) = (nan, posinf ?? .greatestFiniteMagnitude, neginf ?? -.greatestFiniteMagnitude)
            let out = try map("nanToNum",
                              { $0.isNaN ? n32 : ($0 == .infinity ? p32 : ($0 == -.infinity ? m32 : $0)) },
                              { $0.isNaN ? n64 : ($0 == .infinity ? p64 : ($0 == -.infinity ? m64 : $0)) })
            record("nanToNum", output: out, inputs: [self]) { g, _ in [g * self.isFinite()] }
            return out
        }
    }

    /// 1 where an element is 0, 0 elsewhere (PyTorch's `torch.logical_not`; NaN counts as true).
    public func logicalNot() -> Tensor { checked { GradMode.noGrad { detach().eq(0) } } }

    /// 1 where both elements are nonzero (PyTorch's `torch.logical_and`), with broadcasting; the result
    /// has the promoted dtype of both.
    ///
    /// ```swift
    /// let both = mask.logicalAnd(x.gt(0.0))
    /// ```
    public func logicalAnd(_ other: Tensor) -> Tensor { checked { try logical(other, "logicalAnd") { $0 * $1 } } }

    /// 1 where either element is nonzero (PyTorch's `torch.logical_or`), with broadcasting.
    public func logicalOr(_ other: Tensor) -> Tensor { checked { try logical(other, "logicalOr") { $0.maximum($1) } } }

    /// 1 where exactly one element is nonzero (PyTorch's `torch.logical_xor`), with broadcasting.
    public func logicalXor(_ other: Tensor) -> Tensor { checked { try logical(other, "logicalXor") { $0.ne($1) } } }

    /// `combine` applied to the 0/1 truth values of both tensors in their promoted dtype.
    private func logical(_ other: Tensor, _ op: String, _ combine: (Tensor, Tensor) -> Tensor) throws -> Tensor {
        let type = Tensor.resultType(self, other)
        if shape != other.shape { _ = try Broadcast.shape(shape, other.shape, op: op) }
        return GradMode.noGrad { combine(detached(as: type).ne(0), other.detached(as: type).ne(0)) }
    }

    /// 1 if any element over `axes` (all when nil; none when empty, as in PyTorch) is nonzero, else 0 (PyTorch's `torch.any`; NaN counts
    /// as true, and an empty reduction gives 0), in this tensor's dtype.
    ///
    /// ```swift
    /// let hasNaN = x.isNaN().any().item() != 0
    /// ```
    public func any(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        checked { try truthReduction(axes, keepDims, "any", empty: 0) { $0.amax(axes: $1, keepDims: keepDims) } }
    }

    /// 1 if every element over `axes` (all when nil; none when empty, as in PyTorch) is nonzero, else 0 (PyTorch's `torch.all`; an empty
    /// reduction gives 1), in this tensor's dtype.
    public func all(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        checked { try truthReduction(axes, keepDims, "all", empty: 1) { $0.amin(axes: $1, keepDims: keepDims) } }
    }

    private func truthReduction(_ axes: [Int]?, _ keepDims: Bool, _ op: String, empty: Double,
                                _ reduce: (Tensor, [Int]) -> Tensor) throws -> Tensor {
        // An empty list reduces nothing (the truth values themselves), as PyTorch's all/any(dim=()).
        let ax = try normalizedAxes(axes, op: op, emptyMeansAll: false)
        if ax.contains(where: { shape[$0] == 0 }) {
            return Tensor.full(reducedShape(ax, keepDims: keepDims), value: empty, dtype: dtype)
        }
        if ax.isEmpty { return GradMode.noGrad { detach().ne(0) } }
        return GradMode.noGrad { reduce(detach().ne(0), ax) }
    }
}
