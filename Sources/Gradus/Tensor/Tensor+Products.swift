// Products PyTorch names apart from `matmul`: batched matrix products (`torch.bmm`), outer products
// (`torch.outer`), cross products of 3-vectors (`torch.linalg.cross`), products added to a scaled
// tensor (`torch.addmm`, `addmv`, `baddbmm`), contractions over chosen dimensions (`torch.tensordot`)
// and Kronecker products (`torch.kron`). Compositions of differentiable operations.

extension Tensor {
    /// The matrix products of two batches, `[B, N, M]` · `[B, M, P]` → `[B, N, P]` (PyTorch's
    /// `torch.bmm`, which, unlike ``matmul(_:)``, neither broadcasts nor takes other ranks).
    ///
    /// ```swift
    /// let scores = queries.bmm(keys.transpose(1, 2))
    /// ```
    public func bmm(_ other: Tensor) -> Tensor {
        checked {
            try require(rank == 3 && other.rank == 3, "bmm: needs two batches of matrices [B, N, M] and [B, M, P], got \(shape) and \(other.shape)", .shapeMismatch)
            try require(shape[0] == other.shape[0] && shape[2] == other.shape[1],
                        "bmm: batches \(shape) and \(other.shape) do not multiply (batch sizes and inner sizes must match)", .shapeMismatch)
            return matmul(other)
        }
    }

