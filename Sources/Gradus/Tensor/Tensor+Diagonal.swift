// Diagonals of matrices (PyTorch's `torch.diagonal`, `torch.diag`, `torch.trace`). `diagonal` is a
// strided view, as PyTorch's (writing into it writes into the matrix); `diag` of a vector builds the
// matrix with `indexAdd`, whose adjoint picks the diagonal back.

extension Tensor {
    /// The diagonal `offset` of an `rows × columns` matrix: its first position (row, column) and length
    /// (0 when the offset lies outside the matrix, without computing anything that could overflow).
    private static func diagonalExtent(rows: Int, columns: Int, offset: Int) -> (row: Int, column: Int, length: Int) {
        if offset >= columns || offset <= -rows { return (0, 0, 0) }   // no negation: Int.min
        return offset >= 0 ? (0, offset, Swift.min(rows, columns - offset)) : (-offset, 0, Swift.min(rows + offset, columns))
    }

    /// The diagonal `offset` of the matrices in the last two dimensions: `[…, R, C]` gives `[…, L]`
    /// (PyTorch's `torch.diagonal(x, offset, dim1=-2, dim2=-1)`). A view, as in PyTorch: writing into it
    /// (in place) writes into this tensor.
    ///
    /// - Parameter offset: 0 for the main diagonal, positive above it, negative below.
    ///
    /// ```swift
    /// Tensor.eye(3).diagonal()   // [1, 1, 1]
    /// GradMode.noGrad { _ = m.diagonal().fillInPlace(0) }   // clears m's diagonal
    /// ```
    public func diagonal(offset: Int = 0) -> Tensor {
        checked {
            try require(rank >= 2, "diagonal: needs a matrix (at least 2 dimensions), got shape \(shape)", .shapeMismatch)
            let (r, c) = (shape[rank - 2], shape[rank - 1])
            let (row, column, length) = Tensor.diagonalExtent(rows: r, columns: c, offset: offset)
            let outShape = Array(shape.dropLast(2)) + [length]
            var viewStrides = Array(strides.dropLast(2)) + [length > 1 ? strides[rank - 2] + strides[rank - 1] : 1]
            let viewOffset = storageOffset + (length > 0 ? row * strides[rank - 2] + column * strides[rank - 1] : 0)
            if length == 0 { viewStrides[viewStrides.count - 1] = 1 }
            let out = makeView(shape: outShape, strides: viewStrides, offset: viewOffset)
            // For the backward pass: the diagonal's place in a contiguous tensor of this shape.
            let contiguous = contiguousStrides(shape)
            let regionStrides = Array(contiguous.dropLast(2)) + [contiguous[rank - 2] + contiguous[rank - 1]]
            let regionOffset = length > 0 ? row * contiguous[rank - 2] + column * contiguous[rank - 1] : 0
            let inputShape = shape
            record("diagonal", output: out, inputs: [self]) { g, _ in [g.sliceBackward(inputShape, regionStrides, regionOffset)] }
            return out
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
            if rank == 2 { return diagonal(offset: offset).contiguous().clone() }   // a copy, as torch.diag
            try require(offset > -(1 << 24) && offset < 1 << 24, "diag: offset \(offset) is too large", .invalidArgument)
            let n = count + Swift.abs(offset)
            _ = try Tensor.elementCount([n, n], op: "diag")
            let (row, column, length) = Tensor.diagonalExtent(rows: n, columns: n, offset: offset)
            let positions = (0..<length).map { (row + $0) * n + column + $0 }
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

extension Tensor {
    /// The block-diagonal matrix with `blocks` along its diagonal and zeros elsewhere (PyTorch's
    /// `torch.block_diag`). A scalar counts as a 1 × 1 block and a vector of n elements as a 1 × n block;
    /// the element type is the blocks' promoted one; no blocks give a `[1, 0]` matrix. Differentiable in
    /// every block.
    ///
    /// - Parameter blocks: tensors of at most two dimensions.
    ///
    /// ```swift
    /// Tensor.blockDiag([Tensor(scalar: 1), Tensor([2, 3]), Tensor.ones([2, 2])])   // 4 × 5
    /// ```
    public static func blockDiag(_ blocks: [Tensor]) -> Tensor {
        checked {
            let dtype = blocks.dropFirst().reduce(blocks.first?.dtype ?? .float32) { DType.promoted($0, $1.dtype) }
            guard !blocks.isEmpty else { return Tensor.zeros([1, 0], dtype: dtype) }
            var matrices: [Tensor] = []
            for (i, b) in blocks.enumerated() {
                try require(b.rank <= 2, "blockDiag: block \(i) has \(b.rank) dimensions (shape \(b.shape)); blocks have at most 2",
                            .shapeMismatch)
                let m = b.rank == 2 ? b : b.reshape([1, b.count])
                matrices.append(m.dtype == dtype ? m : m.to(dtype))
            }
            let columns = matrices.reduce(0) { $0 + $1.shape[1] }
            let rows = matrices.reduce(0) { $0 + $1.shape[0] }
            try require(rows.multipliedReportingOverflow(by: columns).overflow == false,
                        "blockDiag: a \(rows) × \(columns) matrix has more elements than an Int holds", .shapeMismatch)
            var left = 0
            let strips = matrices.map { m -> Tensor in
                let (r, c) = (m.shape[0], m.shape[1])
                let strip = Tensor.concatenate([Tensor.zeros([r, left], dtype: dtype), m,
                                                Tensor.zeros([r, columns - left - c], dtype: dtype)], axis: 1)
                left += c
                return strip
            }
            return Tensor.concatenate(strips, axis: 0)
        }
    }
}
