import Gradus

// Operations that several layers write, in one place: those whose form depends on the opset, and the
// ones with constant operands (shapes, axes, weights).
extension ONNXGraphBuilder {
    /// The mean over `axes` (`ReduceMean`: axes as an attribute before opset 18, as an input from 18 on).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axes: the axes to average over.
    ///   - keepDims: whether the reduced axes stay with size 1.
    /// - Returns: the output's name.
    ///
    /// ```swift
    /// let mean = graph.reduceMean(x.name, axes: [-1])
    /// ```
    public func reduceMean(_ x: String, axes: [Int], keepDims: Bool = true) -> String {
        reduce("ReduceMean", x, axes: axes, keepDims: keepDims)
    }

    /// The maximum over `axes` (`ReduceMax`: axes as an attribute before opset 18, as an input from 18 on).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axes: the axes to take the maximum over.
    ///   - keepDims: whether the reduced axes stay with size 1.
    /// - Returns: the output's name.
    ///
    /// ```swift
    /// let peak = graph.reduceMax(x.name, axes: [2])
    /// ```
    public func reduceMax(_ x: String, axes: [Int], keepDims: Bool = true) -> String {
        reduce("ReduceMax", x, axes: axes, keepDims: keepDims)
    }

    /// The sum over `axes` (`ReduceSum`, axes as an input: every supported opset is 13 or later).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axes: the axes to sum over.
    ///   - keepDims: whether the reduced axes stay with size 1.
    /// - Returns: the output's name.
    ///
    /// ```swift
    /// let total = graph.reduceSum(x.name, axes: [1], keepDims: false)
    /// ```
    public func reduceSum(_ x: String, axes: [Int], keepDims: Bool = true) -> String {
        node("ReduceSum", [x, constant(ints: axes)], attributes: [.int("keepdims", keepDims ? 1 : 0)])
    }

    /// A reduction whose axes moved from an attribute to an input in opset 18.
    private func reduce(_ op: String, _ x: String, axes: [Int], keepDims: Bool) -> String {
        if opset < 18 {
            return node(op, [x], attributes: [.ints("axes", axes), .int("keepdims", keepDims ? 1 : 0)])
        }
        return node(op, [x, constant(ints: axes)], attributes: [.int("keepdims", keepDims ? 1 : 0)])
    }

    /// Permutes axes (`Transpose`).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - perm: output axis i is input axis `perm[i]`.
    /// - Returns: the output's name.
    public func transpose(_ x: String, _ perm: [Int]) -> String {
        node("Transpose", [x], attributes: [.ints("perm", perm)])
    }

    /// Inserts axes of size 1 (`Unsqueeze`).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axes: where, in the output.
    /// - Returns: the output's name.
    public func unsqueeze(_ x: String, axes: [Int]) -> String {
        node("Unsqueeze", [x, constant(ints: axes)])
    }

    /// Removes axes of size 1 (`Squeeze`).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axes: which.
    /// - Returns: the output's name.
    public func squeeze(_ x: String, axes: [Int]) -> String {
        node("Squeeze", [x, constant(ints: axes)])
    }

    /// Reshapes to a constant shape specification, in which `0` copies the input's size on that axis and
    /// one `-1` is inferred (`Reshape`).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - shape: the specification.
    /// - Returns: the output's name.
    ///
    /// ```swift
    /// let heads = graph.reshape(q, [0, -1, headDim])
    /// ```
    public func reshape(_ x: String, _ shape: [Int]) -> String {
        node("Reshape", [x, constant(ints: shape)])
    }

    /// Reshapes `value` to the shapes that Gradus's `result` has for the samples, without writing the
    /// sizes of dynamic axes: a dynamic output axis that keeps the input's size at the same position is
    /// copied (`0`), one other is inferred (`-1`).
    ///
    /// - Parameters:
    ///   - value: the input.
    ///   - result: Gradus's reshaped value for the samples (`ONNXValue.sample` of the layer's output).
    ///   - alternate: the same for the second sample, if any.
    /// - Returns: the output's name.
    /// - Throws: a `GradusError` when two dynamic axes would both need inferring.
    public func reshape(_ value: ONNXValue, toShapeOf result: [Int], alternate: [Int]?) throws -> String {
        var spec: [Int] = []
        var inferred = false
        for (i, size) in result.enumerated() {
            let dynamic = alternate.map { $0.count == result.count && $0[i] != size } ?? false
            if !dynamic {
                spec.append(size)
            } else if i < value.rank, value.isDynamic(i), value.shape[i] == size, value.alternate?.shape[i] == alternate?[i] {
                spec.append(0)
            } else if !inferred {
                spec.append(-1)
                inferred = true
            } else {
                throw unsupported("cannot reshape \(value.shape) to \(result) with more than one dynamic axis moved; export with fewer dynamic axes")
            }
        }
        if spec.contains(0), !spec.indices.allSatisfy({ spec[$0] != 0 || value.isDynamic($0) }) {
            throw unsupported("cannot reshape \(value.shape) to \(result): ONNX reads a size of 0 as 'copy'")
        }
        return reshape(value.name, spec)
    }

    /// `x · weightᵀ + bias` over the last axis of `x`, with the weight `[out, in]` stored as a parameter:
    /// `Gemm` for matrices, `MatMul` (with the transposed weight) and `Add` otherwise.
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - rank: the input's rank.
    ///   - weight: the weight `[out, in]`.
    ///   - bias: the bias `[out]`, if any.
    ///   - prefix: the parameters' names are `prefix` + `weight` and `prefix` + `bias`.
    /// - Returns: the output's name.
    /// - Throws: a `GradusError` when the parameters are not float32.
    ///
    /// ```swift
    /// let y = try graph.linear(x.name, rank: x.rank, weight: w, bias: b, prefix: "out_proj.")
    /// ```
    public func linear(_ x: String, rank: Int, weight: Tensor, bias: Tensor?, prefix: String = "") throws -> String {
        let w = try parameter(weight, name: prefix + "weight")
        let b = try bias.map { try parameter($0, name: prefix + "bias") }
        if rank == 2 {
            return node("Gemm", [x, w] + (b.map { [$0] } ?? []), attributes: [.int("transB", 1)])
        }
        let product = node("MatMul", [x, transpose(w, [1, 0])])
        guard let b else { return product }
        return node("Add", [product, b])
    }

    /// A slice `[start, end)` of one axis (`Slice`).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - axis: the axis.
    ///   - start: the first index.
    ///   - end: one past the last index.
    /// - Returns: the output's name.
    public func slice(_ x: String, axis: Int, start: Int, end: Int) -> String {
        node("Slice", [x, constant(ints: [start]), constant(ints: [end]), constant(ints: [axis])])
    }

    /// `x · factor` for a number (skipped when the factor is 1).
    ///
    /// - Parameters:
    ///   - x: the input's name.
    ///   - factor: the number.
    /// - Returns: the output's name.
    public func scaled(_ x: String, by factor: Double) -> String {
        factor == 1 ? x : node("Mul", [x, constant(scalar: factor)])
    }
}
