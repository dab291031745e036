// Multi-dimensional subscripts, PyTorch's indexing rules:
//
// - Basic indexing (integers, ranges, `newAxis`, `ellipsis`) gives a view: select, slice and unsqueeze,
//   applied dimension by dimension. Writing into it writes into the tensor.
// - Advanced indexing (int64 index tensors, masks) gives a copy. The index tensors are broadcast
//   together to one shape B; the dimensions they index are replaced by B — where the first of them stood
//   when they are next to each other in the result, else at the front (PyTorch's placement; integers are
//   applied first as selections, so, unlike NumPy, they do not separate index tensors).
//
// Gradients flow through both, as through the operations they are made of (select, slice, permute,
// reshape, indexSelect). Assigning through a subscript is an in-place change with the rules of
// `assign(_:)`.

extension Tensor {
    /// The part of this tensor that `indices` name, PyTorch's `x[i, j, …]` (see ``TensorIndex``): a view
    /// for basic indexing, a copy when an index tensor or a mask takes part. Setting it writes `newValue`
    /// (broadcast, converted to this dtype) into those elements in place, as PyTorch's
    /// `x[…] = v`, under the rules of ``assign(_:)`` (a leaf that requires gradients changes only inside
    /// ``GradMode/noGrad(_:)``); with index tensors that repeat a position, the last value written stays.
    ///
    /// Errors (recorded inside ``GradusError/catching(_:)``): more entries than dimensions, two
    /// ellipses, an index out of range, a step that is not positive, an index tensor that is not int64, a
    /// mask whose shape differs from the dimensions it covers, index tensors that do not broadcast.
    ///
    /// ```swift
    /// let x = Tensor.arange(0, 12).reshape([3, 4])
    /// let column = x[.all, 1]                       // [3]
    /// let corners = x[Tensor(labels: [0, 2]), Tensor(labels: [0, 3])]   // [2]: x[0, 0] and x[2, 3]
    /// GradMode.noGrad { x[0, 1...] = Tensor(scalar: 0) }                // zeros the rest of row 0
    /// ```
    public subscript(_ indices: any TensorIndexExpression...) -> Tensor {
        get { indexed(indices.map(\.tensorIndex)) }
        set { assignIndexed(indices.map(\.tensorIndex), newValue) }
    }

    /// The part of this tensor that a list of ``TensorIndex`` entries names (the subscript's form for a
    /// list built at run time).
    ///
    /// ```swift
    /// let entries: [TensorIndex] = [.all] + Array(repeating: .at(0), count: x.rank - 1)
    /// let firstColumn = x.indexed(entries)
    /// ```
    public func indexed(_ indices: [TensorIndex]) -> Tensor {
        checked { try indexedChecked(indices) }
    }

    /// The positions of the elements that are not 0, one row of `rank` int64 coordinates each
    /// (PyTorch's `nonzero()`): shape `[count, rank]`, in row-major order.
    ///
    /// ```swift
    /// Tensor([[0, 1], [2, 0]]).nonzero()   // [[0, 1], [1, 0]]
    /// ```
    public func nonzero() -> Tensor {
        checked {
            let values = scalars(as: Double.self)
            var coordinates: [Int] = [], found = 0
            var strides = [Int](repeating: 1, count: rank)
            for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
            for (flat, v) in values.enumerated() where v != 0 {   // NaN is not 0, as in PyTorch
                found += 1
                var rest = flat
                for s in strides {
                    coordinates.append(rest / s)
                    rest %= s
                }
            }
            return Tensor(shape: [found, rank], integers: coordinates)
        }
    }

