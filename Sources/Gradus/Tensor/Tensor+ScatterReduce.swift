// Scatter with a reduction (PyTorch's `scatter_reduce`, out of place): each position named by `index`
// combines this tensor's value (with `includeSelf`) and every source element sent to it by a sum,
// product, mean, maximum or minimum — the aggregation of graph neural networks' message passing.
// Gradients are PyTorch's rules, written as tensor operations (so they can be differentiated again):
// the maximum and minimum share the gradient evenly among the elements equal to the result, the
// product divides by each factor with PyTorch's handling of zeros (where two or more zeros meet at one
// position, its gradient is 0 and its second derivative is not PyTorch's, which refuses it).

extension Tensor {
    /// How ``scatterReduce(axis:index:source:reduce:includeSelf:)`` combines the values sent to one position.
    public enum ScatterReduction: String, Sendable, CaseIterable {
        /// The sum (`"sum"`).
        case sum
        /// The product (`"prod"`).
        case prod
        /// The mean, over the values combined (this tensor's included with `includeSelf`); an int64 mean
        /// is rounded down, as PyTorch's (`"mean"`).
        case mean
        /// The maximum; NaN wins (`"amax"`).
        case amax
        /// The minimum; NaN wins (`"amin"`).
        case amin
    }

    /// This tensor with `source`'s elements combined into the positions `index` names along `axis`
    /// (PyTorch's `scatter_reduce`, out of place): for axis 1, `out[i][index[i][j]]` combines
    /// `source[i][j]` for every j naming it, and this tensor's value there unless `includeSelf` is
    /// false. Positions no index names keep this tensor's value.
    ///
    /// - Parameters:
    ///   - axis: the dimension `index` addresses.
    ///   - index: int64, of this tensor's rank; no dimension larger than `source`'s (nor, other than
    ///     `axis`, than this tensor's).
    ///   - source: the values, of this tensor's dtype and rank.
    ///   - reduce: how the values sent to one position are combined.
    ///   - includeSelf: whether this tensor's values take part (PyTorch's default, true).
    ///
    /// ```swift
    /// // The mean message per node: messages [E, D] to nodes `destination` [E].
    /// let index = destination.unsqueeze(1).expand([edges, features])
    /// let mean = Tensor.zeros([nodes, features]).scatterReduce(axis: 0, index: index, source: messages,
    ///                                                           reduce: .mean, includeSelf: false)
    /// ```
    public func scatterReduce(axis: Int, index: Tensor, source: Tensor, reduce: ScatterReduction,
                              includeSelf: Bool = true) -> Tensor {
        checked {
            let op = "scatterReduce"
            let a = try scatterAxis(axis, index: index, source: source, op: op)
            let out = try GradMode.noGrad { try reduced(axis: a, index: index, source: source.contiguous(), reduce: reduce, includeSelf: includeSelf) }
            guard dtype.isFloatingPoint else { return out }
            let (input, sourceShape) = (self, source.shape)
            record(op, output: out, inputs: [self, source], saved: [index]) { g, result in
                // The source elements that index reaches (all of them unless index is smaller), and the
                // gradient of that block padded with zeros back to the source's shape.
                var src = source
                for d in 0..<sourceShape.count where index.shape[d] < sourceShape[d] {
                    src = src.slice(axis: d, start: 0, end: index.shape[d])
                }
                func padded(_ block: Tensor) -> Tensor {
                    block.shape == sourceShape ? block
                        : block.pad(Array(Swift.zip(sourceShape, index.shape).map { [0, $0 - $1] }.reversed().joined()))
                }
                var gradSelf: Tensor, gradSource: Tensor
                switch reduce {
                case .sum:
                    (gradSelf, gradSource) = (g, g.gather(axis: a, index: index))
                case .mean:
                    let start = includeSelf ? Tensor.ones(g.shape, dtype: g.dtype) : Tensor.zeros(g.shape, dtype: g.dtype)
                    let n = start.scatterAdd(axis: a, index: index, source: Tensor.ones(src.shape, dtype: g.dtype))
                    let share = g / n.maskedWhere(n.eq(0.0), 1)
                    (gradSelf, gradSource) = (share, share.gather(axis: a, index: index))
                case .amax, .amin:
                    // Shared evenly among the elements equal to the result.
                    let value = result.gather(axis: a, index: index)
                    let selfIsResult = input.eq(result), sourceIsResult = src.eq(value)
                    let share = g / selfIsResult.scatterAdd(axis: a, index: index, source: sourceIsResult)
                    (gradSelf, gradSource) = (selfIsResult * share, sourceIsResult * share.gather(axis: a, index: index))
                case .prod:
                    // g · result / x, with zeros handled as PyTorch: a zero of this tensor gets the product
                    // of the others; a source element that is its position's only zero gets the product
                    // of the others; where two or more are zero, every gradient is 0.
                    let maskedSelf = input.maskedWhere(input.eq(0.0), 1)
                    let maskedSelfResult = maskedSelf.scatterReduce(axis: a, index: index, source: src, reduce: .prod, includeSelf: includeSelf)
                    gradSelf = g * maskedSelfResult / maskedSelf
                    let sourceZero = src.eq(0.0)
                    let zerosThere = Tensor.zeros(input.shape, dtype: input.dtype).scatterAdd(axis: a, index: index, source: sourceZero)
                        .gather(axis: a, index: index)
                    let singleZero = sourceZero * zerosThere.eq(1.0)
                    let maskedSourceResult = input.scatterReduce(axis: a, index: index, source: src.maskedWhere(singleZero, 1),
                                                                 reduce: .prod, includeSelf: includeSelf)
                    gradSource = Tensor.where(singleZero, (g * maskedSourceResult).gather(axis: a, index: index),
                                              (g * result).gather(axis: a, index: index) / src.maskedWhere(sourceZero, 1))
                }
                if !includeSelf { gradSelf = gradSelf.scatter(axis: a, index: index, value: 0) }
                return [gradSelf, padded(gradSource)]
            }
            return out
        }
    }

