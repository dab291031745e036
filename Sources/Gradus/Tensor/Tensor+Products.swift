// Products PyTorch names apart from `matmul`: batched matrix products (`torch.bmm`), outer products
// (`torch.outer`) and cross products of 3-vectors (`torch.linalg.cross`). Compositions of
// differentiable operations.

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
}
