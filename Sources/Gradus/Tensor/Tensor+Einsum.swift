// Einstein summation (PyTorch's `torch.einsum`), lowered to diagonals, sums, permutations, reshapes
// and (batched) matrix products, so gradients come from those operations. Operands are contracted
// pairwise from left to right, as PyTorch does when opt_einsum is absent.

extension Tensor {
    /// Einstein summation over any number of tensors (PyTorch's `torch.einsum`).
    ///
    /// Each operand is labelled with one letter per dimension (`a`–`z`, `A`–`Z`); letters shared by
    /// several operands are multiplied elementwise along those dimensions, and letters missing from the
    /// output are summed. With `->` the output's letters and their order are given; without it the
    /// output holds the ellipsis dimensions followed by the letters that appear once, in alphabetical
    /// order (upper case first), as in PyTorch and NumPy.
    ///
    /// As in PyTorch:
    /// - `...` stands for the dimensions not named by letters; the ellipses of the operands are
    ///   broadcast against each other, right-aligned. An explicit output without `...` sums them.
    /// - A letter repeated within one operand takes its diagonal (`"ii->i"`, `"ii"` is the trace); the
    ///   repeated dimensions must have the same size.
    /// - Dimensions with the same letter in different operands must have the same size or size 1
    ///   (broadcast).
    /// - Operands are contracted two at a time from left to right (PyTorch's order without opt_einsum),
    ///   each contraction one (batched) matrix product.
    ///
    /// - Parameters:
    ///   - equation: the subscripts, like `"bij,bjk->bik"` or `"...ij,...jk"`; spaces are ignored.
    ///   - operands: one tensor per comma-separated group of subscripts.
    ///
    /// ```swift
    /// let product = Tensor.einsum("ij,jk->ik", a, b)            // a.matmul(b)
    /// let chain = Tensor.einsum("ij,jk,kl->il", a, b, c)        // a.matmul(b).matmul(c)
    /// let scores = Tensor.einsum("bhid,bhjd->bhij", q, k)       // attention scores
    /// let batched = Tensor.einsum("...ij,...jk", x, y)          // broadcast batch dimensions
    /// let trace = Tensor.einsum("ii", m)                        // m.trace()
    /// let bilinear = Tensor.einsum("bn,anm,bm->ba", x, w, y)    // nn.Bilinear without bias
    /// ```
    public static func einsum(_ equation: String, _ operands: Tensor...) -> Tensor {
        einsum(equation, operands)
    }

