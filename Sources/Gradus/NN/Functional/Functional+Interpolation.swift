// Resizing of images and sequences (PyTorch's `F.interpolate` and `nn.Upsample`): nearest and
// (bi/tri)linear modes, which are separable — each spatial dimension is resized in turn, as one
// `indexSelect` (nearest) or a weighted sum of two (linear). Gradients are those operations' adjoints,
// which scatter each output's gradient back to the inputs it read, as PyTorch's backward kernels do.

/// How ``Functional/interpolate(_:size:scaleFactor:mode:alignCorners:)`` computes new values.
public enum InterpolationMode: String, Sendable, CaseIterable {
    /// The input element at ⌊dst · scale⌋ (PyTorch's `'nearest'`).
    case nearest
    /// The input element at ⌊(dst + ½) · scale⌋ (PyTorch's `'nearest-exact'`, Pillow's and OpenCV's rule).
    case nearestExact = "nearest-exact"
    /// Linear interpolation along the length of `[N, C, L]` input.
    case linear
    /// Bilinear interpolation of `[N, C, H, W]` input.
    case bilinear
    /// Trilinear interpolation of `[N, C, D, H, W]` input.
    case trilinear

    /// Whether values are interpolated between neighbours (the linear modes).
    var isLinear: Bool { self == .linear || self == .bilinear || self == .trilinear }
}

extension Functional {
    /// Resizes the spatial dimensions of `[N, C, …]` input (1 to 3 of them), PyTorch's `F.interpolate`.
    ///
    /// Give either `size` (the output sizes) or `scaleFactor` (output = ⌊input · factor⌋, and the factor
    /// itself maps positions, as PyTorch does unless it recomputes it). Linear modes place samples at
    /// pixel centres (`alignCorners: false`, the default) or stretch the corners onto each other
    /// (`alignCorners: true`); the mode must match the rank (`linear` 3-D, `bilinear` 4-D, `trilinear` 5-D).
    ///
    /// - Parameters:
    ///   - input: `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`.
    ///   - size: the output's spatial sizes, one per spatial dimension (or one for all).
    ///   - scaleFactor: the factor per spatial dimension (or one for all), positive.
    ///   - mode: ``InterpolationMode/nearest`` (default) or a linear mode.
    ///   - alignCorners: for linear modes only (nil means false, as PyTorch).
    ///
    /// ```swift
    /// let larger = Functional.interpolate(images, scaleFactor: [2], mode: .bilinear)   // [N, C, 2H, 2W]
    /// let fixed = Functional.interpolate(images, size: [224, 224])
    /// ```
    public static func interpolate(_ input: Tensor, size: [Int]? = nil, scaleFactor: [Double]? = nil,
                                   mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) -> Tensor {
        checked {
            let op = "interpolate"
            try input.requireFloat(op)
            let steps = try interpolationSteps(inputShape: input.shape, dtype: input.dtype, size: size, scaleFactor: scaleFactor,
                                               mode: mode, alignCorners: alignCorners)
            var result = input
            for (k, step) in steps.enumerated() {
                let axis = 2 + k
                switch step {
                case .keep:
                    continue
                case .gather(let sources):
                    result = result.indexSelect(axis: axis, index: Tensor(shape: [sources.count], integers: sources))
                case .blend(let lower, let upper, let weights):
                    var lambdaShape = [Int](repeating: 1, count: input.rank)
                    lambdaShape[axis] = weights.count
                    let lambda = Tensor(shape: lambdaShape, values: weights, dtype: input.dtype)
                    let a = result.indexSelect(axis: axis, index: Tensor(shape: [lower.count], integers: lower))
                    let b = result.indexSelect(axis: axis, index: Tensor(shape: [upper.count], integers: upper))
                    result = a * (1 - lambda) + b * lambda
                }
                try GradusError.throwIfRecorded()
            }
            return result
        }
    }

