/// Linear algebra on matrices and batches of matrices (PyTorch's `torch.linalg`): inverse,
/// determinants, solving linear systems, Cholesky, symmetric eigendecomposition and singular value
/// decomposition, each differentiable with PyTorch's backward rules.
///
/// Every function takes `[…, m, n]` tensors: the last two dimensions are the matrix, the leading ones a
/// batch. Results keep the input's dtype (Float32 or Float64); the factorizations run in Float64 through
/// LAPACK (OpenBLAS's), so Float32 results are the Float64 ones rounded once. A matrix the operation
/// cannot handle (singular for ``inv(_:)`` and ``solve(_:_:left:)``, not positive-definite for
/// ``cholesky(_:upper:)``, non-finite for the iterative ``eigh(_:)`` and ``svd(_:fullMatrices:)``) is a
/// ``GradusError`` naming the operation and the matrix, as every failed operation is.
///
/// ```swift
/// let a = Tensor([[4.0, 1.0], [1.0, 3.0]])
/// let x = Linalg.solve(a, Tensor([1.0, 2.0]))     // a · x = [1, 2]
/// let l = Linalg.cholesky(a)                        // l · lᵀ = a
/// let (values, vectors) = Linalg.eigh(a)
/// ```
public enum Linalg {}

/// The matrices of a `[…, m, n]` tensor as Float64 values, read one at a time in LAPACK's column-major
/// order, and the results written back row by row.
struct LinalgBatch {
    /// The leading (batch) dimensions.
    let batchShape: [Int]
    /// How many matrices.
    let count: Int
    let rows: Int, columns: Int
    /// All matrices, row-major, one after the other.
    let values: [Double]

    /// Reads `a`'s matrices after checking that `a` is a floating-point `[…, m, n]` tensor (square when
    /// `square`) whose sizes LAPACK can take.
    init(_ a: Tensor, op: String, square: Bool) throws {
        try require(a.rank >= 2, "\(op): expected a matrix or a batch of matrices ([…, m, n]), got shape \(a.shape)", .shapeMismatch)
        try a.requireFloat(op)
        rows = a.shape[a.rank - 2]
        columns = a.shape[a.rank - 1]
        if square {
            try require(rows == columns, "\(op): expected square matrices, got shape \(a.shape) (\(rows) × \(columns))", .shapeMismatch)
        }
        let (area, overflow) = rows.multipliedReportingOverflow(by: columns)
        try require(!overflow && LAPACK.fits(rows, columns, area),
                    "\(op): matrices of \(rows) × \(columns) are larger than LAPACK's 32-bit sizes", .invalidArgument)
        batchShape = Array(a.shape.dropLast(2))
        count = batchShape.reduce(1, *)
        values = GradMode.noGrad { a.detach().to(.float64).contiguous() }.scalars(as: Double.self)
    }

    /// Matrix `index` in column-major order.
    func columnMajor(_ index: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * columns)
        let base = index * rows * columns
        for i in 0..<rows { for j in 0..<columns { out[i + j * rows] = values[base + i * columns + j] } }
        return out
    }

    /// Each square matrix replaced in place by `transform` (a LAPACK call on the column-major matrix
    /// returning LAPACK's `info`), as one row-major array of the input's shape; `failure` gives the
    /// message for a nonzero `info` and the matrix's place in the batch. Empty matrices skip the loop.
    func mapSquareMatrices(_ transform: (inout [Double], Int) -> Int, failure: (Int, String) -> String) throws -> [Double] {
        let n = rows
        var out: [Double] = []
        out.reserveCapacity(values.count)
        for b in 0..<(n == 0 ? 0 : count) {
            var m = columnMajor(b)
            let info = transform(&m, n)
            try require(info == 0, failure(info, label(b)), .invalidArgument)
            LinalgBatch.appendRowMajor(m, rows: n, columns: n, to: &out)
        }
        return out
    }

    /// Where a matrix sits in the message of a failed batch element: "" for a single matrix.
    func label(_ index: Int) -> String {
        guard !batchShape.isEmpty else { return "" }
        var rest = index, position = [Int](repeating: 0, count: batchShape.count)
        for d in stride(from: batchShape.count - 1, through: 0, by: -1) where batchShape[d] > 0 {
            position[d] = rest % batchShape[d]
            rest /= batchShape[d]
        }
        return " at batch index \(position)"
    }

    /// Whether any matrix has no element (then no factorization runs: the results follow from the shapes).
    var matricesAreEmpty: Bool { rows == 0 || columns == 0 }

    /// Refuses results of `counts` Float64 elements in all, or sizes that overflow, that this machine's
    /// memory cannot hold, before any is allocated (a batch of empty matrices can ask for huge results).
    static func requireMemory(_ counts: [[Int]], op: String) throws {
        var total = 0
        for factors in counts {
            var count = 1
            for f in factors {
                let (c, overflow) = count.multipliedReportingOverflow(by: f)
                try require(!overflow, "\(op): the results' sizes overflow", .outOfMemory)
                count = c
            }
            let (t, overflow) = total.addingReportingOverflow(count)
            try require(!overflow, "\(op): the results' sizes overflow", .outOfMemory)
            total = t
        }
        try require(total <= TensorStorage.physicalMemoryBytes / 8,
                    "\(op): the results would need \(MemoryBudget.describe(total.multipliedReportingOverflow(by: 8).overflow ? Int.max : total * 8)), more than this machine's memory (\(MemoryBudget.describe(TensorStorage.physicalMemoryBytes)))",
                    .outOfMemory)
    }

    /// The index of the first matrix holding NaN or an infinity, if any.
    var firstNonFinite: Int? {
        guard let i = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return i / Swift.max(rows * columns, 1)
    }


    /// Appends the column-major `r × c` matrix `m` to `out` in row-major order.
    static func appendRowMajor(_ m: [Double], rows r: Int, columns c: Int, to out: inout [Double]) {
        for i in 0..<r { for j in 0..<c { out.append(m[i + j * r]) } }
    }
}

extension Tensor {
    /// The transpose of the matrices in the last two dimensions, `[…, m, n]` → `[…, n, m]` (PyTorch's
    /// `Tensor.mT`); a view.
    ///
    /// ```swift
    /// let gram = x.mT.matmul(x)
    /// ```
    public var mT: Tensor {
        checked {
            try require(rank >= 2, "mT: needs at least 2 dimensions, got shape \(shape)", .shapeMismatch)
            return transpose(-1, -2)
        }
    }

    /// Whether every element is zero (a gradient that no loss term reached).
    var isAllZero: Bool { GradMode.noGrad { detach().scalars(as: Double.self) }.allSatisfy { $0 == 0 } }

    /// `[…, k]` → `[…, k, k]` matrices with these values on the diagonal (differentiable).
    func diagonalMatrices() -> Tensor {
        let k = shape[rank - 1]
        return unsqueeze(-1) * Tensor.eye(k, dtype: dtype)
    }
}
