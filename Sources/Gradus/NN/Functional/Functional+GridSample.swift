// Sampling images and volumes at arbitrary points (PyTorch's `F.grid_sample`) and the grids of affine
// maps (`F.affine_grid`): the pieces of a spatial transformer network.
//
// The sampler is composed of recorded tensor operations (coordinate maps, masks, gathers and weighted
// sums), so its gradients with respect to the input and to the grid, and their second derivatives, come
// from those operations' rules. The boundary rules follow PyTorch's kernels exactly, including their
// gradients at the boundaries (a clipped coordinate passes no gradient, also exactly at the edge).

/// How ``Functional/gridSample(_:grid:mode:paddingMode:alignCorners:)`` reads between pixels.
public enum GridSampleMode: String, Sendable, CaseIterable {
    /// The weighted mean of the 4 (8 for volumes) nearest pixels (PyTorch's `'bilinear'`, trilinear for
    /// volumes).
    case bilinear
    /// The nearest pixel, halves rounded to even (PyTorch's `'nearest'`); no gradient reaches the grid.
    case nearest
}

/// What ``Functional/gridSample(_:grid:mode:paddingMode:alignCorners:)`` reads outside the input.
public enum GridSamplePadding: String, Sendable, CaseIterable {
    /// Zeros (PyTorch's `'zeros'`).
    case zeros
    /// The nearest border pixel (PyTorch's `'border'`).
    case border
    /// The input mirrored at its borders (PyTorch's `'reflection'`).
    case reflection
}

