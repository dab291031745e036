// Operations that change a tensor's shape or move its elements: reshape, squeeze, transpose, permute,
// expand. All of them return views that share their input's storage (see Tensor+Views.swift), except a
// reshape that the input's layout does not allow, which copies.

extension Tensor {
    /// The same elements with a new shape of equal size; one dimension may be -1 and is inferred.
    /// Shares this tensor's storage when its layout allows (always for a contiguous tensor), and copies
    /// otherwise, as PyTorch's `reshape` does; ``view(_:)`` never copies.
    ///
    /// ```swift
    /// let flat = images.reshape([batch, -1])
    /// ```
    public func reshape(_ newShape: [Int]) -> Tensor {
        checked {
            let target = try reshapeTarget(newShape, op: "reshape")
            if target == shape { return self }
            let out: Tensor
            if isContiguous {
                out = makeView(shape: target, strides: nil, offset: storageOffset)
            } else if let st = viewLayout(for: target) {
                out = makeView(shape: target, strides: st, offset: storageOffset)
            } else {
                // A copy of a view, which may be an expansion far larger than its storage: checked.
                out = try Tensor(checkedShape: target, dtype: dtype, op: "reshape")
                copyElements(into: out.rawPointer)
            }
            let source = shape
            record("reshape", output: out, inputs: [self]) { g, _ in [g.reshape(source)] }
            return out
        }
    }

    /// `newShape` with a -1 resolved, checked to hold this tensor's element count.
    func reshapeTarget(_ newShape: [Int], op: String) throws -> [Int] {
        var target = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        try require(inferred.count <= 1, "\(op): at most one dimension may be -1, got \(newShape)", .shapeMismatch)
        if let i = inferred.first {
            var others = newShape
            others.remove(at: i)
            let known = try Tensor.elementCount(others, op: op)
            try require(known > 0 && count % known == 0,
                         "\(op): cannot infer -1 in \(newShape) for a tensor of shape \(shape) (\(count) elements)", .shapeMismatch)
            target[i] = count / known
        }
        let targetCount = try Tensor.elementCount(target, op: op)
        try require(targetCount == count,
                     "\(op): shape \(shape) (\(count) elements) cannot become \(newShape)", .shapeMismatch)
        return target
    }

    /// Dimensions `startAxis` through `endAxis` merged into one (PyTorch's `flatten(start_dim, end_dim)`;
    /// Gradus spells PyTorch's `dim` as `axis` everywhere).
    ///
    /// - Parameters:
    ///   - startAxis: the first dimension merged; negative values count from the end.
    ///   - endAxis: the last dimension merged (default the last).
    ///
    /// ```swift
    /// let x = images.flatten(startAxis: 1)   // [N, C, H, W] -> [N, C*H*W]
    /// ```
    public func flatten(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        checked {
            if rank == 0 { return reshape([1]) }
            let s = try axis(startAxis, op: "flatten", scalarAxis: true), e = try axis(endAxis, op: "flatten", scalarAxis: true)
            try require(s <= e, "flatten: startAxis \(startAxis) comes after endAxis \(endAxis) for shape \(shape)", .shapeMismatch)
            let merged = shape[s...e].reduce(1, *)
            return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
        }
    }

    /// The former spelling of ``flatten(startAxis:endAxis:)``.
    @available(*, deprecated, renamed: "flatten(startAxis:endAxis:)")
    public func flatten(startDim: Int, endDim: Int = -1) -> Tensor { flatten(startAxis: startDim, endAxis: endDim) }

    /// Removes dimensions of size 1: the one at `axis`, or all of them when `axis` is nil.
    public func squeeze(_ axis: Int? = nil) -> Tensor {
        checked {
            if let axis {
                let a = try self.axis(axis, op: "squeeze", scalarAxis: true)
                if rank == 0 || shape[a] != 1 { return self }
                var s = shape
                s.remove(at: a)
                return reshape(s)
            }
            return reshape(shape.filter { $0 != 1 })
        }
    }

