import Gradus
import GradusTestSupport
import Testing

/// Behaviour of sort, topk, argsort, cumsum, cumprod, prod, triu/tril, causalMask, einsum and
/// multinomial that needs no fixtures: ties, empty and out-of-range sizes, exact gradients with zeros,
/// randomness.
@Suite("Sorting, cumulative, triangular, einsum and multinomial ops")
struct NewOpBehaviorTests {
    func expectClose(_ a: [Double], _ b: [Double], _ what: String, tolerance: Double = 1e-12) {
        #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)")
        for (u, v) in zip(a, b) {
            #expect(abs(u - v) <= tolerance * Swift.max(1, abs(v)), "\(what): \(a) vs \(b)")
        }
    }

    // MARK: sort, argsort, topk

    @Test func sortIsStableOnTies() {
        let x = Tensor([[2, 1, 2, 1, 3]])
        let up = x.sort(axis: 1)
        #expect(up.values.scalars() == [1, 1, 2, 2, 3])
        #expect(up.indices.dtype == .int64)
        #expect(up.indices.intScalars == [1, 3, 0, 2, 4])
        let down = x.sort(axis: 1, descending: true)
        #expect(down.values.scalars() == [3, 2, 2, 1, 1])
        #expect(down.indices.intScalars == [4, 0, 2, 1, 3])
    }

    @Test func nanSortsAsTheLargestValue() {
        let x = Tensor([1, .nan, 0, -.infinity])
        #expect(x.sort().indices.intScalars == [3, 2, 0, 1])
        #expect(x.sort(descending: true).indices.intScalars == [1, 0, 2, 3])
        #expect(x.topk(1).indices.intScalars == [1])
    }

    @Test func sortAlongTheFirstAxisAndIntegers() {
        let x = Tensor([[3, 0], [1, 5], [2, 4]])
        #expect(x.sort(axis: 0).values.scalars() == [1, 0, 2, 4, 3, 5])
        #expect(x.sort(axis: 0).indices.intScalars == [1, 0, 2, 2, 0, 1])
        let labels = Tensor(labels: [4, 2, 9, 2])
        #expect(labels.sort().values.intScalars == [2, 2, 4, 9])
        #expect(labels.sort().values.dtype == .int64)
    }

    @Test func argsortAgreesWithSort() {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.normal([4, 7], generator: &rng)
        for descending in [false, true] {
            let (values, indices) = x.sort(axis: 1, descending: descending)
            #expect(x.argsort(axis: 1, descending: descending).intScalars == indices.intScalars)
            #expect(x.gather(axis: 1, index: indices).scalars() == values.scalars())
            let v = values.scalars()
            for r in 0..<4 {
                for j in 0..<6 {
                    let (a, b) = (v[r * 7 + j], v[r * 7 + j + 1])
                    #expect(descending ? a >= b : a <= b, "row \(r) is not sorted: \(v[(r * 7)..<(r * 7 + 7)])")
                }
            }
        }
    }

    @Test func topkWithKZeroAndKEqualToTheSize() {
        let x = Tensor([[0.5, -1, 2, 0], [3, 1, -2, 4], [1, 1, 1, 0]])
        let none = x.topk(0, axis: 1)
        #expect(none.values.shape == [3, 0] && none.indices.shape == [3, 0])
        let all = x.topk(4, axis: 1)
        let sortedDown = x.sort(axis: 1, descending: true)
        #expect(all.values.scalars() == sortedDown.values.scalars())
        #expect(all.indices.intScalars == sortedDown.indices.intScalars)
        let smallest = x.topk(4, axis: 1, largest: false)
        #expect(smallest.values.scalars() == x.sort(axis: 1).values.scalars())
        #expect(x.topk(2, axis: 0).values.shape == [2, 4])
        // Ties: the earlier element first.
        #expect(x.topk(2, axis: 1).indices.intScalars == [2, 0, 3, 0, 0, 1])
    }

    @Test func sortAndTopkGradientsReturnToTheSourcePositions() {
        let x = Tensor([3, 1, 2]).requiringGrad()
        (x.sort().values * Tensor([10, 20, 30])).sum().backward()
        #expect(x.grad!.scalars() == [30, 10, 20])
        let y = Tensor([[0.5, 4, -1, 2]]).requiringGrad()
        y.topk(2, axis: 1).values.sum().backward()
        #expect(y.grad!.scalars() == [0, 1, 0, 1])
    }

