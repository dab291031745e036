// Diagonals of matrices (PyTorch's `torch.diagonal`, `torch.diag`, `torch.trace`): views and index
// maps over the flattened matrix, so gradients come from `indexSelect` and `indexAdd`.

extension Tensor {
    /// The flat positions of the diagonal `offset` of an `rows × columns` matrix (above the main one
    /// for positive offsets).
    private static func diagonalPositions(rows: Int, columns: Int, offset: Int) -> [Int] {
        let start = offset >= 0 ? offset : -offset * columns
        let length = offset >= 0 ? Swift.max(0, Swift.min(rows, columns - offset)) : Swift.max(0, Swift.min(rows + offset, columns))
        return (0..<length).map { start + $0 * (columns + 1) }
    }

    /// The diagonal `offset` of the matrices in the last two dimensions: `[…, R, C]` gives `[…, L]`
    /// (PyTorch's `torch.diagonal(x, offset, dim1=-2, dim2=-1)`).
    ///
    /// - Parameter offset: 0 for the main diagonal, positive above it, negative below.
    ///
    /// ```swift
    /// Tensor.eye(3).diagonal()   // [1, 1, 1]
    /// ```
    public func diagonal(offset: Int = 0) -> Tensor {
        checked {
            try require(rank >= 2, "diagonal: needs a matrix (at least 2 dimensions), got shape \(shape)", .shapeMismatch)
            try require(offset > Int.min / 2 && offset < Int.max / 2, "diagonal: offset \(offset) is too large", .invalidArgument)
            let (r, c) = (shape[rank - 2], shape[rank - 1])
            let positions = Tensor.diagonalPositions(rows: r, columns: c, offset: offset)
            let flat = reshape(Array(shape.dropLast(2)) + [r * c])
            return flat.indexSelect(axis: rank - 2, index: Tensor(shape: [positions.count], integers: positions))
        }
    }

    /// PyTorch's `torch.diag`: of a vector, the square matrix with it on diagonal `offset` (zeros
    /// elsewhere); of a matrix, its diagonal `offset` as a vector.
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).diag()               // [[1, 0], [0, 2]]
    /// Tensor([1.0, 2.0]).diag(offset: 1)      // [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    /// ```
    public func diag(offset: Int = 0) -> Tensor {
        checked {
            try require(rank == 1 || rank == 2, "diag: needs a vector or a matrix, got shape \(shape)", .shapeMismatch)
            if rank == 2 { return diagonal(offset: offset) }
            try require(offset > -(1 << 24) && offset < 1 << 24, "diag: offset \(offset) is too large", .invalidArgument)
            let n = count + Swift.abs(offset)
            _ = try Tensor.elementCount([n, n], op: "diag")
            let positions = Tensor.diagonalPositions(rows: n, columns: n, offset: offset)
            let zeros = try Tensor.checkedZeros([n * n], dtype: dtype, op: "diag")
            guard dtype.isFloatingPoint else {
                // int64: no gradient, written directly.
                let out = zeros, source = intScalars
                let p = out.pointer(Int64.self)
                for (k, position) in positions.enumerated() { p[position] = Int64(source[k]) }
                return out.reshape([n, n])
            }
            return zeros.indexAdd(axis: 0, index: Tensor(shape: [positions.count], integers: positions), source: self)
                .reshape([n, n])
        }
    }

    /// The sum of the main diagonal of a matrix (PyTorch's `torch.trace`).
    ///
    /// ```swift
    /// Tensor.eye(4).trace()   // 4
    /// ```
    public func trace() -> Tensor {
        checked {
            try require(rank == 2, "trace: needs a matrix, got shape \(shape)", .shapeMismatch)
            return diagonal().sum()
        }
    }
}
