extension Linalg {
    /// The Moore–Penrose pseudoinverse of each matrix (PyTorch's `torch.linalg.pinv`), from the singular
    /// value decomposition: singular values at most max(`atol`, `rtol`·σ_max) count as zero. Without
    /// tolerances, `rtol` is max(m, n)·ε of the dtype (PyTorch's default).
    ///
    /// The gradient is PyTorch's (Golub and Pereyra's formula in A and A⁺), correct where the rank does
    /// not change under small perturbations; differentiable again.
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - atol: the absolute tolerance (default 0).
    ///   - rtol: the tolerance relative to the largest singular value.
    /// - Returns: `[…, n, m]`.
    ///
    /// ```swift
    /// let x = Linalg.pinv(a).matmul(b)   // the least-squares solution of minimum norm
    /// ```
    public static func pinv(_ a: Tensor, atol: Double? = nil, rtol: Double? = nil) -> Tensor {
        checked {
            let op = "linalg.pinv"
            try require(a.rank >= 2, "\(op): expected a matrix or a batch of matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
            let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
            let relative = try relativeTolerance(a, atol: atol, rtol: rtol, op: op)
            // Computed without recording: the backward rule below is PyTorch's, in A and A⁺ only.
            let (u, s, vh) = GradMode.noGrad { svd(a.detach(), fullMatrices: false) }
            try GradusError.throwIfRecorded()
            // Cut-off per matrix: max(atol, rtol · σ_max); 1/σ above it, 0 below.
            let y = GradMode.noGrad { () -> Tensor in
                let largest = s.shape.last == 0 ? s.sum(axes: [-1], keepDims: true) : s.amax(axes: [-1], keepDims: true)
                let cutoff = (largest * relative).maximum(Tensor.full(like: largest, value: atol ?? 0))
                let kept = s.gt(cutoff)
                let inverted = Tensor.where(kept, 1 / Tensor.where(kept, s, Tensor.ones(like: s)), Tensor.zeros(like: s))
                return (vh.mT * inverted.unsqueeze(-2)).matmul(u.mT)
            }
            Tensor.record(op, output: y, inputs: [a]) { g, pinvA in [pinvBackward(g, pinvA: pinvA, a: a, m: m, n: n)] }
            return y
        }
    }

    /// PyTorch's `pinv_backward`, in tensor operations.
    private static func pinvBackward(_ g: Tensor, pinvA: Tensor, a: Tensor, m: Int, n: Int) -> Tensor {
        let pinvAT = pinvA.mT, gT = g.mT
        if m <= n {
            let k = gT.matmul(pinvA)
            let kPinvAT = k.matmul(pinvAT)
            return -(pinvA.matmul(k)).mT + kPinvAT - a.matmul(pinvA).matmul(kPinvAT)
                + pinvAT.matmul(pinvA).matmul(gT - k.matmul(a))
        }
        let k = pinvA.matmul(gT)
        let pinvATK = pinvAT.matmul(k)
        return -(k.matmul(pinvA)).mT + (gT - a.matmul(k)).matmul(pinvA).matmul(pinvAT) + pinvATK
            - pinvATK.matmul(pinvA).matmul(a)
    }

    /// The least-squares solution X minimizing ‖A·X − B‖ (of minimum norm when A is rank-deficient):
    /// A⁺·B, differentiable. PyTorch's `torch.linalg.lstsq(A, B).solution` (its other results are not
    /// computed); for rank-deficient A the rank is decided by ``pinv(_:atol:rtol:)``'s singular-value
    /// cut-off, as PyTorch's `gelsd` driver does, where its CPU default `gelsy` uses a condition estimate.
    /// B is a vector when it has one dimension less than A.
    ///
    /// - Parameters:
    ///   - a: `[…, m, n]`.
    ///   - b: `[…, m, k]` or `[…, m]`.
    /// - Returns: `[…, n, k]` or `[…, n]`.
    ///
    /// ```swift
    /// // Fit y ≈ w·x + c to points (x, y):
    /// let design = Tensor.stack([xs, Tensor.ones(like: xs)], axis: 1)   // [N, 2]
    /// let coefficients = Linalg.lstsq(design, ys)                       // [w, c]
    /// ```
    public static func lstsq(_ a: Tensor, _ b: Tensor) -> Tensor {
        checked {
            let op = "linalg.lstsq"
            try require(a.rank >= 2, "\(op): A must be a matrix or a batch of matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
            try require(a.dtype == b.dtype, "\(op): A and B must have the same dtype, got \(a.dtype) and \(b.dtype)", .dtypeMismatch)
            let vector = b.rank == a.rank - 1
            let rhs = vector ? b.unsqueeze(-1) : b
            try require(rhs.rank >= 2 && rhs.shape[rhs.rank - 2] == a.shape[a.rank - 2],
                        "\(op): B of shape \(b.shape) does not match A of shape \(a.shape) (it needs \(a.shape[a.rank - 2]) rows)", .shapeMismatch)
            let x = pinv(a).matmul(rhs)
            return vector ? x.squeeze(-1) : x
        }
    }

    /// The relative tolerance of a singular-value cut-off max(atol, rtol·σ_max), after checking both:
    /// `rtol` when given, else max(m, n)·ε of the dtype when `atol` is nil or 0, else 0 (PyTorch's rule).
    static func relativeTolerance(_ a: Tensor, atol: Double?, rtol: Double?, op: String) throws -> Double {
        for (name, value) in [("atol", atol), ("rtol", rtol)] {
            if let value { try require(value.isFinite && value >= 0, "\(op): \(name) must be a finite number ≥ 0, got \(value)", .invalidArgument) }
        }
        let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let epsilon = a.dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
        return rtol ?? (atol == nil || atol == 0 ? Double(Swift.max(m, n)) * epsilon : 0)
    }
}