    // MARK: cumsum, cumprod, prod

    @Test func cumsumValuesAndEmptyDimensions() {
        #expect(Tensor([1, 2, 3]).cumsum(axis: 0).scalars() == [1, 3, 6])
        #expect(Tensor([[1, 2], [3, 4]]).cumsum(axis: 0).scalars() == [1, 2, 4, 6])
        #expect(Tensor([[1, 2], [3, 4]]).cumsum(axis: -1).scalars() == [1, 3, 3, 7])
        let empty = Tensor.zeros([2, 0]).requiringGrad()
        let c = empty.cumsum(axis: 1)
        #expect(c.shape == [2, 0])
        c.sum().backward()
        #expect(empty.grad?.shape == [2, 0])
        #expect(Tensor.zeros([0, 3]).cumsum(axis: 0).shape == [0, 3])
        #expect(Tensor.zeros([0, 3]).cumsum(axis: 1).shape == [0, 3])
    }

    @Test func cumsumGradientIsAReverseCumsum() {
        let x = Tensor([1, 2, 3, 4], dtype: .float64).requiringGrad()
        (x.cumsum(axis: 0) * Tensor([1, 10, 100, 1000], dtype: .float64)).sum().backward()
        #expect(x.grad!.scalars(as: Double.self) == [1111, 1110, 1100, 1000])
    }

    /// Σ_{j ≥ k} w_j · Π_{m ≤ j, m ≠ k} x_m by loops.
    func cumprodGradient(_ x: [Double], _ w: [Double]) -> [Double] {
        (0..<x.count).map { k in
            (k..<x.count).reduce(0.0) { total, j in
                total + w[j] * (0...j).filter { $0 != k }.reduce(1.0) { $0 * x[$1] }
            }
        }
    }

    @Test("cumprod's gradient is exact with zeros, with and without createGraph",
          arguments: [[2, 0, 3, 0.5, 0, 4], [0, 2, 3, 0.5], [1.5, 2, 3, 0], [1.5, -2, 0.25, 3]])
    func cumprodGradientWithZeros(_ values: [Double]) {
        let w = (0..<values.count).map { 0.5 + Double($0) }
        let weights = Tensor(w, dtype: .float64)
        let expected = cumprodGradient(values, w)
        for createGraph in [false, true] {
            let x = Tensor(values, dtype: .float64).requiringGrad()
            let g = Autograd.gradients(of: (x.cumprod(axis: 0) * weights).sum(), wrt: [x], createGraph: createGraph)[0]
            expectClose(g.scalars(as: Double.self), expected, "cumprod gradient at \(values), createGraph \(createGraph)")
        }
    }

    @Test("cumprod's second derivative with zeros matches differences of its exact gradient")
    func cumprodSecondDerivativeWithZeros() {
        let values = [2, 0, 3, 0.5, 0, 4.0]
        let w = (0..<values.count).map { 0.5 + Double($0) }
        let x = Tensor(values, dtype: .float64).requiringGrad()
        let g = Autograd.gradients(of: (x.cumprod(axis: 0) * Tensor(w, dtype: .float64)).sum(), wrt: [x], createGraph: true)[0]
        let h = Autograd.gradients(of: g.sum(), wrt: [x])[0].scalars(as: Double.self)
        // Σ_k grad_k is multilinear in each x_i, so central differences are exact up to rounding.
        let eps = 1e-3
        let numeric = (0..<values.count).map { i -> Double in
            var up = values, down = values
            up[i] += eps
            down[i] -= eps
            return (cumprodGradient(up, w).reduce(0, +) - cumprodGradient(down, w).reduce(0, +)) / (2 * eps)
        }
        expectClose(h, numeric, "d/dx Σ cumprod gradient", tolerance: 1e-9)
    }

    @Test func cumprodAlongAnInnerAxis() {
        let x = Tensor([[[1, 2], [3, 0]], [[2, 2], [0.5, 4]]], dtype: .float64).requiringGrad()
        let y = x.cumprod(axis: 1)
        #expect(y.scalars(as: Double.self) == [1, 2, 3, 0, 2, 2, 1, 8])
        y.sum().backward()
        // d/dx[b][0][c] = 1 + x[b][1][c]; d/dx[b][1][c] = x[b][0][c].
        #expect(x.grad!.scalars(as: Double.self) == [4, 1, 1, 2, 1.5, 5, 2, 2])
    }

