// NumPy-style stacking and splitting (PyTorch's `hstack`, `vstack`, `dstack`, `column_stack`,
// `atleast_1d/2d/3d`, `tensor_split`, `hsplit`, `vsplit`, `dsplit`), `swapaxes`, `diag_embed`,
// `cartesian_prod`, `argwhere` and `tril_indices`/`triu_indices`. Each is a composition of Gradus's
// views, concatenation and scatter, so gradients flow through them as through those.

extension Tensor {
    /// This tensor with at least one dimension: a scalar becomes `[1]` (PyTorch's `atleast_1d`).
    public func atleast1d() -> Tensor { rank >= 1 ? self : reshape([1]) }

    /// This tensor with at least two dimensions: a scalar becomes `[1, 1]`, `[n]` becomes `[1, n]`
    /// (PyTorch's `atleast_2d`).
    public func atleast2d() -> Tensor { rank >= 2 ? self : reshape([1, rank == 1 ? shape[0] : 1]) }

    /// This tensor with at least three dimensions: a scalar becomes `[1, 1, 1]`, `[n]` becomes
    /// `[1, n, 1]`, `[m, n]` becomes `[m, n, 1]` (PyTorch's `atleast_3d`).
    public func atleast3d() -> Tensor {
        switch rank {
        case 0: return reshape([1, 1, 1])
        case 1: return reshape([1, shape[0], 1])
        case 2: return unsqueeze(2)
        default: return self
        }
    }

    /// Concatenates horizontally (PyTorch's `torch.hstack`): along axis 0 for 1-D tensors, axis 1 for
    /// the others (scalars count as `[1]`).
    ///
    /// ```swift
    /// Tensor.hstack([Tensor([1.0, 2.0]), Tensor([3.0])])   // [1, 2, 3]
    /// ```
    public static func hstack(_ tensors: [Tensor]) -> Tensor {
        let parts = tensors.map { $0.atleast1d() }
        return concatenate(parts, axis: parts.first?.rank == 1 ? 0 : 1)
    }

    /// Concatenates vertically, along axis 0 of tensors made at least 2-D (PyTorch's `torch.vstack`).
    ///
    /// ```swift
    /// Tensor.vstack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])   // [[1, 2], [3, 4]]
    /// ```
    public static func vstack(_ tensors: [Tensor]) -> Tensor { concatenate(tensors.map { $0.atleast2d() }, axis: 0) }

    /// Concatenates in depth, along axis 2 of tensors made at least 3-D (PyTorch's `torch.dstack`).
    ///
    /// ```swift
    /// Tensor.dstack([a, b])   // [m, n] and [m, n] -> [m, n, 2]
    /// ```
    public static func dstack(_ tensors: [Tensor]) -> Tensor { concatenate(tensors.map { $0.atleast3d() }, axis: 2) }

    /// Stacks 1-D tensors (and scalars) as columns, concatenating 2-D ones as they are (PyTorch's
    /// `torch.column_stack`).
    ///
    /// ```swift
    /// Tensor.columnStack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])   // [[1, 3], [2, 4]]
    /// ```
    public static func columnStack(_ tensors: [Tensor]) -> Tensor {
        concatenate(tensors.map { $0.rank <= 1 ? $0.reshape([$0.count, 1]) : $0 }, axis: 1)
    }

