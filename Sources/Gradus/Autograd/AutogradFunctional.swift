// Whole derivatives of a function as values (PyTorch's `torch.autograd.functional`): Jacobians,
// Hessians, vector-Jacobian, Jacobian-vector and Hessian-vector products, each built from reverse-mode
// passes of ``Autograd/gradients(of:wrt:gradOutput:retainGraph:createGraph:)``.

extension Autograd {
    /// The points at which a function is differentiated: detached copies that require gradients, or —
    /// with `createGraph`, for an input that requires gradients — a recorded copy, so that the results can
    /// be differentiated with respect to the caller's tensors (PyTorch's `create_graph=True`), recorded
    /// even inside ``GradMode/noGrad(_:)``.
    ///
    /// Every pass keeps the graph it walks (`retainGraph`): a Jacobian or Hessian takes one pass per row
    /// through the same graph. Passes run only the nodes that lead to these variables, so a function
    /// that reads tensors of the caller's graph (an encoder's output, say) leaves that graph untouched.
    private static func variables(_ inputs: [Tensor], createGraph: Bool) -> [Tensor] {
        GradMode.with(enabled: true) { inputs.map { createGraph && $0.requiresGrad ? $0.clone() : $0.detach().requiringGrad() } }
    }

    /// `given`, or ones for inputs of one element each (PyTorch lets `v` be omitted then).
    private static func vectors(_ given: [Tensor]?, for inputs: [Tensor], op: String) throws -> [Tensor] {
        if let given { return given }
        try require(inputs.allSatisfy { $0.count == 1 }, "\(op): give v, one tensor per input (it may be omitted only for one-element inputs)",
                    .shapeMismatch)
        return inputs.map { Tensor.ones($0.shape, dtype: $0.dtype) }
    }

    /// Refuses derivatives whose `count` elements of `dtype` (twice: the rows and the result) no memory holds.
    private static func requireMemory(_ count: Int, _ dtype: DType, op: String) throws {
        try require(count <= TensorStorage.physicalMemoryBytes / dtype.byteSize / 2,
                    "\(op): the \(count) derivatives need more than this machine's memory", .outOfMemory)
    }

    /// `result` detached unless the graph is kept.
    private static func finished(_ result: Tensor, createGraph: Bool) -> Tensor { createGraph ? result : result.detach() }

