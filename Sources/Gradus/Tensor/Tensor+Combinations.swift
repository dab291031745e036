// Combinations of a vector's elements (PyTorch's `torch.combinations`), picked with one recorded
// `indexSelect`, so gradients sum back to the elements.

extension Tensor {
    /// The `r`-element combinations of a vector's elements, in lexicographic order of positions, as rows
    /// of a `[count, r]` matrix (PyTorch's `torch.combinations`); with `withReplacement`, an element may
    /// repeat. More elements asked than there are (without replacement) give no rows; r = 0 gives an
    /// empty vector, as in PyTorch. Differentiable.
    ///
    /// - Parameters:
    ///   - r: the size of each combination; not negative.
    ///   - withReplacement: allow an element more than once.
    ///
    /// ```swift
    /// Tensor([1, 2, 3]).combinations(r: 2)   // [[1, 2], [1, 3], [2, 3]]
    /// ```
    public func combinations(r: Int = 2, withReplacement: Bool = false) -> Tensor {
        checked {
            try require(rank == 1, "combinations: needs a vector, got shape \(shape)", .shapeMismatch)
            try require(r >= 0, "combinations: r must not be negative, got \(r)", .invalidArgument)
            if r == 0 { return Tensor.zeros([0], dtype: dtype) }
            let n = count
            guard withReplacement || r <= n, n > 0 else { return Tensor.zeros([0, r], dtype: dtype) }
            // How many rows, refused before any is built when they would not fit in memory (the count
            // grows with each factor, so the loop stops as soon as it passes the bound).
            let limit = Double(TensorStorage.physicalMemoryBytes / Swift.max(dtype.byteSize, 8))
            var rows = 1.0
            let top = withReplacement ? Double(n) + Double(r) - 1 : Double(n)
            // C(top, r) = C(top, top − r): over the smaller of the two the partial products only grow.
            var k = 0
            let steps = Swift.min(Double(r), top - Double(r))
            while Double(k) < steps && rows * Double(r) <= limit {
                rows = rows * (top - Double(k)) / Double(k + 1)
                k += 1
            }
            try require(rows.rounded() * Double(r) <= limit,
                        "combinations: the combinations of \(r) of \(n) elements do not fit in this machine's memory", .outOfMemory)
            var positions: [Int] = []
            positions.reserveCapacity(Int(rows.rounded()) * r)
            var current = withReplacement ? [Int](repeating: 0, count: r) : Array(0..<r)
            while true {
                positions.append(contentsOf: current)
                // The rightmost position that can still move right, then reset those after it.
                var i = r - 1
                while i >= 0 && current[i] == (withReplacement ? n - 1 : n - r + i) { i -= 1 }
                if i < 0 { break }
                current[i] += 1
                for j in (i + 1)..<r { current[j] = withReplacement ? current[i] : current[j - 1] + 1 }
            }
            let picked = indexSelect(axis: 0, index: Tensor(shape: [positions.count], integers: positions))
            return picked.reshape([positions.count / r, r])
        }
    }
}