    /// Einstein summation over an array of tensors: the variadic `einsum`'s array form, for a number
    /// of operands known only at run time.
    ///
    /// - Parameters:
    ///   - equation: the subscripts, one comma-separated group per operand.
    ///   - operands: the tensors.
    ///
    /// ```swift
    /// let chain = Tensor.einsum("ab,bc,cd->ad", [a, b, c])
    /// ```
    public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
        checked {
            let spec = try EinsumSpec(equation, operands: operands)
            let output = spec.output
            var labelled = zip(operands, spec.inputs).map { einsumPrepared($0, $1, sizes: spec.sizes) }
            var (current, labels) = labelled.removeFirst()
            for (position, (next, nextLabels)) in labelled.enumerated() {
                var keep = Set(output)
                for (_, later) in labelled[(position + 1)...] { keep.formUnion(later) }
                (current, labels) = einsumContract(current, labels, next, nextLabels, keeping: keep, sizes: spec.sizes)
            }
            let (summed, remaining) = einsumSumOut(current, labels, keeping: Set(output))
            return summed.permute(output.map { remaining.firstIndex(of: $0)! })
        }
    }

    /// An operand with each repeated label reduced to its diagonal and each broadcast dimension (size 1
    /// where the label is larger elsewhere) dropped: along it the operand is constant, so the
    /// contraction may treat the label as absent from this operand.
    private static func einsumPrepared(_ t: Tensor, _ labels: [Int], sizes: [Int: Int]) -> (Tensor, [Int]) {
        var (t, labels) = (t, labels)
        while let second = labels.indices.first(where: { labels[..<$0].contains(labels[$0]) }) {
            let first = labels.firstIndex(of: labels[second])!
            // The two dimensions last (first, then second), then their diagonal as the last dimension.
            let others = labels.indices.filter { $0 != first && $0 != second }
            t = t.permute(others + [first, second]).diagonal()
            labels = others.map { labels[$0] } + [labels[first]]
        }
        let dropped = labels.indices.filter { t.shape[$0] == 1 && sizes[labels[$0]]! != 1 }
        if !dropped.isEmpty {
            let kept = labels.indices.filter { !dropped.contains($0) }
            t = t.reshape(kept.map { t.shape[$0] })
            labels = kept.map { labels[$0] }
        }
        return (t, labels)
    }

    /// The contraction of two labelled operands: labels of both that are kept become batch dimensions
    /// of one batched matrix product, labels of both that are not kept are its inner dimension, and the
    /// labels of one operand are its rows or columns. The result's labels: batch, then the first
    /// operand's, then the second's.
    private static func einsumContract(_ a: Tensor, _ la: [Int], _ b: Tensor, _ lb: [Int],
                                       keeping keep: Set<Int>, sizes: [Int: Int]) -> (Tensor, [Int]) {
        let (x, lx) = einsumSumOut(a, la, keeping: keep.union(lb))
        let (y, ly) = einsumSumOut(b, lb, keeping: keep.union(lx))
        let batch = lx.filter { ly.contains($0) && keep.contains($0) }
        let contracted = lx.filter { ly.contains($0) && !keep.contains($0) }
        let onlyA = lx.filter { !ly.contains($0) }   // all kept: the others were summed out
        let onlyB = ly.filter { !lx.contains($0) }
        func product(_ labels: [Int]) -> Int { labels.reduce(1) { $0 * sizes[$1]! } }
        let left = x.permute((batch + onlyA + contracted).map { lx.firstIndex(of: $0)! })
        let right = y.permute((batch + contracted + onlyB).map { ly.firstIndex(of: $0)! })
        let (m, k, n) = (product(onlyA), product(contracted), product(onlyB))
        let result = batch.isEmpty
            ? left.reshape([m, k]).matmul(right.reshape([k, n]))
            : left.reshape([product(batch), m, k]).matmul(right.reshape([product(batch), k, n]))
        let labels = batch + onlyA + onlyB
        return (result.reshape(labels.map { sizes[$0]! }), labels)
    }

    /// `t` summed over the dimensions whose label is not in `keeping`, with the remaining labels.
    private static func einsumSumOut(_ t: Tensor, _ labels: [Int], keeping: Set<Int>) -> (Tensor, [Int]) {
        let summed = labels.indices.filter { !keeping.contains(labels[$0]) }
        if summed.isEmpty { return (t, labels) }
        return (t.sum(axes: summed), labels.filter { keeping.contains($0) })
    }
}

/// A parsed einsum equation. Labels are numbers: a letter is its ASCII code (so sorting them sorts
/// letters alphabetically, upper case first), the dimensions covered by `...` are
/// `ellipsisBase + k` for the k-th of the broadcast ellipsis dimensions (right-aligned across operands).
private struct EinsumSpec {
    static let ellipsisBase = 1 << 16
    /// Each operand's labels, one per dimension.
    let inputs: [[Int]]
    let output: [Int]
    /// Each label's size after broadcasting (1 only if it is 1 everywhere).
    let sizes: [Int: Int]