extension Functional {
    /// Samples `input` at the points of `grid` (PyTorch's `F.grid_sample`): for images, `input` is
    /// `[N, C, H, W]` and `grid` `[N, Hout, Wout, 2]`, whose last dimension holds (x, y) in [−1, 1] — x
    /// across the width, −1 the left edge, 1 the right; for volumes, `[N, C, D, H, W]` and
    /// `[N, Dout, Hout, Wout, 3]` with (x, y, z). The result is `[N, C, Hout, Wout]` (or
    /// `[N, C, Dout, Hout, Wout]`). Differentiable in the input and (bilinear) in the grid.
    ///
    /// With `alignCorners` false (the default), ±1 are the outer edges of the corner pixels; with true,
    /// their centres.
    ///
    /// - Parameters:
    ///   - input: images or volumes, floating point.
    ///   - grid: the sampling points, in `input`'s type.
    ///   - mode: bilinear (trilinear for volumes) or nearest.
    ///   - paddingMode: what is read outside the input.
    ///   - alignCorners: whether ±1 are the corner pixels' centres.
    /// - Returns: the sampled values.
    ///
    /// ```swift
    /// let theta = Tensor([[[1, 0, 0.2], [0, 1, 0]]])                // shift right by a tenth
    /// let grid = Functional.affineGrid(theta: theta, size: [1, 3, 32, 32])
    /// let shifted = Functional.gridSample(images, grid: grid, paddingMode: .border)
    /// ```
    public static func gridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode = .bilinear,
                                  paddingMode: GridSamplePadding = .zeros, alignCorners: Bool = false) -> Tensor {
        checked {
            try require(input.rank == 4 || input.rank == 5,
                        "gridSample: input must be [N, C, H, W] or [N, C, D, H, W], got shape \(input.shape)", .shapeMismatch)
            try require(input.dtype.isFloatingPoint && grid.dtype == input.dtype,
                        "gridSample: input (\(input.dtype)) and grid (\(grid.dtype)) must share one floating-point type", .dtypeMismatch)
            let d = input.rank - 2
            try require(grid.rank == input.rank && grid.shape[0] == input.shape[0] && grid.shape[grid.rank - 1] == d,
                        "gridSample: grid must be [N, \((0..<d).map { _ in "…" }.joined(separator: ", ")), \(d)] with N = \(input.shape[0]) for input \(input.shape), got \(grid.shape)",
                        .shapeMismatch)
            let spatial = Array(input.shape[2...])
            try require(spatial.allSatisfy { $0 > 0 }, "gridSample: input \(input.shape) has an empty spatial dimension", .shapeMismatch)
            let (n, c) = (input.shape[0], input.shape[1])
            let outSpatial = Array(grid.shape[1..<(grid.rank - 1)])
            if n == 0 || c == 0 || outSpatial.contains(0) {
                // Nothing to sample; still a result of the graph, so that backward gives zero gradients.
                let out = Tensor.zeros([n, c] + outSpatial, dtype: input.dtype)
                Tensor.record("gridSample", output: out, inputs: [input, grid]) { _, _ in
                    [Tensor.zeros(input.shape, dtype: input.dtype), Tensor.zeros(grid.shape, dtype: grid.dtype)]
                }
                return out
            }
            if mode == .bilinear && d == 2 {
                return try bilinearGridSample(input, grid: grid, paddingMode: paddingMode, alignCorners: alignCorners)
            }
            return composedGridSample(input, grid: grid, mode: mode, paddingMode: paddingMode, alignCorners: alignCorners)
        }
    }

    /// Bilinear sampling of images by the hand-written kernel (Functional+GridSampleKernel.swift); a pass
    /// that records itself differentiates the composed sampler instead, which gives the same gradients.
    private static func bilinearGridSample(_ input: Tensor, grid: Tensor, paddingMode: GridSamplePadding, alignCorners: Bool) throws -> Tensor {
        let geometry = GridSampleGeometry(padding: paddingMode, alignCorners: alignCorners)
        let x = input.contiguous(), g = grid.contiguous()
        // The output's size is checked first (a small input and grid can ask for terabytes); then it comes
        // from the storage pool, as every kernel's output.
        let shape = [input.shape[0], input.shape[1], grid.shape[1], grid.shape[2]]
        let count = try Tensor.elementCount(shape, op: "gridSample")
        try require(count <= TensorStorage.physicalMemoryBytes / input.dtype.byteSize,
                    "gridSample: an output of shape \(shape) needs more than this machine's memory", .outOfMemory)
        let out = Tensor(uninitializedShape: shape, dtype: input.dtype)
        gridSampleBilinearKernel(x, g, geometry, into: out)
        Tensor.record("gridSample", output: out, inputs: [input, grid]) { gradient, _ in
            if GradMode.isEnabled {
                let (xi, gi) = (input.clone(), grid.clone())
                let y = composedGridSample(xi, grid: gi, mode: .bilinear, paddingMode: paddingMode, alignCorners: alignCorners)
                // The seed is the enclosing pass's gradient: it keeps that pass's mark.
                let mark = gradient.storage.gradientPass
                defer { gradient.storage.gradientPass = mark }
                return try Autograd.run(root: y, seed: gradient, collecting: [xi, gi], retainGraph: true, createGraph: true,
                                        stoppingAt: [ObjectIdentifier(xi), ObjectIdentifier(gi)])
            }
            let (gx, gg) = gridSampleBilinearBackwardKernel(gradient.contiguous(), x, g, geometry)
            return [input.requiresGrad ? gx : nil, grid.requiresGrad ? gg : nil]
        }
        return out
    }

    /// The sampler composed of recorded tensor operations: any mode, images and volumes (validated
    /// arguments, no empty dimension).
    private static func composedGridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode, paddingMode: GridSamplePadding,
                                           alignCorners: Bool) -> Tensor {
        checked {
            let d = input.rank - 2
            let spatial = Array(input.shape[2...])
            let (n, c) = (input.shape[0], input.shape[1])
            let outSpatial = Array(grid.shape[1..<(grid.rank - 1)])
            let points = outSpatial.reduce(1, *)
            // Flat positions in the input's spatial block: the last spatial dimension (width) is x.
            var strides = [Int](repeating: 1, count: d)
            for k in stride(from: d - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * spatial[k + 1] }
            let flatInput = input.reshape([n, c, spatial.reduce(1, *)])
            let flatGrid = grid.reshape([n, points, d])
            // coordinates[k]: [N, P] pixel coordinates along x, y, z (k = 0, 1, 2), bounded by the padding.
            let coordinates = (0..<d).map { k -> Tensor in
                let size = spatial[d - 1 - k]
                let unit = flatGrid.select(axis: 2, index: k)
                let pixels = alignCorners ? (unit + 1) * (0.5 * Double(size - 1)) : ((unit + 1) * Double(size) - 1) * 0.5
                return bounded(pixels, size: size, padding: paddingMode, alignCorners: alignCorners)
            }
            let sizes = (0..<d).map { spatial[d - 1 - $0] }
            let strideOf = (0..<d).map { strides[d - 1 - $0] }
            /// The input's values at integer positions `index[k]` ([N, P] each), zero where outside.
            /// The input's values at integer positions `index[k]` ([N, P] each), exactly 0 where outside
            /// (selected, not multiplied by a mask, so that an infinite or NaN pixel read in place of an
            /// outside one leaves no NaN, in the values or in the gradients).
            func read(_ index: [Tensor]) -> Tensor {
                var flat = Tensor.zeros([n, points], dtype: .int64)
                var inside = Tensor.ones([n, points], dtype: input.dtype)
                for k in 0..<d {
                    let i = index[k]
                    inside = inside * i.ge(0.0).to(input.dtype) * i.le(Double(sizes[k] - 1)).to(input.dtype)
                    flat = flat + i.clamp(min: 0, max: Double(sizes[k] - 1)).to(.int64) * strideOf[k]
                }
                let gathered = flatInput.gather(axis: 2, index: flat.reshape([n, 1, points]).expand([n, c, points]))
                return Tensor.where(inside.reshape([n, 1, points]), gathered, Tensor.zeros([], dtype: input.dtype))
            }
            var out: Tensor
            switch mode {
            case .nearest:
                let index = coordinates.map { c in GradMode.noGrad { c.detach().round() } }
                let sampled = read(index)
                // The grid gets a zero gradient, not none, as in PyTorch (its `.grad` is zeros).
                out = sampled.detach()
                Tensor.record("gridSample", output: out, inputs: [sampled, grid]) { g, _ in
                    [g, Tensor.zeros(grid.shape, dtype: grid.dtype)]
                }
            case .bilinear:
                let lower = coordinates.map { c in GradMode.noGrad { c.detach().floor() } }
                let upperWeight = zip(coordinates, lower).map { $0 - $1 }
                out = Tensor.zeros([n, c, points], dtype: input.dtype)
                for corner in 0..<(1 << d) {
                    var index: [Tensor] = [], weight: Tensor? = nil
                    for k in 0..<d {
                        let up = corner >> k & 1 == 1
                        index.append(up ? lower[k] + 1 : lower[k])
                        let w = up ? upperWeight[k] : 1 - upperWeight[k]
                        weight = weight.map { $0 * w } ?? w
                    }
                    out = out + read(index) * weight!.reshape([n, 1, points])
                }
            }
            return out.reshape([n, c] + outSpatial)
        }
    }

    /// Pixel coordinates `x` along a dimension of `size` pixels, bounded as `padding` says: clipped into
    /// the input (border), mirrored then clipped (reflection), or — for zeros — only kept finite (NaN and
    /// far-away points moved just outside, where they read zeros), as PyTorch's `compute_coordinates`.
    private static func bounded(_ x: Tensor, size: Int, padding: GridSamplePadding, alignCorners: Bool) -> Tensor {
        switch padding {
        case .zeros:
            // Two pixels beyond either edge read nothing either; NaN reads nothing.
            let finite = Tensor.where(x.isNaN(), Tensor.full([], value: -2, dtype: x.dtype), x)
            return finite.clamp(min: -2, max: Double(size + 1))
        case .border:
            return clipped(x, size: size)
        case .reflection:
            let mirrored = alignCorners ? reflected(x, twiceLow: 0, twiceHigh: 2 * (size - 1))
                                        : reflected(x, twiceLow: -1, twiceHigh: 2 * size - 1)
            return clipped(mirrored, size: size)
        }
    }

    /// `x` clipped into [0, size − 1]; a clipped coordinate (also one exactly at an edge) passes no
    /// gradient, as PyTorch's `clip_coordinates_set_grad`. NaN becomes 0, as there.
    private static func clipped(_ x: Tensor, size: Int) -> Tensor {
        let zero = Tensor.zeros([], dtype: x.dtype), last = Tensor.full([], value: Double(size - 1), dtype: x.dtype)
        let inside = Tensor.where(x.lt(Double(size - 1)), x, last)
        return Tensor.where(x.gt(0.0), inside, zero)
    }

    /// `x` mirrored into [twiceLow / 2, twiceHigh / 2] (PyTorch's `reflect_coordinates`, with its gradient:
    /// the sign flips with each reflection, and is +1 at the lower edge itself).
    private static func reflected(_ x: Tensor, twiceLow: Int, twiceHigh: Int) -> Tensor {
        if twiceLow == twiceHigh { return x * 0 }
        let low = Double(twiceLow) / 2, span = Double(twiceHigh - twiceLow) / 2
        let shifted = x - low
        let distance = Tensor.where(shifted.lt(0.0), -shifted, shifted)
        let flips = GradMode.noGrad { (distance.detach() / span).floor() }
        let extra = distance - flips * span
        let even = GradMode.noGrad { flips.remainder(2.0).eq(0.0) }
        return Tensor.where(even, extra + low, (extra * -1) + (span + low))
    }

    /// The sampling grid of a batch of affine maps (PyTorch's `F.affine_grid`): for `theta` `[N, 2, 3]` and
    /// `size` `[N, C, H, W]`, the grid `[N, H, W, 2]` holding θ·(x, y, 1) for every output pixel's (x, y)
    /// in [−1, 1]; for `theta` `[N, 3, 4]` and `size` `[N, C, D, H, W]`, `[N, D, H, W, 3]`. Give it to
    /// ``gridSample(_:grid:mode:paddingMode:alignCorners:)`` with the same `alignCorners`. Differentiable in
    /// `theta`.
    ///
    /// - Parameters:
    ///   - theta: the affine maps from output to input coordinates, floating point.
    ///   - size: the output's shape, `[N, C, H, W]` or `[N, C, D, H, W]`, every size positive.
    ///   - alignCorners: whether ±1 are the corner pixels' centres.
    /// - Returns: the grid.
    ///
    /// ```swift
    /// let identity = Tensor([[[1, 0, 0], [0, 1, 0]]])
    /// let grid = Functional.affineGrid(theta: identity, size: [1, 1, 4, 4])   // samples the input as it is
    /// ```
    public static func affineGrid(theta: Tensor, size: [Int], alignCorners: Bool = false) -> Tensor {
        checked {
            try require(size.count == 4 || size.count == 5, "affineGrid: size must be [N, C, H, W] or [N, C, D, H, W], got \(size)",
                        .shapeMismatch)
            try require(size.allSatisfy { $0 > 0 }, "affineGrid: every size must be positive, got \(size)", .invalidArgument)
            let d = size.count - 2
            try require(theta.dtype.isFloatingPoint, "affineGrid: theta must be floating point, got \(theta.dtype)", .dtypeMismatch)
            try require(theta.shape == [size[0], d, d + 1],
                        "affineGrid: theta must be [\(size[0]), \(d), \(d + 1)] for size \(size), got \(theta.shape)", .shapeMismatch)
            let spatial = Array(size[2...])
            var points = 1
            for s in spatial {
                let (p, overflow) = points.multipliedReportingOverflow(by: s)
                try require(!overflow, "affineGrid: the output size \(size) has more points than an Int holds", .outOfMemory)
                points = p
            }
            // The Double scratch, the base grid and the result.
            let (resultBytes, overflow1) = size[0].multipliedReportingOverflow(by: d * 8)
            let (perPoint, overflow) = resultBytes.addingReportingOverflow(2 * (d + 1) * 8)
            let (bytes, overflow2) = points.multipliedReportingOverflow(by: perPoint)
            try require(!overflow1 && !overflow && !overflow2 && bytes <= TensorStorage.physicalMemoryBytes,
                        "affineGrid: a grid of \(points) points does not fit in this machine's memory", .outOfMemory)
            // Base coordinates [points, d + 1]: (x, y[, z], 1), x running fastest.
            func steps(_ count: Int) -> [Double] {
                guard count > 1 else { return [0] }
                let scale = alignCorners ? 1 : Double(count - 1) / Double(count)
                return (0..<count).map { (-1 + 2 * Double($0) / Double(count - 1)) * scale }
            }
            let axes = spatial.map(steps)
            var base = [Double](repeating: 1, count: points * (d + 1))
            for p in 0..<points {
                var rest = p
                for k in stride(from: d - 1, through: 0, by: -1) {   // spatial dimension k: D, H, W order
                    let s = spatial[k]
                    base[p * (d + 1) + (d - 1 - k)] = axes[k][rest % s]
                    rest /= s
                }
            }
            let baseGrid = Tensor(shape: [points, d + 1], values: base, dtype: theta.dtype)
            // [N, points, d + 1] · [N, d + 1, d] = [N, points, d]
            let grid = baseGrid.expand([size[0], points, d + 1]).matmul(theta.transpose(1, 2))
            return grid.reshape([size[0]] + spatial + [d])
        }
    }
}