    @Test func prodValuesAndGradientsWithZeros() {
        #expect(Tensor([2, 3, 4]).prod().item(Float.self) == 24)
        #expect(Tensor.zeros([0]).prod().item(Float.self) == 1)
        #expect(Tensor([[1, 2], [3, 4]]).prod(axis: 0).scalars() == [3, 8])
        #expect(Tensor([[1, 2], [3, 4]]).prod(axis: 1, keepDims: true).shape == [2, 1])
        for (values, expected) in [([0, 2, 3.0], [6, 0, 0.0]), ([0, 2, 0.0], [0, 0, 0.0]), ([1, 2, 3.0], [6, 3, 2.0])] {
            for createGraph in [false, true] {
                let x = Tensor(values, dtype: .float64).requiringGrad()
                let g = Autograd.gradients(of: x.prod(), wrt: [x], createGraph: createGraph)[0]
                expectClose(g.scalars(as: Double.self), expected, "prod gradient at \(values), createGraph \(createGraph)")
            }
        }
    }

    @Test func prodSecondDerivativeWithOneZero() {
        // ∂/∂x of ∂(x0·x1·x2)/∂x0 = [0, x2, x1].
        let x = Tensor([0, 2, 3], dtype: .float64).requiringGrad()
        let g = Autograd.gradients(of: x.prod(), wrt: [x], createGraph: true)[0]
        let h = Autograd.gradients(of: g.select(axis: 0, index: 0), wrt: [x])[0]
        expectClose(h.scalars(as: Double.self), [0, 3, 2], "second derivative of prod")
    }

    // MARK: triu, tril, causalMask

    @Test func triangleDiagonalsBeyondTheSize() {
        let x = Tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
        #expect(x.triu(diagonal: 10).scalars() == [Float](repeating: 0, count: 12))
        #expect(x.triu(diagonal: -10).scalars() == x.scalars())
        #expect(x.tril(diagonal: 10).scalars() == x.scalars())
        #expect(x.tril(diagonal: -10).scalars() == [Float](repeating: 0, count: 12))
        #expect(x.triu().scalars() == [1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12])
        #expect(x.tril(diagonal: 1).scalars() == [1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12])
        // Elements outside the triangle become 0 even when they are NaN or infinite.
        let special = Tensor([[1, .nan], [.infinity, 2]])
        #expect(special.triu().scalars()[2] == 0 && special.tril().scalars()[1] == 0)
    }

    @Test func triangleGradientKeepsTheSameElements() {
        let x = Tensor.ones([2, 2, 3]).requiringGrad()
        x.tril(diagonal: -1).sum().backward()
        #expect(x.grad!.scalars() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    @Test func causalMaskIsZeroOnAndBelowTheDiagonal() {
        let mask = Tensor.causalMask(3)
        #expect(mask.shape == [3, 3] && mask.dtype == .float32)
        #expect(mask.scalars() == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        #expect(Tensor.causalMask(2, dtype: .float64).scalars(as: Double.self) == [0, -.infinity, 0, 0])
        #expect(Tensor.causalMask(0).shape == [0, 0])
    }

    // MARK: einsum