    /// The forward computation on a contiguous `source` (no recording).
    private func reduced(axis a: Int, index: Tensor, source: Tensor, reduce: ScatterReduction, includeSelf: Bool) throws -> Tensor {
        let out = contiguous().clone()
        let st = contiguousStrides(shape), sst = contiguousStrides(source.shape)
        let ip = index.pointer(Int64.self)
        // Each index element's offsets in the output and in the source.
        var targets = [Int](repeating: 0, count: index.count), origins = targets
        var idx = [Int](repeating: 0, count: rank)
        for k in 0..<index.count {
            var off = 0, soff = 0
            for d in 0..<rank { off += (d == a ? Int(ip[k]) : idx[d]) * st[d]; soff += idx[d] * sst[d] }
            targets[k] = off
            origins[k] = soff
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < index.shape[d] { break }; idx[d] = 0; d -= 1 }
        }
        var counts = [Int](repeating: includeSelf ? 1 : 0, count: reduce == .mean ? count : 0)
        func run<T: TensorElement>(_: T.Type, identity: T, combine: (T, T) -> T, divide: (T, Int) -> T) {
            let dst = out.pointer(T.self), src = source.pointer(T.self)
            if !includeSelf { for off in targets { dst[off] = identity } }
            for k in targets.indices {
                let off = targets[k]
                dst[off] = combine(dst[off], src[origins[k]])
                if reduce == .mean { counts[off] += 1 }
            }
            if reduce == .mean { for off in 0..<count where counts[off] > 1 { dst[off] = divide(dst[off], counts[off]) } }
        }
        func runFloat<T: TensorFloat>(_ type: T.Type) {
            switch reduce {
            case .sum, .mean: run(type, identity: 0, combine: +, divide: { $0 / T($1) })
            case .prod: run(type, identity: 1, combine: *, divide: { x, _ in x })
            // NaN wins; on a tie the value already there stays (std::max and std::min), so −0 and +0 keep
            // their order as in PyTorch.
            case .amax: run(type, identity: -.infinity, combine: { x, y in x.isNaN ? x : (y.isNaN || y > x ? y : x) }, divide: { x, _ in x })
            case .amin: run(type, identity: .infinity, combine: { x, y in x.isNaN ? x : (y.isNaN || y < x ? y : x) }, divide: { x, _ in x })
            }
        }
        switch dtype {
        case .float32: runFloat(Float.self)
        case .float64: runFloat(Double.self)
        case .int64:
            // Wrapping arithmetic, and the mean rounded down, as PyTorch's integer kernels.
            func floorDivide(_ x: Int64, _ n: Int) -> Int64 {
                let (q, r) = x.quotientAndRemainder(dividingBy: Int64(n))
                return r != 0 && (r < 0) != (n < 0) ? q - 1 : q
            }
            switch reduce {
            case .sum, .mean: run(Int64.self, identity: 0, combine: { $0 &+ $1 }, divide: floorDivide)
            case .prod: run(Int64.self, identity: 1, combine: { $0 &* $1 }, divide: { x, _ in x })
            case .amax: run(Int64.self, identity: .min, combine: { Swift.max($0, $1) }, divide: { x, _ in x })
            case .amin: run(Int64.self, identity: .max, combine: { Swift.min($0, $1) }, divide: { x, _ in x })
            }
        }
        return out
    }
}
