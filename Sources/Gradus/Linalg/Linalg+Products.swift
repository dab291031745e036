extension Linalg {
    /// The n-th power of each square matrix (PyTorch's `torch.linalg.matrix_power`): the identity for
    /// n = 0, repeated squaring for n > 0, the inverse's power for n < 0 (an error for a singular
    /// matrix). Differentiable, as the products and inverse it is made of.
    ///
    /// - Parameters:
    ///   - a: `[…, m, m]`.
    ///   - n: the exponent.
    /// - Returns: `[…, m, m]`.
    ///
    /// ```swift
    /// let fibonacci = Linalg.matrixPower(Tensor([[1.0, 1.0], [1.0, 0.0]]), 10)   // [[89, 55], [55, 34]]
    /// ```
    public static func matrixPower(_ a: Tensor, _ n: Int) -> Tensor {
        checked {
            let op = "linalg.matrix_power"
            try require(a.rank >= 2 && a.shape[a.rank - 1] == a.shape[a.rank - 2],
                        "\(op): expected square matrices ([…, m, m]), got shape \(a.shape)", .shapeMismatch)
            try require(a.dtype.isFloatingPoint || n >= 0, "\(op): a negative power of an integer matrix needs its inverse; convert it to a floating-point dtype", .dtypeMismatch)
            let m = a.shape[a.rank - 1]
            if n == 0 { return Tensor.eye(m, dtype: a.dtype).expand(a.shape).contiguous() }
            var base = n < 0 ? inv(a) : a
            var exponent = n.magnitude
            var result: Tensor? = nil
            while exponent > 0 {
                if exponent & 1 == 1 { result = result.map { $0.matmul(base) } ?? base }
                exponent >>= 1
                if exponent > 0 { base = base.matmul(base) }
            }
            return result!
        }
    }

    /// The product of a chain of matrices, multiplied in the order that needs the fewest operations
    /// (PyTorch's `torch.linalg.multi_dot`). The first tensor may be a vector (a row) and the last one a
    /// vector (a column); every other one is a matrix.
    ///
    /// - Parameter tensors: at least two tensors whose inner sizes match.
    /// - Returns: the product; a vector end removes its dimension, as in PyTorch.
    ///
    /// ```swift
    /// let y = Linalg.multiDot([a, b, c, v])   // a·(b·(c·v)) when that is cheapest
    /// ```
    public static func multiDot(_ tensors: [Tensor]) -> Tensor {
        checked {
            let op = "linalg.multi_dot"
            try require(tensors.count >= 2, "\(op): expected at least 2 tensors, got \(tensors.count)", .invalidArgument)
            var matrices = tensors
            let rowVector = matrices[0].rank == 1, columnVector = matrices[matrices.count - 1].rank == 1
            if rowVector { matrices[0] = matrices[0].unsqueeze(0) }
            if columnVector { matrices[matrices.count - 1] = matrices[matrices.count - 1].unsqueeze(1) }
            for (i, t) in matrices.enumerated() {
                try require(t.rank == 2, "\(op): tensor \(i) must be a matrix\(i == 0 || i == tensors.count - 1 ? " or a vector" : ""), got shape \(tensors[i].shape)", .shapeMismatch)
                if i > 0 {
                    try require(matrices[i - 1].shape[1] == t.shape[0],
                                "\(op): tensors \(i - 1) and \(i) do not match (shapes \(tensors[i - 1].shape) and \(tensors[i].shape))", .shapeMismatch)
                }
            }
            // The classic chain-order dynamic program over the dimensions d₀ … d_k.
            let k = matrices.count
            let d = [matrices[0].shape[0]] + matrices.map { $0.shape[1] }
            var cost = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            var split = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
            for length in 1..<k {
                for i in 0..<(k - length) {
                    let j = i + length
                    cost[i][j] = .infinity
                    for s in i..<j {
                        let c = cost[i][s] + cost[s + 1][j] + Double(d[i]) * Double(d[s + 1]) * Double(d[j + 1])
                        if c < cost[i][j] { cost[i][j] = c; split[i][j] = s }
                    }
                }
            }
            func product(_ i: Int, _ j: Int) -> Tensor {
                i == j ? matrices[i] : product(i, split[i][j]).matmul(product(split[i][j] + 1, j))
            }
            var result = product(0, k - 1)
            if columnVector { result = result.squeeze(1) }
            if rowVector { result = result.squeeze(0) }
            return result
        }
    }

    /// The solution X of A·X = B (or X·A = B) for triangular A (PyTorch's
    /// `torch.linalg.solve_triangular`): only the triangle `upper` selects is read, with ones on the
    /// diagonal when `unitriangular`. The gradient with respect to A lies in that triangle, as PyTorch's.
    /// A zero on the diagonal is an error (PyTorch answers infinities there).
    ///
    /// - Parameters:
    ///   - a: `[…, n, n]`.
    ///   - b: `[…, n, k]` (`[…, k, n]` when `left` is false).
    ///   - upper: whether A is upper- (true) or lower-triangular.
    ///   - left: solve A·X = B (default) or X·A = B.
    ///   - unitriangular: take A's diagonal as ones, without reading it.
    /// - Returns: X, shaped like B after broadcasting.
    ///
    /// ```swift
    /// let l = Linalg.cholesky(sigma)
    /// let z = Linalg.solveTriangular(l, residuals, upper: false)   // L⁻¹·r
    /// ```
    public static func solveTriangular(_ a: Tensor, _ b: Tensor, upper: Bool, left: Bool = true,
                                       unitriangular: Bool = false) -> Tensor {
        checked {
            let op = "linalg.solve_triangular"
            try require(a.rank >= 2 && a.shape[a.rank - 1] == a.shape[a.rank - 2],
                        "\(op): A must be square matrices ([…, n, n]), got shape \(a.shape)", .shapeMismatch)
            try require(b.rank >= 2, "\(op): B must be a matrix or a batch of matrices, got shape \(b.shape)", .shapeMismatch)
            var triangle = upper ? a.triu() : a.tril()
            if unitriangular {
                let n = a.shape[a.rank - 1]
                triangle = triangle - triangle.diagonal().diagonalMatrices() + Tensor.eye(n, dtype: a.dtype)
            }
            return solve(triangle, b, left: left)
        }
    }

    /// The vector norm over `axes` (all when nil or empty; PyTorch's `torch.linalg.vector_norm`): the
    /// same as ``Tensor/norm(p:axes:keepDims:)``.
    ///
    /// ```swift
    /// let lengths = Linalg.vectorNorm(rows, axes: [1])
    /// ```
    public static func vectorNorm(_ x: Tensor, ord: Double = 2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        x.norm(p: ord, axes: axes, keepDims: keepDims)
    }
}