    /// The elements where `mask` is not 0, as a 1-D tensor in row-major order (PyTorch's
    /// `masked_select`); `mask` broadcasts with this tensor. Differentiable.
    ///
    /// ```swift
    /// let positives = x.maskedSelect(x.gt(0.0))
    /// ```
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        checked {
            let target = try Broadcast.shape(shape, mask.shape, op: "maskedSelect")
            let x = shape == target ? self : expand(target)
            let m = mask.shape == target ? mask : mask.expand(target)
            return try x.indexedChecked([.mask(m.contiguous())])
        }
    }

    // MARK: Implementation

    /// One index tensor of an advanced subscript: the dimension of the partly indexed view it applies to.
    private struct AdvancedIndex {
        let dimension: Int
        let index: Tensor
    }

    /// Entries with the ellipsis expanded and masks turned into index tensors (one per dimension).
    private func expandedIndices(_ indices: [TensorIndex]) throws -> [TensorIndex] {
        let ellipses = indices.filter { if case .ellipsis = $0.kind { return true } else { return false } }.count
        try require(ellipses <= 1, "index: at most one ellipsis, got \(ellipses)", .invalidArgument)
        let consumed = indices.reduce(0) { $0 + $1.consumedDimensions }
        try require(consumed <= rank, "index: \(consumed) dimensions indexed, but the tensor has shape \(shape)", .indexOutOfRange)
        var out: [TensorIndex] = []
        var dimension = 0
        for entry in indices {
            switch entry.kind {
            case .ellipsis:
                out += Array(repeating: TensorIndex.all, count: rank - consumed)
                dimension += rank - consumed
            case .mask(let m):
                let covered = Array(shape[dimension..<(dimension + m.rank)])
                try require(m.shape == covered,
                            "index: a mask of shape \(m.shape) must match the dimensions \(covered) it covers (at \(dimension) of shape \(shape))",
                            .shapeMismatch)
                if m.rank == 0 {
                    // A scalar mask: a new dimension of size 1 (kept) or 0 (dropped), as PyTorch.
                    out.append(TensorIndex(kind: .scalarMask(m.scalars(as: Double.self)[0] != 0)))
                    continue
                }
                let coordinates = m.nonzero()
                for k in 0..<m.rank {
                    out.append(.indices(coordinates.select(axis: 1, index: k).contiguous()))
                }
                dimension += m.rank
            default:
                out.append(entry)
                dimension += entry.consumedDimensions
            }
        }
        return out
    }

    func indexedChecked(_ indices: [TensorIndex]) throws -> Tensor {
        let entries = try expandedIndices(indices)
        var view = self
        var dimension = 0
        var advanced: [AdvancedIndex] = []
        for entry in entries {
            switch entry.kind {
            case .at(let i):
                let size = view.shape[dimension]
                try require(i >= -size && i < size, "index: \(i) is out of range for dimension \(dimension) of size \(size)", .indexOutOfRange)
                view = view.select(axis: dimension, index: i)
            case let .range(start, end, step):
                try require(step > 0, "index: the step of a slice must be positive, got \(step)", .invalidArgument)
                view = view.slice(axis: dimension, start: start ?? 0, end: end, step: step)
                dimension += 1
            case .newAxis:
                view = view.unsqueeze(dimension)
                dimension += 1
            case .scalarMask(let keep):
                view = view.unsqueeze(dimension)
                if !keep { view = view.slice(axis: dimension, start: 0, end: 0) }
                dimension += 1
            case .indices(let index):
                try require(index.dtype == .int64,
                            "index: an index tensor must be int64, got \(index.dtype); use TensorIndex.mask(_:) for a mask of 0/1",
                            .dtypeMismatch)
                advanced.append(AdvancedIndex(dimension: dimension, index: index))
                dimension += 1
            case .ellipsis, .mask:
                preconditionFailure("expanded above")
            }
            try GradusError.throwIfRecorded()
        }
        if advanced.isEmpty { return view }
        return try view.gathered(by: advanced)
    }

    /// Advanced indexing of this (partly indexed) view: the dimensions of `advanced` replaced by the
    /// broadcast shape of their index tensors.
    private func gathered(by advanced: [AdvancedIndex]) throws -> Tensor {
        var broadcastShape: [Int] = []
        for a in advanced {
            broadcastShape = try Broadcast.shape(broadcastShape, a.index.shape, op: "index")
        }
        let positions = try Tensor.elementCount(broadcastShape, op: "index")
        let otherCount = try Tensor.elementCount((0..<rank).filter { d in !advanced.contains { $0.dimension == d } }.map { shape[$0] }, op: "index")
        let (total, overflow) = positions.multipliedReportingOverflow(by: Swift.max(otherCount, 1))
        try require(!overflow && positions <= TensorStorage.physicalMemoryBytes / 8 && total <= TensorStorage.physicalMemoryBytes / dtype.byteSize,
                    "index: the index tensors broadcast to \(broadcastShape), a result larger than this machine's memory", .outOfMemory)
        let dims = advanced.map(\.dimension)
        let sizes = dims.map { shape[$0] }
        // The flat position within the indexed dimensions (row-major over them), for each element of B.
        var flat = [Int](repeating: 0, count: positions)
        var place = 1
        for (a, size) in zip(advanced, sizes).reversed() {
            let values = (a.index.shape == broadcastShape ? a.index : a.index.expand(broadcastShape)).intScalars
            for (k, v) in values.enumerated() {
                try require(v >= -size && v < size, "index: \(v) is out of range for dimension \(a.dimension) of size \(size)", .indexOutOfRange)
                flat[k] += (v < 0 ? v + size : v) * place
            }
            place *= size
        }
        let others = (0..<rank).filter { !dims.contains($0) }
        let front = permute(dims + others)
        let otherShape = others.map { shape[$0] }
        let rows = front.reshape([sizes.reduce(1, *)] + otherShape)
        var picked = rows.indexSelect(axis: 0, index: Tensor(shape: [positions], integers: flat))
            .reshape(broadcastShape + otherShape)
        // Index tensors next to each other keep their place; others go to the front (PyTorch).
        let adjacent = zip(dims, dims.dropFirst()).allSatisfy { $1 == $0 + 1 }
        if adjacent && dims[0] > 0 {
            let b = broadcastShape.count
            let order = Array(b..<(b + dims[0])) + Array(0..<b) + Array((b + dims[0])..<(b + otherShape.count))
            picked = picked.permute(order)
        }
        return picked
    }

    /// `x[indices] = value`: a view's elements written in place, or for advanced indexing the elements
    /// at the positions that indexing the flat positions of this tensor names.
    private func assignIndexed(_ indices: [TensorIndex], _ value: Tensor) {
        checked(or: ()) {
            try checkInPlace("index assignment", source: value)
            // As PyTorch, leading dimensions of size 1 of the value beyond the indexed rank are dropped.
            func fitted(_ value: Tensor, to rank: Int) -> Tensor {
                var v = value
                while v.rank > rank && v.shape[0] == 1 { v = v.squeeze(0) }
                return v
            }
            if !indices.contains(where: \.isAdvanced) {
                let view = try indexedChecked(indices)
                let value = fitted(value, to: view.rank)
                let target = try Broadcast.shape(view.shape, value.shape, op: "index assignment")
                try require(target == view.shape,
                            "index assignment: a value of shape \(value.shape) does not broadcast to the indexed shape \(view.shape)", .shapeMismatch)
                GradMode.noGrad { _ = view.assign(value) }
                try GradusError.throwIfRecorded()
                return
            }
            // The same indexing applied to the flat positions 0..<count says which elements to write.
            let positionsTensor = try GradMode.noGrad {
                try Tensor.arange(0, Double(count), dtype: .float64).reshape(shape).indexedChecked(indices)
            }
            try GradusError.throwIfRecorded()
            let value = fitted(value, to: positionsTensor.rank)
            let positions = positionsTensor.scalars(as: Double.self).map { Int($0) }
            let target = try Broadcast.shape(positionsTensor.shape, value.shape, op: "index assignment")
            try require(target == positionsTensor.shape,
                        "index assignment: a value of shape \(value.shape) does not broadcast to the indexed shape \(positionsTensor.shape)", .shapeMismatch)
            try require(dtype.isFloatingPoint || !value.dtype.isFloatingPoint,
                        "index assignment: a \(value.dtype) value cannot be stored in this \(dtype) tensor; convert it with to(_:) first",
                        .dtypeMismatch)
            // Element by element in this tensor's dtype (int64 values beyond 2^53 stay exact).
            let values = GradMode.noGrad { (value.shape == target ? value : value.expand(target)).to(dtype).contiguous() }
            let updated = GradMode.noGrad { self.contiguous().clone() }
            try GradusError.throwIfRecorded()
            let size = dtype.byteSize
            let source = values.rawPointer, destination = updated.rawPointer
            for (k, p) in positions.enumerated() {
                (destination + p * size).copyMemory(from: source + k * size, byteCount: size)
            }
            GradMode.noGrad { _ = self.assign(updated) }
            try GradusError.throwIfRecorded()
        }
    }
}