    /// How ``interpolate(_:size:scaleFactor:mode:alignCorners:)`` resizes each spatial axis of an input
    /// of `inputShape` and `dtype`, after checking the arguments: the ONNX exporter writes the same
    /// steps, so an exported model resizes exactly as Gradus does.
    ///
    /// - Returns: one step per spatial axis, in order.
    /// - Throws: a `GradusError` naming the argument that does not fit the input.
    package static func interpolationSteps(inputShape: [Int], dtype: DType, size: [Int]?, scaleFactor: [Double]?,
                                           mode: InterpolationMode, alignCorners: Bool?) throws -> [InterpolationStep] {
        let op = "interpolate"
        let spatial = inputShape.count - 2
        try require((1...3).contains(spatial), "\(op): input must be [N, C, …] with 1 to 3 spatial dimensions, got \(inputShape)", .shapeMismatch)
        if mode.isLinear {
            let expected: InterpolationMode = [.linear, .bilinear, .trilinear][spatial - 1]
            try require(mode == expected, "\(op): mode \(mode.rawValue) needs \(["3-D", "4-D", "5-D"][[InterpolationMode.linear, .bilinear, .trilinear].firstIndex(of: mode)!]) input, got \(inputShape); use \(expected.rawValue)", .shapeMismatch)
        } else {
            try require(alignCorners == nil, "\(op): alignCorners is for the linear modes, not \(mode.rawValue)", .invalidArgument)
        }
        try require((size == nil) != (scaleFactor == nil), "\(op): give either size or scaleFactor, not both or neither", .invalidArgument)
        func perDimension<T>(_ values: [T], _ what: String) throws -> [T] {
            try require(values.count == 1 || values.count == spatial,
                        "\(op): \(what) \(values) must hold 1 or \(spatial) value(s) for input \(inputShape)", .shapeMismatch)
            return values.count == 1 ? Array(repeating: values[0], count: spatial) : values
        }
        let inSizes = Array(inputShape.suffix(spatial))
        var outSizes: [Int], scales: [Double?]
        if let size {
            outSizes = try perDimension(size, "size")
            try require(outSizes.allSatisfy { $0 >= 1 && $0 <= 1 << 24 }, "\(op): size \(size) must lie in 1...\(1 << 24)", .invalidArgument)
            scales = Array(repeating: nil, count: spatial)
        } else {
            let factors = try perDimension(scaleFactor!, "scaleFactor")
            try require(factors.allSatisfy { $0 > 0 && $0.isFinite }, "\(op): scaleFactor \(factors) must be positive and finite", .invalidArgument)
            outSizes = []
            for (n, f) in zip(inSizes, factors) {
                let s = (Double(n) * f).rounded(.down)
                try require(s >= 1 && s <= Double(1 << 24), "\(op): scaleFactor \(f) makes size \(n) into \(s); it must lie in 1...\(1 << 24)", .invalidArgument)
                outSizes.append(Int(s))
            }
            scales = factors.map { 1 / $0 }   // in Double, then each kernel's precision, as PyTorch
        }
        try require(inSizes.allSatisfy { $0 >= 1 }, "\(op): input \(inputShape) has an empty spatial dimension", .shapeMismatch)
        // Every intermediate (one dimension resized at a time) must fit, not only the result; checked
        // before the steps' tables are built.
        var passShape = inputShape
        for k in 0..<spatial {
            passShape[2 + k] = outSizes[k]
            let elements = try Tensor.elementCount(passShape, op: op)
            try require(elements <= TensorStorage.physicalMemoryBytes / dtype.byteSize,
                        "\(op): resizing \(inputShape) to \(outSizes) needs \(passShape), more than this machine's memory", .outOfMemory)
        }
        return (0..<spatial).map { k -> InterpolationStep in
            let (n, m) = (inSizes[k], outSizes[k])
            // PyTorch's CPU kernels: a dimension whose size does not change is copied by the linear
            // modes, by any mode without a scale factor, and by 2-D 'nearest', whose index function
            // also maps a doubled size to j / 2; the other nearest cases map positions by the factor.
            if n == m && (scales[k] == nil || mode.isLinear || (mode == .nearest && spatial == 2)) { return .keep }
            if mode == .nearest && spatial == 2 && m == 2 * n { return .gather((0..<m).map { $0 >> 1 }) }
            if !mode.isLinear {
                // In Float, as PyTorch's nearest kernels compute (a Double product rounds differently).
                let scale = scales[k].map { Float($0) } ?? Float(n) / Float(m)
                return .gather((0..<m).map { j -> Int in
                    let s = mode == .nearest ? Float(j) * scale : (Float(j) + 0.5) * scale
                    return Swift.min(Int(s.rounded(.down)), n - 1)
                })
            }
            // Source positions in the input's precision (PyTorch's opmath: Float for float32).
            func position<T: BinaryFloatingPoint>(_ j: Int, _: T.Type) -> T {
                if alignCorners == true { return m > 1 ? T(j) * (T(n - 1) / T(m - 1)) : 0 }
                let scale = scales[k].map { T($0) } ?? T(n) / T(m)
                return Swift.max((T(j) + 0.5) * scale - 0.5, 0)
            }
            var lower = [Int](), upper = [Int](), weights = [Double]()
            for j in 0..<m {
                let s = dtype == .float32 ? Double(position(j, Float.self)) : position(j, Double.self)
                let i0 = Swift.min(Int(s.rounded(.down)), n - 1)
                lower.append(i0)
                upper.append(Swift.min(i0 + 1, n - 1))
                weights.append(dtype == .float32 ? Double(Float(s) - Float(i0)) : s - Double(i0))
            }
            return .blend(lower: lower, upper: upper, weights: weights)
        }
    }
}

/// How ``Functional/interpolate(_:size:scaleFactor:mode:alignCorners:)`` resizes one spatial axis.
package enum InterpolationStep: Equatable {
    /// The axis is copied as it is.
    case keep
    /// Output position j is input position `sources[j]` (the nearest modes).
    case gather([Int])
    /// Output position j is `x[lower[j]] · (1 − weights[j]) + x[upper[j]] · weights[j]` (the linear modes).
    case blend(lower: [Int], upper: [Int], weights: [Double])

    /// The axis's size after the step, or nil when it keeps its size.
    package var outputSize: Int? {
        switch self {
        case .keep: nil
        case .gather(let sources): sources.count
        case .blend(let lower, _, _): lower.count
        }
    }
}
