// Sampling category indices from rows of non-negative weights (PyTorch's `torch.multinomial`).

extension Tensor {
    /// Category indices drawn from the distribution that each row of `probabilities` defines
    /// (PyTorch's `torch.multinomial`).
    ///
    /// The weights need not sum to 1: category j of a row is drawn with probability w_j / Σ w. Without
    /// replacement, each draw leaves the categories already drawn out, so a row's samples are distinct;
    /// a category of weight 0 is never drawn either way.
    ///
    /// - Parameters:
    ///   - probabilities: `[C]` or `[N, C]` floating-point weights, each finite and non-negative, with a
    ///     positive sum per row.
    ///   - numSamples: how many indices to draw per row (at least 1; at most the number of positive
    ///     weights when drawing without replacement).
    ///   - replacement: whether a category can be drawn more than once.
    ///   - generator: the source of randomness.
    /// - Returns: int64 indices of shape `[numSamples]` or `[N, numSamples]`.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 0)
    /// let next = Tensor.multinomial(logits.softmax(axis: -1), numSamples: 1, generator: &rng)
    /// ```
    public static func multinomial(_ probabilities: Tensor, numSamples: Int, replacement: Bool = false,
                                   generator: inout some RandomNumberGenerator) -> Tensor {
        checked {
            let p = probabilities
            try require(p.rank == 1 || p.rank == 2,
                    "multinomial: probabilities must be 1-D or 2-D, got shape \(p.shape)", .shapeMismatch)
            try require(p.dtype.isFloatingPoint, "multinomial: probabilities must be floating point, got \(p.dtype)", .dtypeMismatch)
            let categories = p.shape[p.rank - 1]
            let rows = p.rank == 1 ? 1 : p.shape[0]
            try require(categories > 0, "multinomial: probabilities of shape \(p.shape) have no categories", .shapeMismatch)
            try require(numSamples > 0, "multinomial: numSamples must be positive, got \(numSamples)")
            try require(replacement || numSamples <= categories,
                    "multinomial: cannot draw \(numSamples) samples without replacement from \(categories) categories")
            let weights = p.scalars(as: Double.self)
            for r in 0..<rows {
                let row = weights[(r * categories)..<((r + 1) * categories)]
                for (j, w) in row.enumerated() {
                    try require(w.isFinite && w >= 0,
                            "multinomial: weight \(w) at row \(r), category \(j) is negative, infinite or NaN (shape \(p.shape))", .invalidArgument)
                }
                try require(row.reduce(0, +) > 0, "multinomial: the weights of row \(r) sum to 0 (shape \(p.shape))", .shapeMismatch)
                let positive = row.filter { $0 > 0 }.count
                try require(replacement || numSamples <= positive,
                        "multinomial: row \(r) has \(positive) categories of positive weight, too few to draw \(numSamples) without replacement")
            }

            let out = try Tensor(checkedShape: p.rank == 1 ? [numSamples] : [rows, numSamples], dtype: .int64, op: "multinomial")
            let dst = out.pointer(Int64.self)
            var cumulative = [Double](repeating: 0, count: categories)
            for r in 0..<rows {
                var w = Array(weights[(r * categories)..<((r + 1) * categories)])
                for s in 0..<numSamples {
                    // Inverse of the cumulative distribution: the first category whose running total exceeds
                    // u · total. A zero weight repeats the previous total, so it is never the first to exceed.
                    var total = 0.0
                    for j in 0..<categories {
                        total += w[j]
                        cumulative[j] = total
                    }
                    let u = Double.random(in: 0..<1, using: &generator) * total
                    var lo = 0, hi = categories - 1
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
                    }
                    // Rounding can put u at the total itself: take the last category that has weight.
                    var chosen = lo
                    while w[chosen] == 0 && chosen > 0 { chosen -= 1 }
                    dst[r * numSamples + s] = Int64(chosen)
                    if !replacement { w[chosen] = 0 }
                }
            }
            return out
        }
    }

    /// Category indices drawn from the default generator (see ``Random``); see
    /// ``multinomial(_:numSamples:replacement:generator:)``.
    ///
    /// ```swift
    /// let picks = Tensor.multinomial(Tensor([0.2, 0.3, 0.5]), numSamples: 2)
    /// ```
    public static func multinomial(_ probabilities: Tensor, numSamples: Int, replacement: Bool = false) -> Tensor {
        Random.withDefault { multinomial(probabilities, numSamples: numSamples, replacement: replacement, generator: &$0) }
    }
}