    init(_ equation: String, operands: [Tensor]) throws {
        let text = String(equation.filter { !$0.isWhitespace })
        try require(!operands.isEmpty, "einsum: needs at least one operand", .invalidArgument)
        let sides = text.components(separatedBy: "->")
        try require(sides.count <= 2, "einsum: equation \"\(equation)\" has more than one '->'", .invalidArgument)
        let groups = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        try require(groups.count == operands.count,
                "einsum: equation \"\(equation)\" names \(groups.count) operands, but \(operands.count) were given", .invalidArgument)

        /// The letters' codes of a group, and where its ellipsis stands among them (nil without one).
        func parse(_ group: String, _ place: String) throws -> (letters: [Int], ellipsisAt: Int?) {
            var letters: [Int] = []
            var ellipsisAt: Int? = nil
            var rest = Substring(group)
            while let c = rest.first {
                if rest.hasPrefix("...") {
                    try require(ellipsisAt == nil, "einsum: equation \"\(equation)\": \(place) has more than one '...'", .invalidArgument)
                    ellipsisAt = letters.count
                    rest = rest.dropFirst(3)
                    continue
                }
                try require(c != ".", "einsum: equation \"\(equation)\": \(place) has a '.' that is not part of '...'", .invalidArgument)
                guard c.isASCII, c.isLetter, let code = c.asciiValue else {
                    throw GradusError(.invalidArgument, "einsum: equation \"\(equation)\" contains '\(c)'; subscripts are the letters a-z and A-Z")
                }
                letters.append(Int(code))
                rest = rest.dropFirst()
            }
            return (letters, ellipsisAt)
        }

        // The ellipsis of each operand covers the dimensions its letters do not name.
        var parsed: [(letters: [Int], ellipsisAt: Int?)] = []
        var ellipsisRanks: [Int] = []
        for (i, (group, t)) in zip(groups, operands).enumerated() {
            let p = try parse(group, "operand \(i)")
            parsed.append(p)
            if p.ellipsisAt == nil {
                try require(p.letters.count == t.rank,
                        "einsum: equation \"\(equation)\" gives operand \(i) \(p.letters.count) subscripts, but its shape is \(t.shape)", .shapeMismatch)
                ellipsisRanks.append(0)
            } else {
                try require(p.letters.count <= t.rank,
                        "einsum: equation \"\(equation)\" gives operand \(i) \(p.letters.count) subscripts and '...', but its shape \(t.shape) has only \(t.rank) dimensions", .shapeMismatch)
                ellipsisRanks.append(t.rank - p.letters.count)
            }
        }
        let ellipsisRank = ellipsisRanks.max() ?? 0
        var inputs: [[Int]] = []
        for (p, r) in zip(parsed, ellipsisRanks) {
            guard let at = p.ellipsisAt else { inputs.append(p.letters); continue }
            let covered = (ellipsisRank - r..<ellipsisRank).map { EinsumSpec.ellipsisBase + $0 }
            inputs.append(Array(p.letters[..<at]) + covered + Array(p.letters[at...]))
        }

        // Sizes: equal within an operand (diagonals), equal or 1 across operands (broadcasting).
        var sizes: [Int: Int] = [:]
        func name(_ label: Int) -> String {
            label >= EinsumSpec.ellipsisBase ? "'...' dimension \(label - EinsumSpec.ellipsisBase)"
                : "subscript '\(Character(Unicode.Scalar(UInt8(label))))'"
        }
        for (i, (labels, t)) in zip(inputs, operands).enumerated() {
            var own: [Int: Int] = [:]
            for (label, d) in zip(labels, t.shape) {
                if let seen = own[label] {
                    try require(seen == d,
                            "einsum: equation \"\(equation)\": \(name(label)) is repeated in operand \(i) with sizes \(seen) and \(d) (shape \(t.shape)); a diagonal needs equal sizes", .shapeMismatch)
                    continue
                }
                own[label] = d
                if let known = sizes[label], known != d {
                    try require(known == 1 || d == 1,
                            "einsum: equation \"\(equation)\": \(name(label)) has size \(known) in one operand and \(d) in operand \(i) (shape \(t.shape)); sizes must match or be 1", .shapeMismatch)
                    if known == 1 { sizes[label] = d }
                } else {
                    sizes[label] = d
                }
            }
        }

        let ellipsisLabels = (0..<ellipsisRank).map { EinsumSpec.ellipsisBase + $0 }
        let output: [Int]
        if sides.count == 2 {
            let p = try parse(sides[1], "the output")
            try require(Set(p.letters).count == p.letters.count, "einsum: equation \"\(equation)\": the output repeats a subscript", .invalidArgument)
            for label in p.letters {
                try require(sizes[label] != nil, "einsum: equation \"\(equation)\": output \(name(label)) is not in any operand", .invalidArgument)
            }
            // Without '...' in the output, the ellipsis dimensions are summed (as in PyTorch).
            output = p.ellipsisAt.map { Array(p.letters[..<$0]) + ellipsisLabels + Array(p.letters[$0...]) } ?? p.letters
        } else {
            var seen: [Int: Int] = [:]
            for labels in parsed.map(\.letters) { for label in labels { seen[label, default: 0] += 1 } }
            output = ellipsisLabels + seen.filter { $0.value == 1 }.map(\.key).sorted()
        }
        self.inputs = inputs
        self.output = output
        self.sizes = sizes
    }
}
