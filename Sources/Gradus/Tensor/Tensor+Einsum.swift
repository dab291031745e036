// Einstein summation for one or two operands, lowered to sums, permutations, reshapes and one
// (batched) matrix product, so gradients come from those operations.

extension Tensor {
    /// Einstein summation of two tensors (PyTorch's `torch.einsum` with two operands).
    ///
    /// Each operand is labelled with one letter per dimension; letters shared by both operands are
    /// multiplied elementwise along those dimensions, and letters missing from the output are summed.
    /// With `->` the output's letters and their order are given; without it the output holds the
    /// letters that appear once, in alphabetical order (as in PyTorch and NumPy). Covered: batch
    /// letters (in both operands and the output), contraction (in both, not in the output), outer
    /// products (in one operand and the output) and sums over a letter of one operand only.
    ///
    /// Not covered: `...`, and a letter repeated within one operand (diagonals, traces). Dimensions with
    /// the same letter must have the same size (no broadcasting of size 1).
    ///
    /// - Parameters:
    ///   - equation: the subscripts, like `"bij,bjk->bik"`; spaces are ignored.
    ///   - a: the first operand.
    ///   - b: the second operand.
    ///
    /// ```swift
    /// let product = Tensor.einsum("ij,jk->ik", a, b)       // a.matmul(b)
    /// let batched = Tensor.einsum("bij,bjk->bik", x, y)    // x.matmul(y)
    /// let rowDots = Tensor.einsum("ij,ij->i", a, b)        // (a * b).sum(axes: [1])
    /// let outer = Tensor.einsum("i,j->ij", u, v)
    /// ```
    public static func einsum(_ equation: String, _ a: Tensor, _ b: Tensor) -> Tensor {
        checked { try einsumOfTwo(equation, a, b) }
    }

    private static func einsumOfTwo(_ equation: String, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let spec = try EinsumSpec(equation, operands: [a, b])
        let output = spec.output
        let (x, lx) = einsumSumOut(a, spec.inputs[0], keeping: Set(spec.inputs[1]).union(output))
        let (y, ly) = einsumSumOut(b, spec.inputs[1], keeping: Set(spec.inputs[0]).union(output))
        let batch = output.filter { lx.contains($0) && ly.contains($0) }
        let contracted = lx.filter { ly.contains($0) && !output.contains($0) }
        let onlyA = lx.filter { !ly.contains($0) }   // all in the output: the others were summed out
        let onlyB = ly.filter { !lx.contains($0) }
        func size(_ c: Character) -> Int { spec.sizes[c]! }
        func product(_ letters: [Character]) -> Int { letters.reduce(1) { $0 * size($1) } }
        let left = x.permute((batch + onlyA + contracted).map { lx.firstIndex(of: $0)! })
        let right = y.permute((batch + contracted + onlyB).map { ly.firstIndex(of: $0)! })
        let (m, k, n) = (product(onlyA), product(contracted), product(onlyB))
        let result = batch.isEmpty
            ? left.reshape([m, k]).matmul(right.reshape([k, n]))
            : left.reshape([product(batch), m, k]).matmul(right.reshape([product(batch), k, n]))
        let letters = batch + onlyA + onlyB
        return result.reshape(letters.map(size)).permute(output.map { letters.firstIndex(of: $0)! })
    }

    /// Einstein summation of one tensor: a permutation of its dimensions and sums over the letters
    /// missing from the output (PyTorch's `torch.einsum` with one operand).
    ///
    /// Without `->` the output holds the letters in alphabetical order (so `"ji"` transposes a matrix).
    /// A letter repeated in the operand (a diagonal or trace) and `...` are not covered.
    ///
    /// - Parameters:
    ///   - equation: the subscripts, like `"ij->ji"` or `"ijk->k"`.
    ///   - a: the operand.
    ///
    /// ```swift
    /// let t = Tensor.einsum("ij->ji", m)           // m.transpose(0, 1)
    /// let columnSums = Tensor.einsum("ij->j", m)   // m.sum(axes: [0])
    /// let total = Tensor.einsum("ij->", m)         // m.sum()
    /// ```
    public static func einsum(_ equation: String, _ a: Tensor) -> Tensor {
        checked {
            let spec = try EinsumSpec(equation, operands: [a])
            let (x, lx) = einsumSumOut(a, spec.inputs[0], keeping: Set(spec.output))
            return x.permute(spec.output.map { lx.firstIndex(of: $0)! })
        }
    }

