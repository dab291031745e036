// In-place operations: they write into a tensor's own storage, so that every holder of the tensor (an
// optimizer, a module, a view made by reshape or detach) sees the new values. PyTorch's `copy_`,
// `add_`, `mul_`, `zero_`, `fill_`, `clamp_`, named here with an `InPlace` suffix (and `assign` for copy_).
//
// The rules are PyTorch's: a tensor that requires gradients cannot be changed in place while gradients
// are recorded (a leaf must be updated under GradMode.noGrad, as optimizers do; Gradus does not record
// in-place operations, so a tensor computed by a recorded operation cannot be changed at all while
// recording, and, unlike PyTorch, values from a tensor that requires gradients cannot be written in
// place while recording: their gradient would be lost). Each change counts a new storage version, and a backward pass that would read a changed
// tensor throws instead of computing a wrong gradient.
//
// On a view (a slice, a transpose, …) the values are written through its strides into the shared
// storage, so the tensor it was taken from changes too (`x.slice(axis: 1, start: 0, end: 1).zeroInPlace()`
// clears x's first column), as in PyTorch. A view made by `expand`, whose elements share memory, refuses.

extension Tensor {
    /// Checks that this tensor may be written in place now, from `source` (the tensor whose values go
    /// in): while gradients are recorded, it may not require gradients, because Gradus does not
    /// record in-place operations and their gradient would be lost without a word (PyTorch records it).
    func checkInPlace(_ op: String, source: Tensor? = nil) throws {
        guard GradMode.isEnabled else { return }
        if let source, source.requiresGrad {
            throw GradusError(.inPlaceModification,
                              "\(op): the source (shape \(source.shape)) requires gradients, and Gradus does not record in-place operations, so its gradient would be lost; use the out-of-place form (x = x + y), or pass source.detach() (or work inside GradMode.noGrad { }) when no gradient should flow")
        }
        guard requiresGrad else { return }
        if isLeaf {
            throw GradusError(.inPlaceModification,
                              "\(op): a leaf tensor that requires gradients (shape \(shape)) cannot be changed in place while gradients are recorded; do it inside GradMode.noGrad { }, as optimizers do")
        }
        throw GradusError(.inPlaceModification,
                          "\(op): the tensor (shape \(shape)) was computed by the recorded operation '\(gradFn?.name ?? "?")'; Gradus does not record in-place operations, so use the out-of-place form (x = x + y) or detach it first")
    }

    /// Writes `result` (computed without recording, of this tensor's shape) into this tensor.
    private func overwrite(with result: Tensor, _ op: String) throws -> Tensor {
        try require(result.shape == shape,
                    "\(op): the result has shape \(result.shape) but an in-place operation must keep this tensor's shape \(shape)",
                    .shapeMismatch)
        let converted = result.dtype == dtype ? result : GradMode.noGrad { result.to(dtype) }
        try writeValues(from: converted, op)
        return self
    }

    /// Runs an in-place operation: checks, computes `body` without recording, writes the result back.
    /// Arithmetic refuses a floating-point result for an int64 tensor, as PyTorch does ("result type
    /// Float can't be cast to the desired output type Long"); `assign` (copy_) converts any dtype.
    private func inPlace(_ op: String, source: Tensor? = nil, convertsAnyDType: Bool = false, _ body: () throws -> Tensor) -> Tensor {
        checked {
            try checkInPlace(op, source: source)
            let result = try GradMode.noGrad { try body() }
            try GradusError.throwIfRecorded()
            try require(convertsAnyDType || dtype.isFloatingPoint || !result.dtype.isFloatingPoint,
                        "\(op): the result is \(result.dtype), which cannot be stored in place in this \(dtype) tensor (shape \(shape)); convert it with to(_:) first",
                        .dtypeMismatch)
            return try overwrite(with: result, op)
        }
    }

    /// Copies `source`'s values into this tensor (PyTorch's `copy_`): broadcast to this shape and
    /// converted to this dtype. The tensor keeps its identity.
    ///
    /// - Parameter source: the new values; its shape must broadcast to this tensor's.
    /// - Returns: this tensor, for chaining.
    ///
    /// ```swift
    /// GradMode.noGrad { layer.weight.assign(pretrained) }
    /// ```
    @discardableResult
    public func assign(_ source: Tensor) -> Tensor {
        inPlace("assign", source: source, convertsAnyDType: true) {
            let s = source.dtype == dtype ? source : source.to(dtype)
            return s.shape == shape ? s : s.expand(shape)
        }
    }

    /// Adds `alpha · other` to this tensor in place (PyTorch's `add_`), with broadcasting of `other`.
    ///
    /// - Parameters:
    ///   - other: the tensor to add; its shape must broadcast to this tensor's.
    ///   - alpha: a factor applied to `other`.
    /// - Returns: this tensor.
    ///
    /// ```swift
    /// GradMode.noGrad { w.addInPlace(w.grad!, alpha: -0.1) }
    /// ```
    @discardableResult
    public func addInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
        inPlace("addInPlace", source: other) { alpha == 1 ? self + other : self + other * alpha }
    }

    /// Subtracts `alpha · other` from this tensor in place (PyTorch's `sub_`).
    @discardableResult
    public func subInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
        inPlace("subInPlace", source: other) { alpha == 1 ? self - other : self - other * alpha }
    }

    /// Multiplies this tensor by `other` in place (PyTorch's `mul_`), with broadcasting of `other`.
    @discardableResult
    public func mulInPlace(_ other: Tensor) -> Tensor {
        inPlace("mulInPlace", source: other) { self * other }
    }

    /// Multiplies this tensor by a number in place.
    ///
    /// ```swift
    /// GradMode.noGrad { layer.weight.mulInPlace(0.5) }
    /// ```
    @discardableResult
    public func mulInPlace(_ factor: Double) -> Tensor {
        inPlace("mulInPlace") { self * factor }
    }

    /// Divides this tensor by `other` in place (PyTorch's `div_`).
    @discardableResult
    public func divInPlace(_ other: Tensor) -> Tensor {
        inPlace("divInPlace", source: other) { self / other }
    }

    /// Sets every element to `value` (PyTorch's `fill_`).
    ///
    /// ```swift
    /// GradMode.noGrad { bias.fillInPlace(0.01) }
    /// ```
    @discardableResult
    public func fillInPlace(_ value: Double) -> Tensor {
        inPlace("fillInPlace") { Tensor.full(shape, value: value, dtype: dtype) }
    }

    /// Sets every element to zero (PyTorch's `zero_`).
    @discardableResult
    public func zeroInPlace() -> Tensor {
        inPlace("zeroInPlace") { Tensor.zeros(shape, dtype: dtype) }
    }

    /// Clamps every element to [`min`, `max`] in place (PyTorch's `clamp_`).
    ///
    /// ```swift
    /// GradMode.noGrad { for p in critic.parameters() { p.clampInPlace(min: -0.01, max: 0.01) } }
    /// ```
    @discardableResult
    public func clampInPlace(min lo: Double? = nil, max hi: Double? = nil) -> Tensor {
        inPlace("clampInPlace") { clamp(min: lo, max: hi) }
    }

    /// How many times this tensor's storage was changed in place (PyTorch's `_version`).
    public var version: Int { storage.version }
}