    @Test func einsumMatchesMatmulAndLoops() {
        var rng = SeededGenerator(seed: 5)
        let a = Tensor.normal([3, 4], dtype: .float64, generator: &rng)
        let b = Tensor.normal([4, 5], dtype: .float64, generator: &rng)
        let c = Tensor.normal([3, 4], dtype: .float64, generator: &rng)
        let x = Tensor.normal([2, 3, 4], dtype: .float64, generator: &rng)
        let y = Tensor.normal([2, 4, 5], dtype: .float64, generator: &rng)
        let u = Tensor.normal([3], dtype: .float64, generator: &rng)
        let v = Tensor.normal([5], dtype: .float64, generator: &rng)
        func same(_ p: Tensor, _ q: Tensor, _ what: String) {
            #expect(p.shape == q.shape, "\(what): shape \(p.shape) vs \(q.shape)")
            expectClose(p.scalars(as: Double.self), q.scalars(as: Double.self), what)
        }
        same(Tensor.einsum("ij,jk->ik", a, b), a.matmul(b), "ij,jk->ik")
        same(Tensor.einsum("ij,jk", a, b), a.matmul(b), "implicit output")
        same(Tensor.einsum("ik,kj->ji", a, b), a.matmul(b).transpose(0, 1), "transposed output")
        same(Tensor.einsum("bij,bjk->bik", x, y), x.matmul(y), "bij,bjk->bik")
        same(Tensor.einsum("ij,ij->i", a, c), (a * c).sum(axes: [1]), "ij,ij->i")
        same(Tensor.einsum("ij,ij->", a, c), (a * c).sum(), "ij,ij->")
        same(Tensor.einsum("i,j->ij", u, v), u.unsqueeze(1) * v.unsqueeze(0), "i,j->ij")
        same(Tensor.einsum("ij,kj->ik", a, c), a.matmul(c.transpose(0, 1)), "ij,kj->ik")
        same(Tensor.einsum("ij->ji", a), a.transpose(0, 1), "ij->ji")
        same(Tensor.einsum("ji", a), a.transpose(0, 1), "implicit transpose")
        same(Tensor.einsum("ijk->k", x), x.sum(axes: [0, 1]), "ijk->k")

        // A letter of one operand only that is not in the output is summed: out[i][k] = Σ_j a[i][j]·u'[k].
        let w = Tensor.normal([6], dtype: .float64, generator: &rng)
        let summed = Tensor.einsum("ij,k->ik", a, w)
        let av = a.scalars(as: Double.self), wv = w.scalars(as: Double.self)
        var loops = [Double](repeating: 0, count: 18)
        for i in 0..<3 { for k in 0..<6 { for j in 0..<4 { loops[i * 6 + k] += av[i * 4 + j] * wv[k] } } }
        #expect(summed.shape == [3, 6])
        expectClose(summed.scalars(as: Double.self), loops, "ij,k->ik")

        // A batch letter in the middle: out[b][i][k] = Σ_j x[i][b][j]·y[b][j][k].
        let xt = x.transpose(0, 1)   // [3, 2, 4]
        let batched = Tensor.einsum("ibj,bjk->bik", xt, y)
        same(batched, x.matmul(y), "ibj,bjk->bik")
    }

    /// `equation` (letters only, explicit output) evaluated by visiting every assignment of its letters,
    /// with size-1 dimensions broadcast: the definition, independent of how `einsum` contracts.
    private func einsumByLoops(_ equation: String, _ operands: [Tensor]) -> [Double] {
        let sides = equation.components(separatedBy: "->")
        let groups = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        let output = Array(sides[1])
        var sizes: [Character: Int] = [:]
        for (g, t) in zip(groups, operands) { for (c, d) in zip(g, t.shape) where d != 1 || sizes[c] == nil { sizes[c] = d } }
        let letters = Array(sizes.keys)
        let values = operands.map { $0.scalars(as: Double.self) }
        let outSize = output.reduce(1) { $0 * sizes[$1]! }
        var result = [Double](repeating: 0, count: outSize)
        var assignment = [Character: Int]()
        func visit(_ k: Int) {
            if k == letters.count {
                var term = 1.0
                for (o, (g, t)) in zip(groups, operands).enumerated() {
                    var flat = 0
                    for (c, d) in zip(g, t.shape) { flat = flat * d + (d == 1 ? 0 : assignment[c]!) }
                    term *= values[o][flat]
                }
                result[output.reduce(0) { $0 * sizes[$1]! + assignment[$1]! }] += term
                return
            }
            for v in 0..<sizes[letters[k]]! { assignment[letters[k]] = v; visit(k + 1) }
        }
        visit(0)
        return result
    }