    /// Splits `axis` into `sections` parts as equal as possible, the first `size % sections` one larger
    /// (PyTorch's `tensor_split(sections)`); parts may be empty. Views of this tensor.
    ///
    /// ```swift
    /// Tensor.arange(7).tensorSplit(sections: 3)   // sizes 3, 2, 2
    /// ```
    public func tensorSplit(sections: Int, axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            // (Each part is a tensor of its own: an absurd count would exhaust memory listing empty parts.)
            try require(sections >= 1 && sections <= 1 << 24, "tensorSplit: sections must be in 1...\(1 << 24), got \(sections)", .invalidArgument)
            let a = try self.axis(axis, op: "tensorSplit")
            let (size, extra) = (shape[a] / sections, shape[a] % sections)
            var bounds: [Int] = [], start = 0
            for part in 0..<(sections - 1) {
                start += size + (part < extra ? 1 : 0)
                bounds.append(start)
            }
            return tensorSplit(indices: bounds, axis: a)
        }
    }

    /// Splits `axis` before each of `indices` (PyTorch's `tensor_split(indices)`): part k runs from
    /// index k − 1 to index k, each clamped to the axis (negative ones counted from its end), so parts
    /// may be empty, and a smaller index after a larger one starts its part further back, as in PyTorch.
    /// Views of this tensor.
    ///
    /// ```swift
    /// Tensor.arange(6).tensorSplit(indices: [1, 4])   // [0], [1, 2, 3], [4, 5]
    /// ```
    public func tensorSplit(indices: [Int], axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            let a = try self.axis(axis, op: "tensorSplit")
            let n = shape[a]
            func clamped(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
            var parts: [Tensor] = [], start = 0
            for i in indices + [n] {
                let end = clamped(i)
                parts.append(slice(axis: a, start: start, end: Swift.max(end, start)))
                start = end
            }
            return parts
        }
    }

    /// Splits into `sections` equal parts horizontally: axis 1, or axis 0 of a 1-D tensor (PyTorch's
    /// `hsplit`); the size must divide evenly.
    public func hsplit(sections: Int) -> [Tensor] { evenSplit(sections, axis: rank == 1 ? 0 : 1, minimumRank: 1, op: "hsplit") }

    /// Splits into `sections` equal parts along axis 0 of a tensor of rank 2 or more (PyTorch's `vsplit`).
    public func vsplit(sections: Int) -> [Tensor] { evenSplit(sections, axis: 0, minimumRank: 2, op: "vsplit") }

    /// Splits into `sections` equal parts along axis 2 of a tensor of rank 3 or more (PyTorch's `dsplit`).
    public func dsplit(sections: Int) -> [Tensor] { evenSplit(sections, axis: 2, minimumRank: 3, op: "dsplit") }

    private func evenSplit(_ sections: Int, axis: Int, minimumRank: Int, op: String) -> [Tensor] {
        checked(or: []) {
            try require(rank >= minimumRank, "\(op): needs a tensor of rank \(minimumRank) or more, got shape \(shape)", .shapeMismatch)
            try require(sections >= 1 && shape[axis] % sections == 0,
                        "\(op): axis \(axis) of size \(shape[axis]) does not split into \(sections) equal parts", .invalidArgument)
            return tensorSplit(sections: sections, axis: axis)
        }
    }

    /// Exchanges two axes (PyTorch's `swapaxes`/`swapdims`, the same as ``transpose(_:_:)``).
    public func swapaxes(_ a: Int, _ b: Int) -> Tensor { transpose(a, b) }

    /// Matrices whose diagonal (`offset` above it, or below for negative offsets) holds the last axis
    /// of this tensor, zeros elsewhere (PyTorch's `torch.diag_embed`): `[…, k]` becomes
    /// `[…, k + |offset|, k + |offset|]`, the matrix on axes `axis1` and `axis2` of the result.
    ///
    /// ```swift
    /// Tensor([[1.0, 2.0]]).diagEmbed()   // [[[1, 0], [0, 2]]]
    /// ```
    public func diagEmbed(offset: Int = 0, axis1: Int = -2, axis2: Int = -1) -> Tensor {
        checked {
            let op = "diagEmbed"
            try require(rank >= 1, "diagEmbed: needs a tensor of at least one dimension, got a scalar", .shapeMismatch)
            let x = self
            let outRank = x.rank + 1
            func normalized(_ axis: Int) -> Int { axis < 0 ? axis + outRank : axis }
            let (a1, a2) = (normalized(axis1), normalized(axis2))
            try require((0..<outRank).contains(a1) && (0..<outRank).contains(a2) && a1 != a2,
                        "\(op): axes \(axis1) and \(axis2) must be two different axes of the \(outRank)-D result", .invalidArgument)
            let k = x.shape[x.rank - 1]
            let (n, overflow) = offset == .min ? (0, true) : k.addingReportingOverflow(Swift.abs(offset))
            let (cells, cellsOverflow) = n.multipliedReportingOverflow(by: n)
            try require(!overflow && !cellsOverflow, "\(op): \(k) values with offset \(offset) make matrices too large", .outOfMemory)
            let batch = Array(x.shape.dropLast())
            // Position of value i in each flattened n × n matrix.
            let (row, column) = offset >= 0 ? (0, offset) : (-offset, 0)
            let positions = Tensor(shape: [k], integers: (0..<k).map { ($0 + row) * n + $0 + column })
            let flat = Tensor.zeros(batch + [cells], dtype: x.dtype)
                .scatter(axis: x.rank - 1, index: positions.expand(x.shape), source: x)
            var matrices = flat.reshape(batch + [n, n])
            // The matrix sits on the last two axes; move them to (a1, a2).
            if (a1, a2) != (outRank - 2, outRank - 1) {
                var order = Array(0..<(outRank - 2))
                let (first, second) = a1 < a2 ? (a1, a2) : (a2, a1)
                order.insert(a1 < a2 ? outRank - 2 : outRank - 1, at: first)
                order.insert(a1 < a2 ? outRank - 1 : outRank - 2, at: second)
                matrices = matrices.permute(order)
            }
            return matrices
        }
    }

    /// The Cartesian product of 1-D tensors, one row per combination, the last tensor varying fastest
    /// (PyTorch's `torch.cartesian_prod`): `[n₁·n₂·…, count]`; one tensor is returned as it is.
    ///
    /// ```swift
    /// Tensor.cartesianProd([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])   // [[1, 3], [1, 4], [2, 3], [2, 4]]
    /// ```
    public static func cartesianProd(_ tensors: [Tensor]) -> Tensor {
        checked {
            try require(!tensors.isEmpty && tensors.allSatisfy { $0.rank == 1 },
                        "cartesianProd: expects one or more 1-D tensors, got shapes \(tensors.map(\.shape))", .shapeMismatch)
            if tensors.count == 1 { return tensors[0] }
            return stack(meshgrid(tensors, indexing: .ij).map { $0.reshape([-1]) }, axis: 1)
        }
    }

    /// The coordinates of the nonzero elements, `[count, rank]` int64 (PyTorch's `torch.argwhere`, the
    /// same as ``nonzero()``).
    public func argwhere() -> Tensor { nonzero() }

    /// The coordinates of the lower triangle of a `rows` × `columns` matrix, row by row: `[2, count]`
    /// int64, the first row the row indices (PyTorch's `torch.tril_indices`). `offset` moves the
    /// diagonal up (positive) or down.
    ///
    /// ```swift
    /// Tensor.trilIndices(rows: 3, columns: 3)   // [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    /// ```
    public static func trilIndices(rows: Int, columns: Int, offset: Int = 0) -> Tensor {
        triangleIndices(rows: rows, columns: columns, op: "trilIndices") { r, c in c - r <= offset }
    }

    /// The coordinates of the upper triangle of a `rows` × `columns` matrix, row by row: `[2, count]`
    /// int64 (PyTorch's `torch.triu_indices`). `offset` moves the diagonal up (positive) or down.
    ///
    /// ```swift
    /// Tensor.triuIndices(rows: 2, columns: 3, offset: 1)   // [[0, 0, 1], [1, 2, 2]]
    /// ```
    public static func triuIndices(rows: Int, columns: Int, offset: Int = 0) -> Tensor {
        triangleIndices(rows: rows, columns: columns, op: "triuIndices") { r, c in c - r >= offset }
    }

    private static func triangleIndices(rows: Int, columns: Int, op: String, _ keep: (Int, Int) -> Bool) -> Tensor {
        checked {
            try require(rows >= 0 && columns >= 0, "\(op): rows and columns must be 0 or more, got \(rows) and \(columns)", .invalidArgument)
            let (cells, overflow) = rows.multipliedReportingOverflow(by: columns)
            // Two Int lists and the int64 result: 32 bytes a position at the most.
            try require(!overflow && cells <= TensorStorage.physicalMemoryBytes / 32,
                        "\(op): a \(rows) × \(columns) matrix has more positions than this machine can list", .outOfMemory)
            var r: [Int] = [], c: [Int] = []
            for i in 0..<rows { for j in 0..<columns where keep(i, j) { r.append(i); c.append(j) } }
            r.append(contentsOf: c)
            return Tensor(shape: [2, c.count], integers: r)
        }
    }
}
