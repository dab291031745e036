import Gradus
import GradusTestSupport
import Testing

/// One tensor read through many views (selects, overlapping and disjoint slices, stepped slices,
/// chunks, a select of a transpose) and directly: the gradient must be the sum of every read's, whether
/// the tensor is a leaf, a requested input or an interior node, with and without `createGraph`.
@Suite("Gradients of a tensor read through many views")
struct ManyViewsGradientTests {
    static let rows = 5, columns = 6

    /// One read of x [5, 6]: its view, and the flat indices of x it covers (computed by hand).
    struct Read {
        let view: (Tensor) -> Tensor
        let indices: [Int]
        let weight: Double
    }

    static func flat(_ r: Int, _ c: Int) -> Int { r * columns + c }

    static var reads: [Read] {
        var found: [Read] = []
        for t in 0..<rows {
            found.append(Read(view: { $0.select(axis: 0, index: t) },
                              indices: (0..<columns).map { flat(t, $0) }, weight: Double(t + 1)))
        }
        for c in 0..<columns where c % 2 == 0 {
            found.append(Read(view: { $0.select(axis: 1, index: c) },
                              indices: (0..<rows).map { flat($0, c) }, weight: 0.5 + Double(c)))
        }
        // Overlapping row ranges, a stepped column slice, and a block.
        found.append(Read(view: { $0.slice(axis: 0, start: 1, end: 4) },
                          indices: (1..<4).flatMap { r in (0..<columns).map { flat(r, $0) } }, weight: -0.75))
        found.append(Read(view: { $0.slice(axis: 0, start: 2, end: 5) },
                          indices: (2..<5).flatMap { r in (0..<columns).map { flat(r, $0) } }, weight: 1.25))
        found.append(Read(view: { $0.slice(axis: 1, start: 1, end: 6, step: 2) },
                          indices: (0..<rows).flatMap { r in stride(from: 1, to: 6, by: 2).map { flat(r, $0) } }, weight: 0.3))
        found.append(Read(view: { $0.slice(axis: 0, start: 1, end: 3).slice(axis: 1, start: 2, end: 5) },
                          indices: (1..<3).flatMap { r in (2..<5).map { flat(r, $0) } }, weight: 2))
        // Chunks (disjoint, covering everything, the last one smaller) and split sizes.
        for (k, range) in [0..<3, 3..<6].enumerated() {
            found.append(Read(view: { $0.chunk(2, axis: 1)[k] },
                              indices: (0..<rows).flatMap { r in range.map { flat(r, $0) } }, weight: Double(k) - 0.5))
        }
        for (k, range) in [0..<2, 2..<4, 4..<5].enumerated() {
            found.append(Read(view: { $0.chunk(3, axis: 0)[k] },
                              indices: range.flatMap { r in (0..<columns).map { flat(r, $0) } }, weight: 0.2 * Double(k + 1)))
        }
        // A select of a transposed view (a non-contiguous input to the slice), and the whole tensor.
        found.append(Read(view: { $0.transpose(0, 1).select(axis: 0, index: 3) },
                          indices: (0..<rows).map { flat($0, 3) }, weight: 0.9))
        found.append(Read(view: { $0 }, indices: Array(0..<(rows * columns)), weight: 0.1))
        return found
    }

    /// Σ over reads of weight · Σ view².
    static func loss(_ x: Tensor) -> Tensor {
        var total = Tensor(scalar: 0, dtype: x.dtype)
        for read in reads { total = total + (read.view(x).square() * read.weight).sum() }
        return total
    }

    /// ∂loss/∂x by hand: 2·weight·x at every index a read covers, summed over reads; and ∂/∂x of Σ of it.
    static func expected(_ x: Tensor) -> (first: [Double], second: [Double]) {
        let v = x.scalars(as: Double.self)
        var first = [Double](repeating: 0, count: v.count), second = first
        for read in reads {
            for i in read.indices { first[i] += 2 * read.weight * v[i]; second[i] += 2 * read.weight }
        }
        return (first, second)
    }

    static func input(seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal([rows, columns], dtype: .float64, generator: &rng)
    }

    static func close(_ a: Tensor, _ b: [Double], scale: Double = 1) -> Bool {
        let got = a.scalars(as: Double.self)
        return a.shape == [rows, columns] && zip(got, b).allSatisfy { abs($0 - scale * $1) <= 1e-10 * (1 + abs(scale * $1)) }
    }

    @Test("a leaf: backward, twice (accumulating), and the requested form")
    func leaf() {
        let x = Self.input(seed: 11).requiringGrad()
        let (first, _) = Self.expected(x)
        Self.loss(x).backward()
        #expect(Self.close(x.grad!, first))
        Self.loss(x).backward()
        #expect(Self.close(x.grad!, first, scale: 2))
        // Requested: returned, and .grad left alone.
        let requested = Autograd.gradients(of: Self.loss(x), wrt: [x])[0]
        #expect(Self.close(requested, first))
        #expect(Self.close(x.grad!, first, scale: 2))
    }

    @Test("a leaf that is not requested gets no gradient; one that is gets only its own")
    func unrequestedLeaf() {
        let x = Self.input(seed: 12).requiringGrad(), w = Self.input(seed: 13).requiringGrad()
        let both = Self.loss(x) + Self.loss(w)
        let g = Autograd.gradients(of: both, wrt: [x])[0]
        #expect(Self.close(g, Self.expected(x).first))
        #expect(w.grad == nil && x.grad == nil)
    }

    @Test("an interior node (y = 2x) read through the views")
    func interior() {
        let x = Self.input(seed: 14).requiringGrad()
        let y = x * 2
        Self.loss(y).backward()
        // ∂/∂x = 2 · (∂loss/∂y at y).
        #expect(Self.close(x.grad!, Self.expected(y.detach()).first, scale: 2))
        // The interior tensor requested itself (its slices are padded, the old path).
        let y2 = x.detach().requiringGrad() * 2
        let gy = Autograd.gradients(of: Self.loss(y2), wrt: [y2])[0]
        #expect(Self.close(gy, Self.expected(y2.detach()).first))
    }

    @Test("with createGraph the gradient is right and can be differentiated again")
    func secondOrder() {
        for interior in [false, true] {
            let x = Self.input(seed: 15).requiringGrad()
            let source = interior ? x * 1.0 : x
            let (first, second) = Self.expected(x)
            let g = Autograd.gradients(of: Self.loss(source), wrt: [x], createGraph: true)[0]
            #expect(Self.close(g, first))
            let h = Autograd.gradients(of: g.sum(), wrt: [x])[0]
            #expect(Self.close(h, second))
            // backward with createGraph writes a differentiable .grad.
            let z = x.detach().requiringGrad()
            Self.loss(interior ? z * 1.0 : z).backward(createGraph: true)
            #expect(Self.close(z.grad!, first))
            #expect(z.grad!.requiresGrad)
        }
    }

    @Test("Float64 gradcheck of the views, on a leaf and through an interior node")
    func gradcheck() {
        for interior in [false, true] {
            let report = GradCheck.check(inputs: [Self.input(seed: 16)], epsilon: 1e-6, absoluteTolerance: 1e-6,
                                         relativeTolerance: 1e-4) { p in
                Self.loss(interior ? p[0].tanh() : p[0])
            }
            #expect(report.passed, "\(report)")
        }
    }
}