    /// Inserts a dimension of size 1 at `axis` (negative counts from the end of the result).
    ///
    /// ```swift
    /// let column = v.unsqueeze(1)   // [n] -> [n, 1]
    /// ```
    public func unsqueeze(_ axis: Int) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "unsqueeze", rankOverride: rank + 1)
            var s = shape
            s.insert(1, at: a)
            return reshape(s)
        }
    }

    /// The dimensions reordered: dimension `i` of the result is dimension `dims[i]` of this tensor.
    /// A view: it shares this tensor's storage.
    ///
    /// ```swift
    /// let nhwc = nchw.permute([0, 2, 3, 1])
    /// ```
    public func permute(_ dims: [Int]) -> Tensor {
        checked {
            try require(dims.count == rank, "permute: \(dims) does not list each of the \(rank) dimensions of shape \(shape)", .shapeMismatch)
            let d = try dims.map { try axis($0, op: "permute") }
            try require(Set(d).count == rank, "permute: \(dims) repeats a dimension (shape \(shape))", .shapeMismatch)
            if d == Array(0..<rank) { return self }
            let st = strides
            let out = makeView(shape: d.map { shape[$0] }, strides: d.map { st[$0] }, offset: storageOffset)
            var inverse = [Int](repeating: 0, count: rank)
            for (i, j) in d.enumerated() { inverse[j] = i }
            record("permute", output: out, inputs: [self]) { g, _ in [g.permute(inverse)] }
            return out
        }
    }

    /// Dimensions `a` and `b` swapped; a view sharing this tensor's storage. A matrix product reads a
    /// transposed view without copying it.
    ///
    /// ```swift
    /// let wt = w.transpose(0, 1)
    /// ```
    public func transpose(_ a: Int, _ b: Int) -> Tensor {
        checked {
            var d = Array(0..<rank)
            d.swapAt(try axis(a, op: "transpose", scalarAxis: true), try axis(b, op: "transpose", scalarAxis: true))
            return permute(d)
        }
    }

    /// The transpose of a 2-D tensor (a 1-D tensor is returned as it is).
    public var t: Tensor {
        checked {
            try require(rank <= 2, "t: needs at most 2 dimensions, got shape \(shape)", .shapeMismatch)
            return rank < 2 ? self : transpose(0, 1)
        }
    }

    /// This tensor broadcast to `newShape` (-1 keeps a dimension): a view whose expanded dimensions have
    /// stride 0, so it cannot be written in place. Its gradient is summed back.
    ///
    /// ```swift
    /// let rows = bias.expand([batch, -1])
    /// ```
    public func expand(_ newShape: [Int]) -> Tensor {
        checked {
            try require(newShape.count >= rank, "expand: shape \(shape) cannot expand to fewer dimensions \(newShape)", .shapeMismatch)
            let lead = newShape.count - rank
            var target = newShape
            for i in 0..<rank where newShape[lead + i] == -1 { target[lead + i] = shape[i] }
            let expandedCount = try Tensor.elementCount(target, op: "expand")   // no negative size, no overflowing count
            // Kernels read a view through a contiguous copy of it, so a view larger than the machine's
            // memory could never be used: refused here with an error rather than stopping at its first use.
            try require(expandedCount <= TensorStorage.physicalMemoryBytes / dtype.byteSize,
                        "expand: shape \(target) of \(dtype) would need \(MemoryBudget.describe(expandedCount * dtype.byteSize)) "
                        + "when computed with, more than this machine's memory (\(MemoryBudget.describe(TensorStorage.physicalMemoryBytes)))",
                        .outOfMemory)
            for i in 0..<rank {
                try require(shape[i] == target[lead + i] || shape[i] == 1,
                             "expand: shape \(shape) cannot expand to \(newShape)", .shapeMismatch)
            }
            if target == shape { return self }
            let st = strides
            var expanded = [Int](repeating: 0, count: target.count)
            for i in 0..<rank where !(shape[i] == 1 && target[lead + i] != 1) { expanded[lead + i] = st[i] }
            let out = makeView(shape: target, strides: expanded, offset: storageOffset)
            record("expand", output: out, inputs: [self]) { g, _ in [g] }
            return out
        }
    }

    /// A contiguous copy whose shape is `shape` with the listed axes set to 1, for broadcasting a reduced
    /// gradient back.
    func keepDimsShape(_ axes: [Int]) -> [Int] {
        var s = shape
        for a in axes { s[a] = 1 }
        return s
    }
}
