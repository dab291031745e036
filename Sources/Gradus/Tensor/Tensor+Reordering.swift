// Reordering and repeating elements: flip, roll, repeat, tile and rot90, as PyTorch's `torch.flip`,
// `torch.roll`, `Tensor.repeat`, `torch.tile` and `torch.rot90`. Each is built from differentiable ops (index selection, expansion), so gradients go
// back to the positions the elements came from (summed for repeat).

extension Tensor {
    /// This tensor with the order of elements reversed along each of `axes` (PyTorch's `torch.flip`).
    ///
    /// - Parameter axes: the dimensions to reverse; negative values count from the end; no repeats.
    ///
    /// ```swift
    /// Tensor([[1, 2], [3, 4]]).flip(axes: [0, 1])   // [[4, 3], [2, 1]]
    /// ```
    public func flip(axes: [Int]) -> Tensor {
        checked {
            let ax = try normalizedAxes(axes, op: "flip", emptyMeansAll: false)
            var out = self
            for a in ax where shape[a] > 1 { out = out.flipped(axis: a) }
            return out === self ? clone() : out
        }
    }

    /// This tensor with its elements shifted by `shifts[i]` places along `axes[i]`, those shifted past
    /// the end coming back at the start (PyTorch's `torch.roll`). Without axes, the flattened tensor is
    /// rolled by the single shift and given back its shape.
    ///
    /// - Parameters:
    ///   - shifts: the shift for each axis (negative: toward the start); any size, taken modulo the
    ///     dimension.
    ///   - axes: the dimensions to roll, one per shift, or empty to roll the flattened tensor.
    ///
    /// ```swift
    /// Tensor([1, 2, 3, 4]).roll(shifts: [1])                     // [4, 1, 2, 3]
    /// Tensor([[1, 2], [3, 4]]).roll(shifts: [1], axes: [0])     // [[3, 4], [1, 2]]
    /// ```
    public func roll(shifts: [Int], axes: [Int] = []) -> Tensor {
        checked {
            if axes.isEmpty {
                try require(shifts.count == 1, "roll: without axes, give one shift, got \(shifts)", .invalidArgument)
                return reshape([-1]).roll(shifts: shifts, axes: [0]).reshape(shape)
            }
            try require(shifts.count == axes.count, "roll: \(shifts.count) shifts for \(axes.count) axes", .invalidArgument)
            var out = self
            for (shift, axis) in zip(shifts, axes) {
                let a = try self.axis(axis, op: "roll")   // rank 0 has no axis (PyTorch: IndexError)
                let n = shape[a]
                guard n > 1 else { continue }
                let s = ((shift % n) + n) % n
                guard s != 0 else { continue }
                // Output position i takes input position (i − s) mod n.
                out = out.indexSelect(axis: a, index: Tensor(labels: (0..<n).map { ($0 - s + n) % n }))
            }
            return out === self ? clone() : out
        }
    }

    /// This tensor repeated `counts[i]` times along each dimension (PyTorch's `Tensor.repeat`). With more counts than dimensions, the tensor is first seen with leading dimensions of
    /// size 1. The gradient of each element is the sum over its copies.
    ///
    /// - Parameter counts: one count per dimension (at least `rank` of them), each ≥ 0.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).repeat([2, 2])   // [[1, 2, 3, 1, 2, 3], [1, 2, 3, 1, 2, 3]]
    /// ```
    public func `repeat`(_ counts: [Int]) -> Tensor {
        checked {
            try require(counts.count >= rank,
                        "repeat: \(counts.count) counts for a tensor of rank \(rank) (shape \(shape)); give one per dimension",
                        .invalidArgument)
            try require(counts.allSatisfy { $0 >= 0 }, "repeat: counts must not be negative, got \(counts)", .invalidArgument)
            let source = [Int](repeating: 1, count: counts.count - rank) + shape
            var outShape = [Int](), interleaved = [Int](), expanded = [Int]()
            for (c, d) in zip(counts, source) {
                let (size, overflow) = c.multipliedReportingOverflow(by: d)
                try require(!overflow, "repeat: \(counts) repeats of shape \(shape) overflow", .shapeMismatch)
                outShape.append(size)
                interleaved += [1, d]
                expanded += [c, d]
            }
            _ = try Tensor.elementCount(outShape, op: "repeat")
            // [1, d0, 1, d1, …] expanded to [c0, d0, c1, d1, …] (a view), then copied into the output shape.
            let copies = reshape(interleaved).expand(expanded)
            // Always a new buffer, as in PyTorch (all counts 1 leave a contiguous view of the input).
            let out = copies.isContiguous ? copies.clone() : try copies.materialized(op: "repeat")
            return out.reshape(outShape)
        }
    }

    /// This tensor repeated `reps[i]` times along each dimension, NumPy-style (PyTorch's `torch.tile`):
    /// with fewer counts than dimensions, the leading dimensions are repeated once; with more, the
    /// tensor gains leading dimensions of size 1 — otherwise as ``repeat(_:)``.
    ///
    /// - Parameter reps: the repetitions, each ≥ 0; any number of them.
    ///
    /// ```swift
    /// Tensor([[1.0, 2]]).tile([2])   // [[1, 2, 1, 2]]
    /// ```
    public func tile(_ reps: [Int]) -> Tensor {
        `repeat`([Int](repeating: 1, count: Swift.max(0, rank - reps.count)) + reps)
    }

