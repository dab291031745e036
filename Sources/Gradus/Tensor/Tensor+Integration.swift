// Numerical integration by the trapezoidal rule (PyTorch's `torch.trapezoid` and
// `torch.cumulative_trapezoid`), composed of differentiable slices, so gradients reach both the values
// and the sample points.

extension Tensor {
    /// The areas of the trapezoids between neighbouring samples along `axis`, with spacing `dx` or sample
    /// points `x` (a vector of the axis's length, or a tensor that broadcasts against the values), and the
    /// normalized axis. Integer values count as float32.
    private func trapezoids(x: Tensor?, dx: Double, axis: Int, op: String) throws -> (areas: Tensor, axis: Int) {
        try require(rank >= 1, "\(op): needs a tensor of at least one dimension, got a scalar", .shapeMismatch)
        let a = try self.axis(axis, op: op)
        let y = dtype == .int64 ? to(.float32) : self
        let n = shape[a]
        let sums = y.slice(axis: a, start: Swift.min(1, n), end: n) + y.slice(axis: a, start: 0, end: Swift.max(n - 1, 0))
        guard let x else { return (sums * (dx / 2), a) }
        let points = x.dtype == .int64 ? x.to(y.dtype) : x
        let widths: Tensor
        if points.rank == 1 {
            try require(points.count == n,
                        "\(op): x has \(points.count) sample points, but axis \(a) of shape \(shape) has \(n) values", .shapeMismatch)
            widths = points.diff().reshape([Swift.max(n - 1, 0)] + [Int](repeating: 1, count: rank - 1 - a))
        } else {
            // As PyTorch: x broadcasts against the values, padded with leading dimensions of size 1.
            try require(points.rank <= rank, "\(op): x has shape \(points.shape), more dimensions than the values \(shape)",
                        .shapeMismatch)
            let padded = points.reshape([Int](repeating: 1, count: rank - points.rank) + points.shape)
            try require(padded.shape[a] == n, "\(op): x has shape \(points.shape), whose size along axis \(a) is not the values' \(n) (shape \(shape))",
                        .shapeMismatch)
            widths = padded.diff(axis: a)
        }
        return (widths * sums / 2, a)
    }

    /// The integral along `axis` by the trapezoidal rule with samples `dx` apart (PyTorch's
    /// `torch.trapezoid(y, dx=…)`); fewer than two samples integrate to 0.
    ///
    /// - Parameters:
    ///   - dx: the spacing of the samples.
    ///   - axis: the dimension integrated over (removed).
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).trapezoid()        // 4
    /// Tensor([1, 2, 3]).trapezoid(dx: 2)   // 8
    /// ```
    public func trapezoid(dx: Double = 1, axis: Int = -1) -> Tensor {
        checked {
            let (areas, a) = try trapezoids(x: nil, dx: dx, axis: axis, op: "trapezoid")
            return areas.sum(axes: [a])
        }
    }

    /// The integral along `axis` by the trapezoidal rule at sample points `x` (PyTorch's
    /// `torch.trapezoid(y, x)`): `x` is a vector of the axis's length, or a tensor that broadcasts against
    /// the values (leading dimensions of size 1 added), with the axis's length along `axis`.
    /// Differentiable in both.
    ///
    /// - Parameters:
    ///   - x: the sample points.
    ///   - axis: the dimension integrated over (removed).
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).trapezoid(x: Tensor([0, 1, 3]))   // 6.5
    /// ```
    public func trapezoid(x: Tensor, axis: Int = -1) -> Tensor {
        checked {
            let (areas, a) = try trapezoids(x: x, dx: 1, axis: axis, op: "trapezoid")
            return areas.sum(axes: [a])
        }
    }

    /// The running integral along `axis` by the trapezoidal rule, one value per interval (PyTorch's
    /// `torch.cumulative_trapezoid`): the axis shrinks by one.
    ///
    /// - Parameters:
    ///   - dx: the spacing of the samples.
    ///   - axis: the dimension integrated along.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).cumulativeTrapezoid()   // [1.5, 4]
    /// ```
    public func cumulativeTrapezoid(dx: Double = 1, axis: Int = -1) -> Tensor {
        checked {
            let (areas, a) = try trapezoids(x: nil, dx: dx, axis: axis, op: "cumulativeTrapezoid")
            return areas.cumsum(axis: a)
        }
    }

    /// ``cumulativeTrapezoid(dx:axis:)`` at sample points `x`, as in ``trapezoid(x:axis:)``.
    ///
    /// - Parameters:
    ///   - x: the sample points.
    ///   - axis: the dimension integrated along.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).cumulativeTrapezoid(x: Tensor([0, 1, 3]))   // [1.5, 6.5]
    /// ```
    public func cumulativeTrapezoid(x: Tensor, axis: Int = -1) -> Tensor {
        checked {
            let (areas, a) = try trapezoids(x: x, dx: 1, axis: axis, op: "cumulativeTrapezoid")
            return areas.cumsum(axis: a)
        }
    }
}