    @Test("einsum: several operands, ellipses, diagonals and broadcasting against the definition")
    func einsumGeneralForms() {
        var rng = SeededGenerator(seed: 9)
        func n(_ shape: [Int]) -> Tensor { Tensor.normal(shape, dtype: .float64, generator: &rng) }
        func check(_ equation: String, _ operands: [Tensor], as loops: String? = nil, shape: [Int]) {
            let result = Tensor.einsum(equation, operands)
            #expect(result.shape == shape, "\(equation): shape \(result.shape)")
            expectClose(result.scalars(as: Double.self), einsumByLoops(loops ?? equation, operands), equation)
        }
        let (a, b, c) = (n([2, 3]), n([3, 4]), n([4, 5]))
        check("ij,jk,kl->il", [a, b, c], shape: [2, 5])
        check("ij,jk,kl", [a, b, c], as: "ij,jk,kl->il", shape: [2, 5])
        check("ij,kl,jk->li", [a, c, b], shape: [5, 2])
        // Bilinear form: two batch letters shared by the first and third operand only.
        let (x, w, y) = (n([3, 2]), n([4, 2, 5]), n([3, 5]))
        check("bn,anm,bm->ba", [x, w, y], shape: [3, 4])
        check("i,i,i->", [n([4]), n([4]), n([4])], shape: [])
        check("i,j,k->ijk", [n([2]), n([3]), n([2])], shape: [2, 3, 2])
        // Diagonals and traces.
        let m = n([3, 3])
        check("ii->i", [m], shape: [3])
        check("ii->", [m], shape: [])
        check("ii", [m], as: "ii->", shape: [])
        check("iji->ij", [n([3, 2, 3])], shape: [3, 2])
        check("bii->b", [n([2, 3, 3])], shape: [2])
        check("iii->i", [n([2, 2, 2])], shape: [2])
        check("ii,ij->j", [m, n([3, 2])], shape: [2])
        // Size 1 broadcast against the others (as PyTorch does for any subscript).
        check("ij,ij->ij", [n([1, 3]), n([2, 3])], shape: [2, 3])
        check("ij,jk->ik", [n([2, 1]), n([3, 4])], shape: [2, 4])
        check("ij,jk->ijk", [n([2, 1]), n([1, 4])], shape: [2, 1, 4])
        // Ellipses: broadcast right-aligned, in front in the implicit output, summed when the output omits them.
        let (p, q) = (n([5, 1, 2, 3]), n([4, 3, 6]))
        check("...ij,...jk", [p, q], as: "abij,bjk->abik", shape: [5, 4, 2, 6])
        check("...ij,...jk->...ik", [p, q], as: "abij,bjk->abik", shape: [5, 4, 2, 6])
        check("...ij->ij", [n([5, 2, 3])], as: "aij->ij", shape: [2, 3])
        check("i...i->...", [n([3, 4, 3])], as: "iai->a", shape: [4])
        check("ab...,b...->a...", [n([2, 3, 4]), n([3, 1])], as: "abc,bc->ac", shape: [2, 4])
        check("ij->j...", [a], as: "ij->j", shape: [3])
        check("...,...->...", [n([]), n([3])], as: ",a->a", shape: [3])
        // The implicit output sorts upper case before lower case, as PyTorch.
        check("ba,aB", [n([2, 3]), n([3, 5])], as: "ba,aB->Bb", shape: [5, 2])
        // Empty dimensions: an empty contraction gives zeros, an empty kept letter an empty result.
        check("ij,jk->ik", [n([2, 0]), n([0, 3])], shape: [2, 3])
        check("ij,jk,kl->il", [n([0, 2]), n([2, 3]), n([3, 4])], shape: [0, 4])
        #expect(Tensor.einsum("ij,jk->ik", n([2, 0]), n([0, 3])).scalars(as: Double.self) == [Double](repeating: 0, count: 6))
    }

    @Test("einsum: gradients of the general forms match the same computation written with other ops")
    func einsumGeneralGradients() {
        var rng = SeededGenerator(seed: 10)
        let a0 = Tensor.normal([2, 3], dtype: .float64, generator: &rng)
        let b0 = Tensor.normal([3, 4], dtype: .float64, generator: &rng)
        let m0 = Tensor.normal([4, 4], dtype: .float64, generator: &rng)
        let up = Tensor.normal([2, 4], dtype: .float64, generator: &rng)
        let (a1, b1, m1) = (a0.detach().requiringGrad(), b0.detach().requiringGrad(), m0.detach().requiringGrad())
        // a·b scaled column-wise by m's diagonal, then broadcast against a [1, 4] ones row.
        (Tensor.einsum("ij,jk,kk,lk->ik", a1, b1, m1, Tensor.ones([1, 4], dtype: .float64)) * up).sum().backward()
        let (a2, b2, m2) = (a0.detach().requiringGrad(), b0.detach().requiringGrad(), m0.detach().requiringGrad())
        (a2.matmul(b2) * m2.diagonal() * up).sum().backward()
        expectClose(a1.grad!.scalars(as: Double.self), a2.grad!.scalars(as: Double.self), "gradient of a")
        expectClose(b1.grad!.scalars(as: Double.self), b2.grad!.scalars(as: Double.self), "gradient of b")
        expectClose(m1.grad!.scalars(as: Double.self), m2.grad!.scalars(as: Double.self), "gradient of m (diagonal only)")
    }

