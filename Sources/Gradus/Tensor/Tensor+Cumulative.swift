// Cumulative sums and products along an axis, and products over an axis or all elements.
//
// The backward rules follow PyTorch's (FunctionsManual.cpp: cumprod_backward, prod_backward): without
// zeros in the input, the gradient of a product divides the output by the input; with zeros, it is
// formed from products that leave one factor out, which stays exact (one zero in a product gives the
// zero the product of the others and everything else 0; two zeros give 0 everywhere).

extension Tensor {
    /// Running sums along `axis` (PyTorch's `torch.cumsum`): element k is the sum of elements 0...k.
    ///
    /// - Parameter axis: the dimension to accumulate along; negative values count from the end.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).cumsum(axis: 0)   // [1, 3, 6]
    /// ```
    public func cumsum(axis: Int) -> Tensor {
        checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "cumsum: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                return reshape([1]).cumsum(axis: 0).reshape([])
            }
            let a = try self.axis(axis, op: "cumsum", scalarAxis: true)
            let out = scanKernel(axis: a, reverse: false, product: false)
            record("cumsum", output: out, inputs: [self]) { g, _ in [g.reverseCumsum(axis: a)] }
            return out
        }
    }

    /// Running sums from the end along axis `a` (normalized): element k is the sum of elements k..<n.
    /// The gradient of ``cumsum(axis:)``, and its transpose.
    func reverseCumsum(axis a: Int) -> Tensor {
        let out = scanKernel(axis: a, reverse: true, product: false)
        record("reverseCumsum", output: out, inputs: [self]) { g, _ in [g.cumsum(axis: a)] }
        return out
    }

    /// Running products along `axis` (PyTorch's `torch.cumprod`): element k is the product of
    /// elements 0...k.
    ///
    /// The gradient is exact when the input holds zeros: each element gets the sum over later outputs
    /// of the upstream gradient times the product of the other factors, as in PyTorch.
    ///
    /// - Parameter axis: the dimension to accumulate along; negative values count from the end.
    ///
    /// ```swift
    /// Tensor([1, 2, 3, 4]).cumprod(axis: 0)   // [1, 2, 6, 24]
    /// ```
    public func cumprod(axis: Int) -> Tensor {
        checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "cumprod: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                return reshape([1]).cumprod(axis: 0).reshape([])
            }
            let a = try self.axis(axis, op: "cumprod", scalarAxis: true)
            let out = scanKernel(axis: a, reverse: false, product: true)
            record("cumprod", output: out, inputs: [self]) { g, y in
                [Tensor.cumprodBackward(g, input: self, output: y, axis: a)]
            }
            return out
        }
    }

    /// The product of all elements (a rank-0 tensor); 1 for an empty tensor.
    ///
    /// ```swift
    /// Tensor([2, 3, 4]).prod()   // 24
    /// ```
    public func prod() -> Tensor {
        reshape([count]).prod(axis: 0)
    }

    /// The product along `axis` (PyTorch's `torch.prod(dim=)`); the reduced dimension is kept with size
    /// 1 when `keepDims`. An empty dimension gives 1.
    ///
    /// The gradient is exact with zeros: in a product with one zero, the zero gets the product of the
    /// other factors and the others get 0; with two or more zeros every gradient is 0.
    ///
    /// - Parameters:
    ///   - axis: the dimension to multiply along; negative values count from the end.
    ///   - keepDims: keep the reduced dimension with size 1.
    ///
    /// ```swift
    /// let rowProducts = x.prod(axis: 1)   // [N, M] -> [N]
    /// ```
    public func prod(axis: Int, keepDims: Bool = false) -> Tensor {
        checked {
            if rank == 0 {
                try require(axis == 0 || axis == -1, "prod: axis \(axis) is out of range for a tensor of rank 0", .indexOutOfRange)
                return reshape([1]).prod(axis: 0, keepDims: false)
            }
            let a = try self.axis(axis, op: "prod", scalarAxis: true)
            let kept = keepDimsShape([a])
            let reduced = productKernel(axis: a)
            let out = Tensor(shape: reducedShape([a], keepDims: keepDims), dtype: dtype, storage: reduced.storage)
            record("prod", output: out, inputs: [self]) { g, y in
                let gk = g.reshape(kept)
                if !self.containsZero() { return [gk * (y.reshape(kept) / self)] }
                return [gk * self.productsLeavingOneOut(axis: a)]
            }
            return out
        }
    }

    // MARK: Backward helpers

    /// Whether any element is exactly zero (a floating-point tensor).
    func containsZero() -> Bool {
        switch dtype {
        case .float32: return buffer(Float.self).contains(0)
        case .float64: return buffer(Double.self).contains(0)
        case .int64: return buffer(Int64.self).contains(0)
        }
    }

    /// This tensor reversed along axis `a` (differentiable).
    func flipped(axis a: Int) -> Tensor {
        let n = shape[a]
        return indexSelect(axis: a, index: Tensor(labels: Array((0..<n).reversed())))
    }

    /// For each element, the product of the other elements of its line along axis `a`: the exclusive
    /// running product from the start times the exclusive running product from the end
    /// ([a, b, c] gives [1, a, a·b] · [b·c, c, 1]). Exact with zeros, and differentiable (PyTorch's
    /// prod_safe_zeros_backward).
    func productsLeavingOneOut(axis a: Int) -> Tensor {
        let n = shape[a]
        if n == 0 { return self }
        let ones = Tensor.ones(keepDimsShape([a]), dtype: dtype)
        let before = Tensor.concatenate([ones, slice(axis: a, start: 0, end: n - 1)], axis: a).cumprod(axis: a)
        let after = Tensor.concatenate([ones, slice(axis: a, start: 1, end: n).flipped(axis: a)], axis: a)
            .cumprod(axis: a).flipped(axis: a)
        return before * after
    }

    /// The gradient of `output = input.cumprod(axis: a)` for the upstream gradient `g`.
    ///
    /// Without zeros in the input: reverseCumsum(g·output) / input. With zeros, while recording a graph
    /// (createGraph), a differentiable O(n²) form; otherwise an O(n) loop (as PyTorch chooses).
    static func cumprodBackward(_ g: Tensor, input x: Tensor, output y: Tensor, axis a: Int) -> Tensor {
        if x.count <= 1 || x.shape[a] <= 1 { return g }
        if !x.containsZero() { return (g * y).reverseCumsum(axis: a) / x }
        if GradMode.isEnabled { return cumprodBackwardRecorded(g, input: x, axis: a) }
        return cumprodBackwardKernel(g, input: x, output: y, axis: a)
    }

    /// grad_k = Σ_{j ≥ k} g_j · Π_{m ≤ j, m ≠ k} x_m with tensor operations (so that it can be
    /// differentiated again): the axis moves last, an [n, n] matrix per line holds the input with its
    /// diagonal replaced by 1, and its running products along the rows are the products that leave one
    /// factor out.
    private static func cumprodBackwardRecorded(_ g: Tensor, input x: Tensor, axis a: Int) -> Tensor {
        let last = x.rank - 1
        let xt = a == last ? x : x.transpose(a, last)
        let gt = a == last ? g : g.transpose(a, last)
        let n = x.shape[a]
        let one = Tensor.full([], value: 1, dtype: x.dtype)
        // leftOut[..., k, j] = Π_{m ≤ j, m ≠ k} x_m
        let leftOut = Tensor.where(Tensor.eye(n, dtype: x.dtype), one, xt.unsqueeze(-2)).cumprod(axis: -1)
        let laterOutputs = Tensor.ones([n, n], dtype: x.dtype).triu()   // j ≥ k
        let grad = (leftOut * laterOutputs * gt.unsqueeze(-2)).sum(axes: [-1])
        return a == last ? grad : grad.transpose(a, last)
    }

    /// The same gradient in one pass per line, for inputs with zeros (not recorded). With z the first
    /// zero of a line: elements before z get reverseCumsum(g·y)/x (y is 0 from z on); z gets
    /// y[z−1] · Σ_{j ≥ z} g_j · Π_{z < m ≤ j} x_m (the products vanish after a second zero); elements
    /// after z get 0.
    private static func cumprodBackwardKernel(_ g: Tensor, input x: Tensor, output y: Tensor, axis a: Int) -> Tensor {
        let (outer, n, inner) = x.axisLayout(a)
        let out = Tensor.zeros(x.shape, dtype: x.dtype)
        func run<T: TensorFloat>(_: T.Type) {
            let xp = x.pointer(T.self), yp = y.pointer(T.self), gp = g.pointer(T.self), dp = out.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* n &* inner &+ i
                    func at(_ k: Int) -> Int { base &+ k &* inner }
                    var z = n
                    for k in 0..<n where xp[at(k)] == 0 { z = k; break }
                    var suffix: T = 0
                    var k = z - 1
                    while k >= 0 {
                        suffix += gp[at(k)] * yp[at(k)]
                        dp[at(k)] = suffix / xp[at(k)]
                        k -= 1
                    }
                    guard z < n else { continue }
                    var running: T = 1, total: T = 0
                    for j in z..<n {
                        if j > z { running *= xp[at(j)] }
                        total += gp[at(j)] * running
                    }
                    dp[at(z)] = total * (z > 0 ? yp[at(z - 1)] : 1)
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: fatalError("cumprod: int64 tensors have no gradient")
        }
        return out
    }

    // MARK: Kernels

    /// Running sums or products along axis `a`, from the start or from the end. Float32 input keeps
    /// its running value in Float64 and rounds each output once, as PyTorch's CPU kernels do (a Float32
    /// running sum stops growing at 2²⁴ ones).
    func scanKernel(axis a: Int, reverse: Bool, product: Bool) -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<T, A>(_: T.Type, accumulator _: A.Type, zero: A, one: A, widen: (T) -> A, narrow: (A) -> T,
                       add: (A, A) -> A, multiply: (A, A) -> A) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o &* n &* inner &+ i
                    var acc = product ? one : zero
                    for step in 0..<n {
                        let p = base &+ (reverse ? n - 1 - step : step) &* inner
                        acc = product ? multiply(acc, widen(src[p])) : add(acc, widen(src[p]))
                        dst[p] = narrow(acc)
                    }
                }
            }
        }
        func run<T>(_: T.Type, zero: T, one: T, add: (T, T) -> T, multiply: (T, T) -> T) {
            run(T.self, accumulator: T.self, zero: zero, one: one, widen: { $0 }, narrow: { $0 }, add: add, multiply: multiply)
        }
        switch dtype {
        case .float32:
            run(Float.self, accumulator: Double.self, zero: 0, one: 1, widen: { Double($0) }, narrow: { Float($0) },
                add: +, multiply: *)
        case .float64: run(Double.self, zero: 0, one: 1, add: +, multiply: *)
        case .int64: run(Int64.self, zero: 0, one: 1, add: &+, multiply: &*)
        }
        return out
    }

    /// The product along axis `a`, keeping it with size 1.
    func productKernel(axis a: Int) -> Tensor {
        let (outer, n, inner) = axisLayout(a)
        let out = Tensor(uninitializedShape: keepDimsShape([a]), dtype: dtype)
        func run<T>(_: T.Type, one: T, multiply: (T, T) -> T) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    var acc = one
                    for k in 0..<n { acc = multiply(acc, src[(o &* n &+ k) &* inner &+ i]) }
                    dst[o &* inner &+ i] = acc
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self, one: 1, multiply: *)
        case .float64: run(Double.self, one: 1, multiply: *)
        case .int64: run(Int64.self, one: 1, multiply: &*)
        }
        return out
    }
}
