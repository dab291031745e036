// Channels to space and back (PyTorch's `F.pixel_shuffle` and `F.pixel_unshuffle`): a reshape, a
// permutation and a reshape, so gradients (and every dtype) come from those views.

extension Functional {
    /// `[…, C·r², H, W]` rearranged into `[…, C, H·r, W·r]` (PyTorch's `F.pixel_shuffle`):
    /// `out[c, h·r + i, w·r + j] = in[c·r² + i·r + j, h, w]`.
    ///
    /// - Parameters:
    ///   - input: at least three dimensions, the third from last a multiple of r².
    ///   - upscaleFactor: r ≥ 1.
    ///
    /// ```swift
    /// let y = Functional.pixelShuffle(x, upscaleFactor: 3)   // [1, 9, 4, 4] -> [1, 1, 12, 12]
    /// ```
    public static func pixelShuffle(_ input: Tensor, upscaleFactor: Int) -> Tensor {
        checked {
            let r = upscaleFactor
            try require(r >= 1, "pixelShuffle: upscale factor \(r) must be >= 1", .invalidArgument)
            try require(input.rank >= 3, "pixelShuffle: input shape \(input.shape) needs at least 3 dimensions ([…, C, H, W])",
                        .shapeMismatch)
            let lead = Array(input.shape.dropLast(3))
            let (c, h, w) = (input.shape[input.rank - 3], input.shape[input.rank - 2], input.shape[input.rank - 1])
            let (square, overflow) = r.multipliedReportingOverflow(by: r)
            try require(!overflow, "pixelShuffle: the upscale factor \(r) squared overflows", .invalidArgument)
            try require(c % square == 0,
                        "pixelShuffle: \(c) channels are not a multiple of the upscale factor squared (\(r)²)", .shapeMismatch)
            let (hr, o1) = h.multipliedReportingOverflow(by: r), (wr, o2) = w.multipliedReportingOverflow(by: r)
            try require(!o1 && !o2, "pixelShuffle: \(h)×\(w) times \(r) overflows", .invalidArgument)
            let n = lead.count
            // [lead, C, r, r, H, W] -> [lead, C, H, r, W, r]
            let split = input.reshape(lead + [c / square, r, r, h, w])
            let order = Array(0..<n) + [n, n + 3, n + 1, n + 4, n + 2]
            return newStorage(split.permute(order).reshape(lead + [c / square, hr, wr]), from: input)
        }
    }

    /// `[…, C, H·r, W·r]` rearranged into `[…, C·r², H, W]` (PyTorch's `F.pixel_unshuffle`), the inverse of
    /// ``pixelShuffle(_:upscaleFactor:)``.
    ///
    /// - Parameters:
    ///   - input: at least three dimensions, the last two multiples of r.
    ///   - downscaleFactor: r ≥ 1.
    ///
    /// ```swift
    /// let y = Functional.pixelUnshuffle(x, downscaleFactor: 2)   // [1, 3, 8, 8] -> [1, 12, 4, 4]
    /// ```
    public static func pixelUnshuffle(_ input: Tensor, downscaleFactor: Int) -> Tensor {
        checked {
            let r = downscaleFactor
            try require(r >= 1, "pixelUnshuffle: downscale factor \(r) must be >= 1", .invalidArgument)
            try require(input.rank >= 3, "pixelUnshuffle: input shape \(input.shape) needs at least 3 dimensions ([…, C, H, W])",
                        .shapeMismatch)
            let lead = Array(input.shape.dropLast(3))
            let (c, h, w) = (input.shape[input.rank - 3], input.shape[input.rank - 2], input.shape[input.rank - 1])
            try require(h % r == 0 && w % r == 0,
                        "pixelUnshuffle: height \(h) and width \(w) must be multiples of the downscale factor \(r)", .shapeMismatch)
            let (square, overflow) = r.multipliedReportingOverflow(by: r)
            let (channels, o2) = c.multipliedReportingOverflow(by: square)
            try require(!overflow && !o2, "pixelUnshuffle: \(c) channels times \(r)² overflows", .invalidArgument)
            let n = lead.count
            // [lead, C, H, r, W, r] -> [lead, C, r, r, H, W]
            let split = input.reshape(lead + [c, h / r, r, w / r, r])
            let order = Array(0..<n) + [n, n + 2, n + 4, n + 1, n + 3]
            return newStorage(split.permute(order).reshape(lead + [channels, h / r, w / r]), from: input)
        }
    }

    /// `result` in storage of its own: with a factor of 1 (or a 1×1 image) the permutation is the identity
    /// and the reshapes give a view of the input, which PyTorch never returns here.
    private static func newStorage(_ result: Tensor, from input: Tensor) -> Tensor {
        result.sharesStorage(with: input) ? result.clone() : result
    }
}