    @Test func einsumGradientsMatchMatmul() {
        var rng = SeededGenerator(seed: 6)
        let a0 = Tensor.normal([2, 3, 4], dtype: .float64, generator: &rng)
        let b0 = Tensor.normal([2, 4, 5], dtype: .float64, generator: &rng)
        let up = Tensor.normal([2, 3, 5], dtype: .float64, generator: &rng)
        let (a1, b1) = (a0.detach().requiringGrad(), b0.detach().requiringGrad())
        (Tensor.einsum("bij,bjk->bik", a1, b1) * up).sum().backward()
        let (a2, b2) = (a0.detach().requiringGrad(), b0.detach().requiringGrad())
        (a2.matmul(b2) * up).sum().backward()
        expectClose(a1.grad!.scalars(as: Double.self), a2.grad!.scalars(as: Double.self), "einsum gradient of a")
        expectClose(b1.grad!.scalars(as: Double.self), b2.grad!.scalars(as: Double.self), "einsum gradient of b")
    }

    // MARK: multinomial

    @Test func multinomialWithoutReplacementDrawsDistinctPositiveCategories() {
        var rng = SeededGenerator(seed: 3)
        let weights = Tensor([0, 1, 2, 0, 3, 4])
        for _ in 0..<200 {
            let s = Tensor.multinomial(weights, numSamples: 4, generator: &rng)
            #expect(s.shape == [4] && s.dtype == .int64)
            let picks = s.intScalars
            #expect(Set(picks).count == 4, "repeated category in \(picks)")
            #expect(!picks.contains(0) && !picks.contains(3), "zero-weight category in \(picks)")
        }
        let rows = Tensor([[0, 0, 1, 1], [5, 0, 0, 1]])
        for _ in 0..<50 {
            let s = Tensor.multinomial(rows, numSamples: 2, generator: &rng).intScalars
            #expect(Set(s[0..<2]) == [2, 3])
            #expect(Set(s[2..<4]) == [0, 3])
        }
    }

    @Test func multinomialWithReplacementNeverPicksZeroWeights() {
        var rng = SeededGenerator(seed: 4)
        let s = Tensor.multinomial(Tensor([[0, 1, 0, 2], [3, 0, 0, 0]]), numSamples: 500, replacement: true, generator: &rng)
        #expect(s.shape == [2, 500])
        let v = s.intScalars
        #expect(v[0..<500].allSatisfy { $0 == 1 || $0 == 3 })
        #expect(v[500..<1000].allSatisfy { $0 == 0 })
    }

    @Test func multinomialFrequenciesMatchTheProbabilities() {
        var rng = SeededGenerator(seed: 2024)
        let p = [0.1, 0.2, 0.3, 0.4]
        let n = 20_000
        let s = Tensor.multinomial(Tensor(p), numSamples: n, replacement: true, generator: &rng).intScalars
        for (j, pj) in p.enumerated() {
            let frequency = Double(s.filter { $0 == j }.count) / Double(n)
            #expect(abs(frequency - pj) < 0.02, "category \(j): frequency \(frequency), probability \(pj)")
        }
        // Unnormalized weights give the same distribution.
        let t = Tensor.multinomial(Tensor([1, 3]), numSamples: n, replacement: true, generator: &rng).intScalars
        #expect(abs(Double(t.filter { $0 == 1 }.count) / Double(n) - 0.75) < 0.02)
    }

    @Test func multinomialFromTheDefaultGeneratorIsReproducible() {
        let first = Random.withSeed(9) { Tensor.multinomial(Tensor([0.2, 0.3, 0.5]), numSamples: 3).intScalars }
        let second = Random.withSeed(9) { Tensor.multinomial(Tensor([0.2, 0.3, 0.5]), numSamples: 3).intScalars }
        #expect(first == second)
        #expect(Set(first) == [0, 1, 2])
    }
}