    /// `t` summed over the dimensions whose letter is not in `keeping`, with the remaining letters.
    private static func einsumSumOut(_ t: Tensor, _ letters: [Character], keeping: Set<Character>)
        -> (Tensor, [Character]) {
        let summed = letters.indices.filter { !keeping.contains(letters[$0]) }
        if summed.isEmpty { return (t, letters) }
        return (t.sum(axes: summed), letters.filter { keeping.contains($0) })
    }
}

/// A parsed einsum equation: the letters of each operand, of the output, and the size of each letter.
private struct EinsumSpec {
    let inputs: [[Character]]
    let output: [Character]
    let sizes: [Character: Int]

    init(_ equation: String, operands: [Tensor]) throws {
        let chars = Array(equation.filter { !$0.isWhitespace })
        var lhs = chars[...]
        var rhs: ArraySlice<Character>? = nil
        if let arrow = chars.indices.first(where: { chars[$0] == "-" && $0 + 1 < chars.count && chars[$0 + 1] == ">" }) {
            lhs = chars[..<arrow]
            rhs = chars[(arrow + 2)...]
        }
        let inputs = lhs.split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        try require(inputs.count == operands.count,
                "einsum: equation \"\(equation)\" names \(inputs.count) operands, but \(operands.count) were given", .invalidArgument)
        func isLabel(_ c: Character) -> Bool { c.isASCII && c.isLetter }
        for c in chars where !isLabel(c) && c != "," && c != "-" && c != ">" {
            try require(c != ".", "einsum: equation \"\(equation)\": '...' (ellipsis) is not supported; name every dimension")
            throw GradusError(.invalidArgument, "einsum: equation \"\(equation)\" contains '\(c)'; subscripts are the letters a-z and A-Z")
        }
        var sizes: [Character: Int] = [:]
        for (i, (letters, t)) in zip(inputs, operands).enumerated() {
            try require(letters.allSatisfy(isLabel),
                    "einsum: equation \"\(equation)\": subscripts of operand \(i) must be letters, got \"\(String(letters))\"", .invalidArgument)
            try require(letters.count == t.rank,
                    "einsum: equation \"\(equation)\" gives operand \(i) \(letters.count) subscripts, but its shape is \(t.shape)", .shapeMismatch)
            try require(Set(letters).count == letters.count,
                    "einsum: equation \"\(equation)\": operand \(i) repeats a subscript (diagonals and traces are not supported)", .invalidArgument)
            for (c, d) in zip(letters, t.shape) {
                if let known = sizes[c] {
                    try require(known == d,
                            "einsum: equation \"\(equation)\": subscript '\(c)' has size \(known) in one place and \(d) in operand \(i) (shape \(t.shape))", .shapeMismatch)
                } else {
                    sizes[c] = d
                }
            }
        }
        let output: [Character]
        if let rhs {
            output = Array(rhs)
            try require(output.allSatisfy(isLabel),
                    "einsum: equation \"\(equation)\": output subscripts must be letters, got \"\(String(output))\"", .invalidArgument)
            try require(Set(output).count == output.count, "einsum: equation \"\(equation)\": the output repeats a subscript", .invalidArgument)
            for c in output {
                try require(sizes[c] != nil, "einsum: equation \"\(equation)\": output subscript '\(c)' is not in any operand", .invalidArgument)
            }
        } else {
            var seen: [Character: Int] = [:]
            for letters in inputs { for c in letters { seen[c, default: 0] += 1 } }
            output = seen.filter { $0.value == 1 }.map(\.key).sorted()
        }
        self.inputs = inputs
        self.output = output
        self.sizes = sizes
    }
}