    /// The vector-Jacobian product vᵀ·J of `body` at `inputs` (PyTorch's `autograd.functional.vjp`): the
    /// gradient of ⟨body(inputs), v⟩ with respect to each input.
    ///
    /// - Parameters:
    ///   - inputs: the point.
    ///   - body: the function.
    ///   - v: a tensor of the output's shape; may be omitted when the output has one element (then 1).
    ///   - createGraph: record the computation, so that the results can be differentiated again.
    /// - Returns: the function's value and one product per input (zeros for an input it does not depend on).
    ///
    /// ```swift
    /// let (y, grads) = Autograd.vjp(at: [x], of: { $0[0].tanh() }, v: Tensor.ones(x.shape))
    /// ```
    public static func vjp(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor, v: Tensor? = nil,
                           createGraph: Bool = false) rethrows -> (value: Tensor, vjp: [Tensor]) {
        let x = variables(inputs, createGraph: createGraph)
        let value = try GradMode.with(enabled: true) { try body(x) }
        let products: [Tensor] = checked(or: []) { () throws -> [Tensor] in try GradMode.with(enabled: true) {
            if let v {
                try require(v.shape == value.shape, "Autograd.vjp: v has shape \(v.shape), the function's output \(value.shape)", .shapeMismatch)
            } else {
                try require(value.count == 1, "Autograd.vjp: the output has shape \(value.shape); give v of that shape", .shapeMismatch)
            }
            guard value.requiresGrad else { return inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) } }
            return gradients(of: value, wrt: x, gradOutput: v, retainGraph: true, createGraph: createGraph)
                .map { finished($0, createGraph: createGraph) }
        } }
        guard products.count == inputs.count else { return (Tensor.placeholder(), inputs.map { _ in Tensor.placeholder() }) }
        return (finished(value, createGraph: createGraph), products)
    }

    /// The Jacobian-vector product J·v of `body` at `inputs` (PyTorch's `autograd.functional.jvp`): the
    /// directional derivative of the output along `v` (one tangent per input), computed with two
    /// reverse-mode passes (the gradient for a symbolic cotangent u is linear in u; its gradient with
    /// respect to u along v is J·v).
    ///
    /// - Parameters:
    ///   - inputs: the point.
    ///   - body: the function.
    ///   - v: one tangent per input, of its shape; may be omitted when every input has one element (then 1).
    ///   - createGraph: record the computation, so that the result can be differentiated again.
    /// - Returns: the function's value and J·v, of the output's shape.
    ///
    /// ```swift
    /// let (y, directional) = Autograd.jvp(at: [x], of: { $0[0].sin() }, v: [Tensor.ones(x.shape)])   // cos(x)
    /// ```
    public static func jvp(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor, v: [Tensor]? = nil,
                           createGraph: Bool = false) rethrows -> (value: Tensor, jvp: Tensor) {
        let x = variables(inputs, createGraph: createGraph)
        let value = try GradMode.with(enabled: true) { try body(x) }
        let product: Tensor? = checked(or: nil) {
            let tangents = try vectors(v, for: inputs, op: "Autograd.jvp")
            try require(tangents.count == inputs.count, "Autograd.jvp: \(tangents.count) tangents for \(inputs.count) inputs", .shapeMismatch)
            for (i, (tangent, input)) in zip(tangents, inputs).enumerated() {
                try require(tangent.shape == input.shape, "Autograd.jvp: tangent \(i) has shape \(tangent.shape), input \(i) \(input.shape)",
                            .shapeMismatch)
            }
            guard value.requiresGrad else { return Tensor.zeros(value.shape, dtype: value.dtype) }
            return GradMode.with(enabled: true) {
                // The gradient is linear in u, so any u gives the same result; ones, not zeros, because some
                // backward rules take shortcuts for an all-zero incoming gradient (SVD's and eigh's vectors).
                let u = Tensor.ones(value.shape, dtype: value.dtype).requiringGrad()
                let g = gradients(of: value, wrt: x, gradOutput: u, retainGraph: true, createGraph: true)
                var directional = Tensor.zeros([], dtype: value.dtype)
                for (gi, vi) in zip(g, tangents) { directional = directional + (gi * vi.to(gi.dtype)).sum() }
                // A gradient that does not depend on u (an input the output ignores) adds nothing.
                guard directional.requiresGrad else { return Tensor.zeros(value.shape, dtype: value.dtype) }
                return finished(gradients(of: directional, wrt: [u], retainGraph: true, createGraph: createGraph)[0], createGraph: createGraph)
            }
        }
        guard let product else { return (Tensor.placeholder(), Tensor.placeholder()) }
        return (finished(value, createGraph: createGraph), product)
    }

    /// The Jacobian of `body` at `inputs` (PyTorch's `autograd.functional.jacobian`): one block per input,
    /// of shape `output.shape + input.shape`, entry (i, j) the derivative of output element i with respect
    /// to input element j. One reverse pass per output element.
    ///
    /// - Parameters:
    ///   - inputs: the point.
    ///   - body: the function.
    ///   - createGraph: record the computation, so that the Jacobian can be differentiated again.
    /// - Returns: one block per input (zeros for an input the output does not depend on).
    ///
    /// ```swift
    /// let blocks = Autograd.jacobian(at: [w, b]) { p in x.matmul(p[0]) + p[1] }
    /// ```
    public static func jacobian(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor,
                                createGraph: Bool = false) rethrows -> [Tensor] {
        let x = variables(inputs, createGraph: createGraph)
        let value = try GradMode.with(enabled: true) { try body(x) }
        return jacobianBlocks(of: value, wrt: x, inputs: inputs, createGraph: createGraph)
    }

    /// Single-input form of ``jacobian(at:of:createGraph:)-(_,([Tensor])->Tensor,_)``: `output.shape + input.shape`.
    ///
    /// ```swift
    /// let j = Autograd.jacobian(at: x) { $0.softmax(axis: 0) }   // [n, n]
    /// ```
    public static func jacobian(at input: Tensor, of body: (Tensor) throws -> Tensor, createGraph: Bool = false) rethrows -> Tensor {
        try jacobian(at: [input], of: { try body($0[0]) }, createGraph: createGraph).first ?? Tensor.placeholder()
    }

    /// The Jacobian blocks of `value` with respect to `x` (the variables standing for `inputs`).
    private static func jacobianBlocks(of value: Tensor, wrt x: [Tensor], inputs: [Tensor], createGraph: Bool) -> [Tensor] {
        checked(or: inputs.map { _ in Tensor.placeholder() }) { () throws -> [Tensor] in try GradMode.with(enabled: true) {
            let outputs = value.count
            var total = 0
            for input in inputs {
                let count = try Tensor.elementCount([outputs, input.count], op: "Autograd.jacobian")
                let (sum, overflow) = total.addingReportingOverflow(count)
                try require(!overflow, "Autograd.jacobian: the derivatives of \(outputs) outputs are too many", .outOfMemory)
                total = sum
            }
            try requireMemory(total, inputs.first?.dtype ?? value.dtype, op: "Autograd.jacobian")
            guard value.requiresGrad, outputs > 0 else {
                return try inputs.map { try Tensor.checkedZeros(value.shape + $0.shape, dtype: $0.dtype, op: "Autograd.jacobian") }
            }
            var rows = [[Tensor]](repeating: [], count: x.count)
            for i in 0..<outputs {
                var seed = [Double](repeating: 0, count: outputs)
                seed[i] = 1
                let row = gradients(of: value, wrt: x, gradOutput: Tensor(shape: value.shape, values: seed, dtype: value.dtype),
                                    retainGraph: true, createGraph: createGraph)
                try GradusError.throwIfRecorded()
                for (k, g) in row.enumerated() { rows[k].append(finished(g, createGraph: createGraph).reshape([-1])) }
            }
            return zip(rows, inputs).map { Tensor.stack($0.0).reshape(value.shape + $0.1.shape) }
        } }
    }

    /// The Hessian of a function with one-element output at `input` (PyTorch's
    /// `autograd.functional.hessian`): `input.shape + input.shape`, the Jacobian of its gradient.
    ///
    /// - Parameters:
    ///   - input: the point.
    ///   - body: the function; its output must have one element.
    ///   - createGraph: record the computation, so that the Hessian can be differentiated again.
    /// - Returns: the Hessian.
    ///
    /// ```swift
    /// let h = Autograd.hessian(at: x) { ($0 * $0 * $0).sum() }   // diag(6x)
    /// ```
    public static func hessian(at input: Tensor, of body: (Tensor) throws -> Tensor, createGraph: Bool = false) rethrows -> Tensor {
        try hessian(at: [input], of: { try body($0[0]) }, createGraph: createGraph).first?.first ?? Tensor.placeholder()
    }

    /// The Hessian of a function of several inputs: block [i][j] of shape `inputs[i].shape + inputs[j].shape`,
    /// the derivatives with respect to input i and then input j.
    ///
    /// ```swift
    /// let blocks = Autograd.hessian(at: [a, b]) { p in (p[0] * p[1]).sum() }   // blocks[0][1] = identity
    /// ```
    public static func hessian(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor,
                               createGraph: Bool = false) rethrows -> [[Tensor]] {
        let x = variables(inputs, createGraph: createGraph)
        let value = try GradMode.with(enabled: true) { try body(x) }
        return checked(or: inputs.map { _ in inputs.map { _ in Tensor.placeholder() } }) {
            try require(value.count == 1, "Autograd.hessian: the function returned shape \(value.shape), not a single value", .shapeMismatch)
            let elements = inputs.map(\.count).reduce(0) { $0.addingReportingOverflow($1).overflow ? Int.max : $0 + $1 }
            let (blocks, overflow) = elements.multipliedReportingOverflow(by: elements)
            try require(!overflow, "Autograd.hessian: the second derivatives of \(elements) inputs are too many", .outOfMemory)
            try requireMemory(blocks, inputs.first?.dtype ?? value.dtype, op: "Autograd.hessian")
            guard value.requiresGrad else {
                return try inputs.map { a in try inputs.map { b in try Tensor.checkedZeros(a.shape + b.shape, dtype: b.dtype, op: "Autograd.hessian") } }
            }
            let g = GradMode.with(enabled: true) { gradients(of: value, wrt: x, retainGraph: true, createGraph: true) }
            try GradusError.throwIfRecorded()
            // Block [i][j]: the Jacobian of gradient i with respect to input j.
            return g.map { gi in jacobianBlocks(of: gi, wrt: x, inputs: inputs, createGraph: createGraph) }
        }
    }

    /// The Hessian-vector product H·v of a function with one-element output at `inputs` (PyTorch's
    /// `autograd.functional.hvp`), without forming H: two reverse passes.
    ///
    /// - Parameters:
    ///   - inputs: the point.
    ///   - body: the function; its output must have one element.
    ///   - v: one vector per input, of its shape; may be omitted when every input has one element (then 1).
    ///   - createGraph: record the computation, so that the results can be differentiated again.
    /// - Returns: the function's value and H·v, one tensor per input.
    ///
    /// ```swift
    /// let (loss, curvature) = Autograd.hvp(at: params, of: { lossOf($0) }, v: direction)
    /// ```
    public static func hvp(at inputs: [Tensor], of body: ([Tensor]) throws -> Tensor, v: [Tensor]? = nil,
                           createGraph: Bool = false) rethrows -> (value: Tensor, hvp: [Tensor]) {
        let x = variables(inputs, createGraph: createGraph)
        let value = try GradMode.with(enabled: true) { try body(x) }
        let products: [Tensor] = checked(or: []) {
            try require(value.count == 1, "Autograd.hvp: the function returned shape \(value.shape), not a single value", .shapeMismatch)
            let directions = try vectors(v, for: inputs, op: "Autograd.hvp")
            try require(directions.count == inputs.count, "Autograd.hvp: \(directions.count) vectors for \(inputs.count) inputs", .shapeMismatch)
            for (i, (vector, input)) in zip(directions, inputs).enumerated() {
                try require(vector.shape == input.shape, "Autograd.hvp: vector \(i) has shape \(vector.shape), input \(i) \(input.shape)",
                            .shapeMismatch)
            }
            let zeros = inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) }
            guard value.requiresGrad else { return zeros }
            return GradMode.with(enabled: true) {
                let g = gradients(of: value, wrt: x, retainGraph: true, createGraph: true)
                var inner = Tensor.zeros([], dtype: value.dtype)
                for (gi, vi) in zip(g, directions) { inner = inner + (gi * vi.to(gi.dtype)).sum() }
                guard inner.requiresGrad else { return zeros }   // a gradient constant in the inputs: H = 0
                return gradients(of: inner, wrt: x, retainGraph: true, createGraph: createGraph).map { finished($0, createGraph: createGraph) }
            }
        }
        guard products.count == inputs.count else { return (Tensor.placeholder(), inputs.map { _ in Tensor.placeholder() }) }
        return (finished(value, createGraph: createGraph), products)
    }
}