    /// This tensor rotated by 90° `k` times in the plane of `axes`, from the first axis toward the
    /// second (PyTorch's `torch.rot90`); a negative `k` turns the other way.
    ///
    /// - Parameters:
    ///   - k: the number of quarter turns (any integer; taken modulo 4).
    ///   - axes: two different dimensions (default the first two); negative values count from the end.
    ///
    /// ```swift
    /// Tensor([[1.0, 2], [3, 4]]).rot90()   // [[2, 4], [1, 3]]
    /// ```
    public func rot90(k: Int = 1, axes: (Int, Int) = (0, 1)) -> Tensor {
        checked {
            try require(rank >= 2, "rot90: needs a tensor of at least 2 dimensions, got shape \(shape)", .shapeMismatch)
            let a = try self.axis(axes.0, op: "rot90"), b = try self.axis(axes.1, op: "rot90")
            try require(a != b, "rot90: the two axes must differ, got \(axes.0) and \(axes.1) for shape \(shape)", .invalidArgument)
            switch ((k % 4) + 4) % 4 {
            case 1: return flip(axes: [b]).transpose(a, b)
            case 2: return flip(axes: [a, b])
            case 3: return flip(axes: [a]).transpose(a, b)
            default: return clone()
            }
        }
    }
}

extension Tensor {
    /// Each element repeated `repeats` times along `axis` (PyTorch's `repeat_interleave`): `[1, 2]`
    /// with 2 gives `[1, 1, 2, 2]`. Without an axis the tensor is flattened first. Gradients sum over
    /// the copies.
    ///
    /// ```swift
    /// Tensor([1.0, 2.0]).repeatInterleave(2)   // [1, 1, 2, 2]
    /// ```
    public func repeatInterleave(_ repeats: Int, axis: Int? = nil) -> Tensor {
        checked {
            try require(repeats >= 0, "repeatInterleave: repeats must not be negative, got \(repeats)", .invalidArgument)
            let source = axis == nil ? reshape([-1]) : self
            let a = try source.axis(axis ?? 0, op: "repeatInterleave")
            return source.repeatInterleave(Array(repeating: repeats, count: source.shape[a]), axis: a)
        }
    }

    /// Element `i` along `axis` repeated `repeats[i]` times (PyTorch's `repeat_interleave` with a tensor
    /// of counts).
    ///
    /// ```swift
    /// Tensor([1.0, 2.0, 3.0]).repeatInterleave([2, 0, 1], axis: 0)   // [1, 1, 3]
    /// ```
    public func repeatInterleave(_ repeats: [Int], axis: Int) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "repeatInterleave")
            try require(repeats.count == shape[a] || repeats.count == 1,
                        "repeatInterleave: \(repeats.count) counts for dimension \(a) of size \(shape[a])", .shapeMismatch)
            try require(repeats.allSatisfy { $0 >= 0 }, "repeatInterleave: counts must not be negative, got \(repeats)", .invalidArgument)
            let counts = repeats.count == 1 ? Array(repeating: repeats[0], count: shape[a]) : repeats
            var total = 0
            for c in counts {
                let (t, overflow) = total.addingReportingOverflow(c)
                try require(!overflow, "repeatInterleave: the counts \(repeats) overflow", .shapeMismatch)
                total = t
            }
            var outShape = shape
            outShape[a] = total
            let elements = try Tensor.elementCount(outShape, op: "repeatInterleave")
            // The position table has `total` entries even when another dimension leaves the result empty.
            try require(elements <= TensorStorage.physicalMemoryBytes / dtype.byteSize && total <= TensorStorage.physicalMemoryBytes / 8,
                        "repeatInterleave: the result of shape \(outShape) is more than this machine's memory", .outOfMemory)
            var positions: [Int] = []
            positions.reserveCapacity(total)
            for (i, c) in counts.enumerated() { positions += Array(repeating: i, count: c) }
            return indexSelect(axis: a, index: Tensor(shape: [total], integers: positions))
        }
    }

    /// The slices along `axis`, each without that dimension (PyTorch's `torch.unbind`): views.
    ///
    /// ```swift
    /// let (x, y) = { let p = points.unbind(axis: 1); return (p[0], p[1]) }()
    /// ```
    public func unbind(axis: Int = 0) -> [Tensor] {
        checked(or: []) {
            let a = try self.axis(axis, op: "unbind")
            return (0..<shape[a]).map { select(axis: a, index: $0) }
        }
    }

    /// `length` elements from `start` along `axis` (PyTorch's `narrow`): a view. Unlike
    /// ``slice(axis:start:end:step:)``, the range must lie inside the dimension.
    ///
    /// ```swift
    /// let middle = x.narrow(axis: 1, start: 2, length: 3)
    /// ```
    public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
        checked {
            let a = try self.axis(axis, op: "narrow")
            let n = shape[a]
            let s = start < 0 ? start + n : start
            try require(s >= 0 && s <= n && length >= 0 && length <= n - s,
                        "narrow: start \(start) and length \(length) do not fit dimension \(a) of size \(n)", .indexOutOfRange)
            return slice(axis: a, start: s, end: s + length)
        }
    }

    /// The dimension `source` moved to position `destination`, the others keeping their order
    /// (PyTorch's `torch.movedim`): a view.
    ///
    /// ```swift
    /// let channelsLast = images.movedim(1, -1)   // [N, C, H, W] → [N, H, W, C]
    /// ```
    public func movedim(_ source: Int, _ destination: Int) -> Tensor {
        checked {
            let s = try axis(source, op: "movedim"), d = try axis(destination, op: "movedim")
            var order = Array(0..<rank)
            order.remove(at: s)
            order.insert(s, at: d)
            return permute(order)
        }
    }
}