    /// The outer product of two vectors: `[N]` and `[M]` give `[N, M]` with `out[i, j] = a[i] · b[j]`
    /// (PyTorch's `torch.outer`).
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).outer(Tensor([1.0, 10.0, 100.0]))   // [[1, 10, 100], [2, 20, 200]]
    /// ```
    public func outer(_ other: Tensor) -> Tensor {
        checked {
            try require(rank == 1 && other.rank == 1, "outer: needs two vectors, got \(shape) and \(other.shape)", .shapeMismatch)
            return unsqueeze(1) * other.unsqueeze(0)
        }
    }

    /// The cross product of 3-vectors along `axis` (PyTorch's `torch.linalg.cross`), the two tensors
    /// broadcast together.
    ///
    /// - Parameters:
    ///   - other: the second vectors, broadcast against this tensor.
    ///   - axis: a dimension of size 3 (default −1).
    ///
    /// ```swift
    /// Tensor([1.0, 0, 0]).cross(Tensor([0.0, 1, 0]))   // [0, 0, 1]
    /// ```
    public func cross(_ other: Tensor, axis: Int = -1) -> Tensor {
        checked {
            let target = try Broadcast.shape(shape, other.shape, op: "cross")
            let a = shape == target ? self : expand(target), b = other.shape == target ? other : other.expand(target)
            let d = try a.axis(axis, op: "cross")
            try require(target[d] == 3, "cross: dimension \(d) of \(target) must have size 3", .shapeMismatch)
            func component(_ t: Tensor, _ i: Int) -> Tensor { t.select(axis: d, index: i) }
            let x = component(a, 1) * component(b, 2) - component(a, 2) * component(b, 1)
            let y = component(a, 2) * component(b, 0) - component(a, 0) * component(b, 2)
            let z = component(a, 0) * component(b, 1) - component(a, 1) * component(b, 0)
            return Tensor.stack([x, y, z], axis: d)
        }
    }

    /// `beta · self + alpha · (mat1 · mat2)` (PyTorch's `torch.addmm`), this tensor broadcast to the
    /// product's shape `[N, P]`. With `beta` 0 this tensor's values are ignored (NaN in it does not
    /// propagate), as in PyTorch.
    ///
    /// - Parameters:
    ///   - mat1: `[N, M]`.
    ///   - mat2: `[M, P]`.
    ///   - beta: the factor of this tensor.
    ///   - alpha: the factor of the product.
    ///
    /// ```swift
    /// let y = bias.addmm(x, weight.t)   // x · wᵀ + b
    /// ```
    public func addmm(_ mat1: Tensor, _ mat2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        checked {
            try require(mat1.rank == 2 && mat2.rank == 2, "addmm: needs two matrices, got shapes \(mat1.shape) and \(mat2.shape)", .shapeMismatch)
            try require(mat1.shape[1] == mat2.shape[0], "addmm: matrices \(mat1.shape) and \(mat2.shape) do not multiply", .shapeMismatch)
            return try scaledSum(mat1.matmul(mat2), beta: beta, alpha: alpha, op: "addmm")
        }
    }

    /// `beta · self + alpha · (mat · vec)` (PyTorch's `torch.addmv`), this tensor broadcast to `[N]`.
    ///
    /// - Parameters:
    ///   - mat: `[N, M]`.
    ///   - vec: `[M]`.
    ///   - beta: the factor of this tensor (0 ignores its values).
    ///   - alpha: the factor of the product.
    ///
    /// ```swift
    /// let y = bias.addmv(weight, x)
    /// ```
    public func addmv(_ mat: Tensor, _ vec: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        checked {
            try require(mat.rank == 2 && vec.rank == 1, "addmv: needs a matrix and a vector, got shapes \(mat.shape) and \(vec.shape)", .shapeMismatch)
            try require(mat.shape[1] == vec.shape[0], "addmv: matrix \(mat.shape) and vector \(vec.shape) do not multiply", .shapeMismatch)
            return try scaledSum(mat.matmul(vec), beta: beta, alpha: alpha, op: "addmv")
        }
    }

    /// `beta · self + alpha · (batch1 · batch2)` for batches of matrices (PyTorch's `torch.baddbmm`),
    /// this tensor broadcast to `[B, N, P]`.
    ///
    /// - Parameters:
    ///   - batch1: `[B, N, M]`.
    ///   - batch2: `[B, M, P]`.
    ///   - beta: the factor of this tensor (0 ignores its values).
    ///   - alpha: the factor of the products.
    ///
    /// ```swift
    /// let scores = mask.baddbmm(q, k.transpose(1, 2), alpha: 1 / 8)
    /// ```
    public func baddbmm(_ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        checked { try scaledSum(batch1.bmm(batch2), beta: beta, alpha: alpha, op: "baddbmm") }
    }

    /// beta · self + alpha · product, with this tensor broadcast to the product's shape (and ignored
    /// when beta is 0).
    private func scaledSum(_ product: Tensor, beta: Double, alpha: Double, op: String) throws -> Tensor {
        let target = product.shape
        try require((try? Broadcast.shape(shape, target, op: op)) == target,
                    "\(op): the added tensor of shape \(shape) does not broadcast to the product's shape \(target)", .shapeMismatch)
        let scaled = alpha == 1 ? product : product * alpha
        // beta 0: this tensor's values are not read, but it still gets its (zero) gradient, as in PyTorch,
        // and the result has the dtype it would have with any other beta.
        if beta == 0 {
            let type = Tensor.resultType(self, scaled)
            return requiresGrad ? scaled + maskedWhere(Tensor.ones([], dtype: dtype), 0) : scaled.to(type)
        }
        return (beta == 1 ? self : self * beta) + scaled
    }

    /// Sums of products over the last `dims` dimensions of this tensor and the first `dims` of `other`
    /// (PyTorch's `torch.tensordot` with an integer): the result has this tensor's other dimensions,
    /// then `other`'s. `dims` 0 gives the outer product.
    ///
    /// - Parameters:
    ///   - other: the second tensor.
    ///   - dims: how many dimensions to contract, from 0 to the smaller rank.
    ///
    /// ```swift
    /// Tensor.ones([2, 3, 4]).tensordot(Tensor.ones([3, 4, 5]), dims: 2).shape   // [2, 5]
    /// ```
    public func tensordot(_ other: Tensor, dims: Int) -> Tensor {
        checked {
            try require(dims >= 0 && dims <= Swift.min(rank, other.rank),
                        "tensordot: dims must be from 0 to \(Swift.min(rank, other.rank)) for shapes \(shape) and \(other.shape), got \(dims)",
                        .invalidArgument)
            return tensordot(other, axes: (Array((rank - dims)..<rank), Array(0..<dims)))
        }
    }

    /// Sums of products over the pairs of dimensions `axes.0[i]` of this tensor and `axes.1[i]` of
    /// `other` (PyTorch's `torch.tensordot` with two lists): the result has this tensor's remaining
    /// dimensions in order, then `other`'s. Gradients flow to both.
    ///
    /// - Parameters:
    ///   - other: the second tensor.
    ///   - axes: the dimensions to contract, as many of each, paired sizes equal (or one of them 1, which
    ///     is broadcast, as PyTorch does); negative values count from the end.
    ///
    /// ```swift
    /// let y = a.tensordot(b, axes: ([1, 2], [1, 0]))   // [2, 3, 4] and [4, 3, 5] -> [2, 5]
    /// ```
    public func tensordot(_ other: Tensor, axes: ([Int], [Int])) -> Tensor {
        checked {
            try require(axes.0.count == axes.1.count,
                        "tensordot: \(axes.0.count) axes of the first tensor against \(axes.1.count) of the second", .invalidArgument)
            let mine = try axes.0.map { try self.axis($0, op: "tensordot") }
            let theirs = try axes.1.map { try other.axis($0, op: "tensordot") }
            try require(Set(mine).count == mine.count && Set(theirs).count == theirs.count,
                        "tensordot: axes \(axes.0) and \(axes.1) must not repeat a dimension", .invalidArgument)
            // A paired dimension of size 1 against a larger one: the larger side is summed over it first (what
            // broadcasting the 1 would give, as PyTorch computes it), and the pair contracts with size 1.
            var x = self, y = other
            for (p, q) in zip(mine, theirs) where x.shape[p] != y.shape[q] {
                try require(x.shape[p] == 1 || y.shape[q] == 1,
                            "tensordot: dimension \(p) of \(shape) (size \(x.shape[p])) does not match dimension \(q) of \(other.shape) (size \(y.shape[q]))",
                            .shapeMismatch)
                if x.shape[p] == 1 { y = y.sum(axes: [q], keepDims: true) } else { x = x.sum(axes: [p], keepDims: true) }
            }
            let (a, b) = (x.shape, y.shape)
            let freeMine = (0..<rank).filter { !mine.contains($0) }
            let freeTheirs = (0..<other.rank).filter { !theirs.contains($0) }
            // Products of sizes checked for overflow: a tensor with an empty dimension may have others of any size.
            func product(_ dims: [Int], _ sizes: [Int]) throws -> Int {
                try dims.reduce(1) { total, d in
                    let (size, overflow) = total.multipliedReportingOverflow(by: sizes[d])
                    try require(!overflow, "tensordot: shapes \(shape) and \(other.shape) give a dimension too large", .shapeMismatch)
                    return size
                }
            }
            let contracted = try product(mine, a)
            let left = x.permute(freeMine + mine).reshape([try product(freeMine, a), contracted])
            let right = y.permute(theirs + freeTheirs).reshape([contracted, try product(freeTheirs, b)])
            return left.matmul(right).reshape(freeMine.map { a[$0] } + freeTheirs.map { b[$0] })
        }
    }

    /// The Kronecker product (PyTorch's `torch.kron`): every element of this tensor times a whole copy
    /// of `other`, in blocks. The tensor of lower rank gains leading dimensions of size 1; dimension i
    /// of the result has size `self.shape[i] · other.shape[i]`.
    ///
    /// - Parameter other: the block tensor.
    ///
    /// ```swift
    /// Tensor([[1.0, 2]]).kron(Tensor([1.0, 10]))   // [[1, 10, 2, 20]]
    /// ```
    public func kron(_ other: Tensor) -> Tensor {
        checked {
            let r = Swift.max(rank, other.rank)
            let a = [Int](repeating: 1, count: r - rank) + shape
            let b = [Int](repeating: 1, count: r - other.rank) + other.shape
            var outShape = [Int]()
            for (p, q) in zip(a, b) {
                let (size, overflow) = p.multipliedReportingOverflow(by: q)
                try require(!overflow, "kron: shapes \(shape) and \(other.shape) give a dimension too large", .shapeMismatch)
                outShape.append(size)
            }
            _ = try Tensor.elementCount(outShape, op: "kron")
            let spreadA = reshape(a.flatMap { [$0, 1] })
            let spreadB = other.reshape(b.flatMap { [1, $0] })
            return (spreadA * spreadB).reshape(outShape)
        }
    }
}
