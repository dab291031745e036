import Gradus
import GradusTestSupport
import Testing

/// One case of Tests/Fixtures/tensor/linalg.json (scripts/make_linalg_fixtures.py).
struct LinalgCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [TensorFixture]
    let output: TensorFixture
    let gradients: [TensorFixture]?
    var testDescription: String { name }
}

let linalgCases: [LinalgCase] = {
    struct File: Decodable { let cases: [LinalgCase] }
    return (try? Fixtures.decode(File.self, "tensor/linalg.json").cases) ?? []
}()

/// A positive-definite matrix from an unconstrained one (as the fixture generator builds it).
private func spd(_ x: Tensor) -> Tensor { x.matmul(x.mT) + Tensor.eye(x.shape[x.rank - 1], dtype: x.dtype) * 3 }
private func sym(_ x: Tensor) -> Tensor { x + x.mT }
private func eighFeatures(_ r: (eigenvalues: Tensor, eigenvectors: Tensor)) -> Tensor {
    Tensor.concatenate([r.eigenvalues.reshape([-1]), (r.eigenvectors * r.eigenvectors).reshape([-1])])
}
private func svdFeatures(_ r: (u: Tensor, s: Tensor, vh: Tensor)) -> Tensor {
    Tensor.concatenate([r.s.reshape([-1]), (r.u * r.u).reshape([-1]), (r.vh * r.vh).reshape([-1])])
}

private func qrFeatures(_ r: (q: Tensor, r: Tensor)) -> Tensor {
    Tensor.concatenate([r.q.reshape([-1]), r.r.reshape([-1])])
}

/// Each fixture case as a Gradus call, by name.
let linalgTable: [String: @Sendable ([Tensor]) -> Tensor] = [
    "inv_3": { Linalg.inv($0[0]) },
    "inv_batch": { $0[0].inverse() },
    "inv_1": { Linalg.inv($0[0]) },
    "inv_float32": { Linalg.inv($0[0]) },
    "det_3": { Linalg.det($0[0]) },
    "det_batch": { $0[0].det() },
    "det_negative": { Linalg.det($0[0]) },
    "det_singular": { Linalg.det($0[0]) },
    "det_float32": { Linalg.det($0[0]) },
    "slogdet_logabs": { Linalg.slogdet($0[0]).logAbsDet },
    "slogdet_sign": { Linalg.slogdet($0[0]).sign },
    "slogdet_huge": { Linalg.slogdet($0[0]).logAbsDet },
    "solve_matrix": { Linalg.solve($0[0], $0[1]) },
    "solve_vector": { Linalg.solve($0[0], $0[1]) },
    "solve_batch_vectors": { Linalg.solve($0[0], $0[1]) },
    "solve_broadcast": { Linalg.solve($0[0], $0[1]) },
    "solve_shared_matrix": { Linalg.solve($0[0], $0[1]) },
    "solve_left_false": { Linalg.solve($0[0], $0[1], left: false) },
    "cholesky_spd": { Linalg.cholesky(spd($0[0])) },
    "cholesky_batch": { Linalg.cholesky(spd($0[0])) },
    "cholesky_upper": { Linalg.cholesky(spd($0[0]), upper: true) },
    "cholesky_reads_lower": { Linalg.cholesky(spd($0[0]).tril()) },
    "eigh_values_vectors": { eighFeatures(Linalg.eigh(sym($0[0]))) },
    "eigh_batch": { eighFeatures(Linalg.eigh(sym($0[0]))) },
    "eigh_reconstruction": { let r = Linalg.eigh(sym($0[0])); return (r.eigenvectors * r.eigenvalues.unsqueeze(-2)).matmul(r.eigenvectors.mT) },
    "eigh_direct": { eighFeatures(Linalg.eigh($0[0])) },
    "eigvalsh": { Linalg.eigvalsh(sym($0[0])) },
    "svdvals_tall": { Linalg.svdvals($0[0]) },
    "svdvals_wide": { Linalg.svdvals($0[0]) },
    "svdvals_batch": { Linalg.svdvals($0[0]) },
    "svd_reduced_tall": { svdFeatures(Linalg.svd($0[0], fullMatrices: false)) },
    "svd_reduced_wide": { svdFeatures(Linalg.svd($0[0], fullMatrices: false)) },
    "svd_reduced_square": { svdFeatures(Linalg.svd($0[0], fullMatrices: false)) },
    "svd_full_tall": {
        let r = Linalg.svd($0[0])
        let u = r.u.slice(axis: -1, start: 0, end: 2)
        return Tensor.concatenate([r.s.reshape([-1]), (u * u).reshape([-1]), (r.vh * r.vh).reshape([-1])])
    },
    "svd_reconstruction": { let r = Linalg.svd($0[0], fullMatrices: false); return (r.u * r.s.unsqueeze(-2)).matmul(r.vh) },
    "qr_reduced_tall": { qrFeatures(Linalg.qr($0[0])) },
    "qr_reduced_wide": { qrFeatures(Linalg.qr($0[0])) },
    "qr_square_batch": { qrFeatures(Linalg.qr($0[0])) },
    "qr_complete_wide": { qrFeatures(Linalg.qr($0[0], mode: .complete)) },
    "qr_complete_tall": { qrFeatures(Linalg.qr($0[0], mode: .complete)) },
    "qr_r_only": { Linalg.qr($0[0], mode: .r).r },
    "qr_r_only_gradient_free": { Linalg.qr($0[0]).r },
    "pinv_tall": { Linalg.pinv($0[0]) },
    "pinv_wide": { Linalg.pinv($0[0]) },
    "pinv_batch": { Linalg.pinv($0[0]) },
    "pinv_rank_deficient": { Linalg.pinv($0[0]) },
    "pinv_rtol": { Linalg.pinv($0[0], rtol: 0.5) },
    "lstsq_tall": { Linalg.lstsq($0[0], $0[1]) },
    "lstsq_vector": { Linalg.lstsq($0[0], $0[1]) },
    "matrix_norm_fro": { Linalg.matrixNorm($0[0]) },
    "matrix_norm_nuc": { Linalg.matrixNorm($0[0], order: .nuclear) },
    "matrix_norm_2": { Linalg.matrixNorm($0[0], order: .spectral) },
    "matrix_norm_m2": { Linalg.matrixNorm($0[0], order: .smallestSingularValue) },
    "matrix_norm_1": { Linalg.matrixNorm($0[0], order: .maxColumnSum) },
    "matrix_norm_m1": { Linalg.matrixNorm($0[0], order: .minColumnSum) },
    "matrix_norm_inf_keepdim": { Linalg.matrixNorm($0[0], order: .maxRowSum, keepDims: true) },
    "matrix_norm_minf": { Linalg.matrixNorm($0[0], order: .minRowSum) },
    "matrix_rank": { Linalg.matrixRank($0[0]).to(.float64) },
    "cond": { Linalg.cond($0[0]) },
    "cond_tall": { Linalg.cond($0[0]) },
    "svd_rank_deficient_vh_only": { let vh = Linalg.svd($0[0], fullMatrices: false).vh.select(axis: -2, index: 0); return vh * vh },
    "eigh_float32": { eighFeatures(Linalg.eigh(sym($0[0]))) },
    "svd_float32": { svdFeatures(Linalg.svd($0[0], fullMatrices: false)) },
    "cholesky_float32": { Linalg.cholesky(spd($0[0])) },
    "solve_float32": { Linalg.solve($0[0], $0[1]) },
    "inv_transposed": { Linalg.inv($0[0].mT) },
    "svd_transposed_full_wide": {
        let r = Linalg.svd($0[0].mT)
        let vh = r.vh.slice(axis: -2, start: 0, end: 2)
        return Tensor.concatenate([r.s.reshape([-1]), (r.u * r.u).reshape([-1]), (vh * vh).reshape([-1])])
    },
    "solve_left_false_broadcast": { Linalg.solve($0[0], $0[1], left: false) },
    "matrix_power_3": { Linalg.matrixPower($0[0], 3) },
    "matrix_power_minus2": { Linalg.matrixPower($0[0], -2) },
    "matrix_power_0": { Linalg.matrixPower($0[0], 0) },
    "matrix_power_1": { Linalg.matrixPower($0[0], 1) },
    "multi_dot_vectors": { Linalg.multiDot($0) },
    "multi_dot_matrices": { Linalg.multiDot($0) },
    "solve_triangular_upper": { Linalg.solveTriangular($0[0], $0[1], upper: true) },
    "solve_triangular_lower_right": { Linalg.solveTriangular($0[0], $0[1], upper: false, left: false) },
    "solve_triangular_unit": { Linalg.solveTriangular($0[0], $0[1], upper: false, unitriangular: true) },
    "vector_norm_3": { Linalg.vectorNorm($0[0], ord: 3, axes: [0, 2]) },
]

@Suite("torch.linalg: inverse, determinants, solve, Cholesky, eigh, SVD")
struct LinalgTests {
    @Test("the fixture file loads and every case has a Gradus call")
    func coverage() {
        #expect(linalgCases.count >= 78)
        #expect(Set(linalgCases.map(\.name)) == Set(linalgTable.keys))
    }

    @Test("outputs and gradients equal PyTorch's", arguments: linalgCases)
    func matchesPyTorch(_ c: LinalgCase) throws {
        let f = try #require(linalgTable[c.name])
        let inputs = c.inputs.map { $0.tensor().requiringGrad() }
        let y = try GradusError.catching { f(inputs) }
        let float32 = c.output.dtype == "float32"
        let (rtol, atol) = float32 ? (1e-4, 1e-4) : (1e-9, 1e-9)
        #expect(y.dtype == c.output.tensor().dtype)
        if let m = mismatch(y, c.output.tensor(), rtol: rtol, atol: atol) { Issue.record("\(c.name) output: \(m)") }
        guard let expected = c.gradients else { return }
        let weights = Tensor(shape: y.shape, values: (0..<y.count).map { Double($0 % 7 + 1) / 4 }, dtype: y.dtype)
        try GradusError.catching { (y * weights).sum().backward() }
        for (i, (x, e)) in zip(inputs, expected).enumerated() {
            let g = try #require(x.grad, "\(c.name): no gradient for input \(i)")
            if let m = mismatch(g, e.tensor(), rtol: rtol * 10, atol: atol * 10) { Issue.record("\(c.name) gradient \(i): \(m)") }
        }
    }

    /// Left to PyTorch's gradients alone: slogdet_huge has an entry of 1e-10, smaller than any
    /// finite-difference step; cholesky_reads_lower and eigh_direct differentiate with respect to a matrix
    /// of which only the lower triangle is read, where PyTorch's convention (which Gradus follows) gives
    /// the symmetric gradient rather than zeros above the diagonal. Their other cases build the symmetric
    /// matrix from an unconstrained one, where both conventions agree.
    static let finiteDifferenceExceptions: Set<String> = ["slogdet_huge", "cholesky_reads_lower", "eigh_direct"]

    @Test("Float64 gradients equal finite differences",
          arguments: linalgCases.filter { $0.gradients != nil && !finiteDifferenceExceptions.contains($0.name) })
    func gradCheck(_ c: LinalgCase) throws {
        let f = try #require(linalgTable[c.name])
        let report = GradCheck.check(inputs: c.inputs.map { $0.tensor(.float64) }, epsilon: 1e-6, absoluteTolerance: 1e-5,
                                     relativeTolerance: 1e-4, f)
        #expect(report.passed, "\(c.name): \(report)")
    }

    @Test("second derivatives (createGraph) equal finite differences of the first")
    func secondOrder() throws {
        var g = SeededGenerator(seed: 4)
        let a = Tensor.normal([3, 3], dtype: .float64, generator: &g) + Tensor.eye(3, dtype: .float64) * 3
        let b = Tensor.normal([3], dtype: .float64, generator: &g)
        let first: [(String, ([Tensor]) -> Tensor)] = [
            ("inv", { Linalg.inv($0[0]) }), ("det", { Linalg.det($0[0]) }), ("slogdet", { Linalg.slogdet($0[0]).logAbsDet }),
            ("solve", { Linalg.solve($0[0], b) }), ("cholesky", { Linalg.cholesky(spd($0[0])) }),
            ("eigh", { eighFeatures(Linalg.eigh(sym($0[0]))) }), ("svd", { svdFeatures(Linalg.svd($0[0], fullMatrices: false)) }),
        ]
        for (name, f) in first {
            // The gradient of sum(f · w) is itself a function of A; check it against finite differences.
            let gradient: ([Tensor]) -> Tensor = { xs in
                GradMode.with(enabled: true) {   // GradCheck evaluates the function without gradients too
                    let x = xs[0].requiresGrad ? xs[0] : xs[0].requiringGrad()
                    let y = f([x])
                    let w = Tensor(shape: y.shape, values: (0..<y.count).map { Double($0 % 5 + 1) }, dtype: .float64)
                    return Autograd.gradients(of: (y * w).sum(), wrt: [x], createGraph: true)[0]
                }
            }
            let report = GradCheck.check(inputs: [a], epsilon: 1e-6, absoluteTolerance: 1e-4, relativeTolerance: 1e-3, gradient)
            #expect(report.passed, "\(name): \(report)")
        }
    }

    @Test("no graph outlives its tensors: every operation's result is freed with its last reference")
    func graphsAreFreed() {
        let ops: [(String, (Tensor) -> Tensor)] = [
            ("inv", { Linalg.inv($0) }), ("det", { Linalg.det($0) }), ("slogdet sign", { Linalg.slogdet($0).sign }),
            ("slogdet", { Linalg.slogdet($0).logAbsDet }), ("solve", { Linalg.solve($0, $0) }),
            ("cholesky", { Linalg.cholesky(spd($0)) }), ("eigh", { Linalg.eigh(sym($0)).eigenvectors }),
            ("svd", { Linalg.svd($0).u }), ("qr", { Linalg.qr($0).r }), ("pinv", { Linalg.pinv($0) }),
        ]
        for (name, f) in ops {
            weak var weakResult: Tensor?
            weak var weakInput: Tensor?
            do {
                let a = (Tensor.eye(3, dtype: .float64) * 2 + 0.5).requiringGrad()
                weakInput = a
                let y = f(a)
                weakResult = y
                #expect(y.requiresGrad || name == "slogdet sign", "\(name)")
            }
            #expect(weakResult == nil && weakInput == nil, "\(name): the graph keeps its tensors alive")
        }
    }

    @Test("huge or empty batches are refused or answered from the shapes, before anything is allocated")
    func hugeBatches() {
        #expect(failure { Linalg.svd(Tensor.zeros([100_000, 0])) } != nil)   // U would be 100,000 × 100,000
        #expect(failure { Linalg.det(Tensor.zeros([1 << 40, 0, 0])) }?.kind == .outOfMemory)
        #expect(Linalg.inv(Tensor.zeros([1 << 40, 0, 0])).shape == [1 << 40, 0, 0])
        #expect(Linalg.cholesky(Tensor.zeros([1 << 40, 0, 0])).shape == [1 << 40, 0, 0])
        #expect(Linalg.solve(Tensor.zeros([1 << 40, 0, 0]), Tensor.zeros([1 << 40, 0, 2])).shape == [1 << 40, 0, 2])
    }

    @Test("det's gradient is NaN for a matrix holding NaN, and the cofactors where a batch mixes singular and invertible matrices")
    func determinantGradientEdges() throws {
        let x = Tensor([[1.0, .nan], [2.0, 1.0]], dtype: .float64).requiringGrad()
        try GradusError.catching { Linalg.det(x).backward() }
        #expect(try #require(x.grad).scalars(as: Double.self).allSatisfy(\.isNaN))
        let mixed = Tensor.stack([Tensor([[1.0, 2.0], [2.0, 4.0]], dtype: .float64), Tensor([[2.0, 1.0], [0.5, 3.0]], dtype: .float64)])
        let report = GradCheck.check(inputs: [mixed]) { Linalg.det($0[0]) }
        #expect(report.passed, "\(report)")
    }

    @Test("refusals name the operation and the matrix; empty matrices follow PyTorch")
    func refusalsAndEdges() throws {
        let singular = Tensor([[1.0, 2.0], [2.0, 4.0]])
        #expect(failure { Linalg.inv(singular) }?.message.contains("linalg.inv: the matrix is singular") == true)
        let batch = Tensor.stack([Tensor.eye(2), singular])
        #expect(failure { Linalg.inv(batch) }?.message.contains("at batch index [1]") == true)
        #expect(failure { Linalg.solve(singular, Tensor([1.0, 1.0])) }?.message.contains("singular") == true)
        #expect(failure { Linalg.cholesky(Tensor([[1.0, 2.0], [2.0, 1.0]])) }?.message.contains("leading minor of order 2") == true)
        #expect(failure { Linalg.eigh(Tensor([[1.0, .nan], [.nan, 1.0]])) }?.kind == .nonFinite)
        #expect(failure { Linalg.svd(Tensor([[1.0, .infinity]])) }?.kind == .nonFinite)
        #expect(failure { Linalg.inv(Tensor.zeros([2, 3])) }?.kind == .shapeMismatch)
        #expect(failure { Linalg.det(Tensor([1.0, 2.0])) }?.kind == .shapeMismatch)
        #expect(failure { Linalg.inv(Tensor(shape: [1, 1], integers: [2])) }?.kind == .dtypeMismatch)
        #expect(failure { Linalg.solve(Tensor.eye(2), Tensor([1.0, 2.0], dtype: .float64)) }?.kind == .dtypeMismatch)
        #expect(failure { Linalg.solve(Tensor.eye(2), Tensor.ones([3, 1])) }?.kind == .shapeMismatch)
        // PyTorch: det of 0×0 matrices is 1, slogdet (1, 0), inv keeps the empty shape, svd of [2, 0] has U = I₂.
        #expect(Linalg.det(Tensor.zeros([3, 0, 0])).scalars() == [1, 1, 1])
        let (sign, logAbs) = Linalg.slogdet(Tensor.zeros([0, 0]))
        #expect(sign.scalars() == [1] && logAbs.scalars() == [0])
        #expect(Linalg.inv(Tensor.zeros([3, 0, 0])).shape == [3, 0, 0])
        let (u, s, vh) = Linalg.svd(Tensor.zeros([2, 0]))
        #expect(u.scalars() == [1, 0, 0, 1] && s.shape == [0] && vh.shape == [0, 0])
        #expect(Linalg.eigh(Tensor.zeros([0, 0])).eigenvalues.shape == [0])
        // Backward passes PyTorch refuses: QR's complete mode of a tall matrix, mode r.
        let tall = Tensor.ones([3, 2], dtype: .float64).requiringGrad()
        #expect(failure { Linalg.qr(tall, mode: .complete).q.sum().backward() }?.kind == .autograd)
        #expect(failure { Linalg.qr(tall, mode: .r).r.sum().backward() }?.message.contains("mode r") == true)
        #expect(Linalg.qr(tall, mode: .r).q.shape == [0])
        #expect(failure { Linalg.pinv(Tensor.eye(2), rtol: -1) }?.kind == .invalidArgument)
        #expect(failure { Linalg.matrixNorm(Tensor.zeros([0, 3]), order: .spectral) }?.kind == .shapeMismatch)
        #expect(Linalg.matrixNorm(Tensor.zeros([0, 3])).scalars() == [0])
        #expect(Linalg.matrixRank(Tensor.zeros([2, 0, 3])).shape == [2] && Linalg.matrixRank(Tensor.zeros([2, 0, 3])).dtype == .int64)
        #expect(Linalg.cond(Tensor([[1.0, 0.0], [0.0, 0.0]])).scalars()[0] == .infinity)
        #expect(Linalg.cond(Tensor.zeros([2, 0, 3])).scalars() == [0, 0])
        #expect(failure { Linalg.multiDot([Tensor.eye(2)]) }?.kind == .invalidArgument)
        #expect(failure { Linalg.multiDot([Tensor.eye(2), Tensor.ones([3, 2])]) }?.kind == .shapeMismatch)
        #expect(failure { Linalg.matrixPower(Tensor.ones([2, 3]), 2) }?.kind == .shapeMismatch)
        #expect(failure { Linalg.matrixPower(Tensor(shape: [1, 1], integers: [2]), -1) }?.kind == .dtypeMismatch)
        #expect(Linalg.matrixPower(Tensor(shape: [2, 2], integers: [1, 1, 1, 0]), 10).intScalars == [89, 55, 55, 34])
        // NaN passes through det and inv as in PyTorch (no error, NaN results).
        #expect(Linalg.det(Tensor([[1.0, .nan], [2.0, 1.0]])).scalars()[0].isNaN)
        // The derivative of det at a singular matrix is its cofactor matrix (finite differences agree).
        let report = GradCheck.check(inputs: [singular]) { Linalg.det($0[0]) }
        #expect(report.passed, "\(report)")
        let x = singular.to(.float64).requiringGrad()
        Linalg.det(x).backward()
        #expect(mismatch(try #require(x.grad), Tensor([[4.0, -2.0], [-2.0, 1.0]], dtype: .float64), rtol: 1e-12, atol: 1e-12) == nil)
    }
}

/// The code of the LinearAlgebra article, as written there, with what it claims.
@Suite struct LinearAlgebraArticleTests {
    @Test("the article's examples run and give what it says")
    func examples() throws {
        let a = Tensor([[3.0, 1.0], [1.0, 2.0]])
        let x = Linalg.solve(a, Tensor([9.0, 8.0]))
        #expect(mismatch(x, Tensor([2.0, 3.0]), rtol: 1e-6, atol: 1e-6) == nil)
        let xs = Tensor([0.0, 1.0, 2.0, 3.0]), ys = Tensor([1.0, 3.1, 4.9, 7.0])
        let design = Tensor.stack([xs, Tensor.ones(like: xs)], axis: 1)
        let fit = Linalg.lstsq(design, ys)
        #expect(mismatch(fit, Tensor([1.98, 1.03]), rtol: 1e-4, atol: 1e-4) == nil)

        let factor = Tensor([[1.0, 0.0], [0.5, 1.2]]).requiringGrad()
        let sigma = factor.matmul(factor.mT) + Tensor.eye(2) * 0.1
        let residual = Tensor([0.3, -0.4])
        let l = Linalg.cholesky(sigma)
        let z = Linalg.solve(l, residual)
        let logDet = 2 * l.diagonal().log().sum()
        let negativeLogLikelihood = 0.5 * (z.square().sum() + logDet)
        negativeLogLikelihood.backward()
        // The same quantity through the inverse and determinant directly.
        let direct = 0.5 * (residual.matmul(Linalg.inv(sigma)).matmul(residual) + Linalg.det(sigma).log())
        #expect(abs(negativeLogLikelihood.item(Double.self) - direct.item(Double.self)) < 1e-5)
        #expect(try #require(factor.grad).shape == [2, 2])

        let (values, _) = Linalg.eigh(Tensor([[2.0, 1.0], [1.0, 2.0]]))
        #expect(mismatch(values, Tensor([1.0, 3.0]), rtol: 1e-6, atol: 1e-6) == nil)
        let (u, s, vh) = Linalg.svd(Tensor([[3.0, 0.0], [4.0, 5.0]]), fullMatrices: false)
        #expect(mismatch((u * s.unsqueeze(-2)).matmul(vh), Tensor([[3.0, 0.0], [4.0, 5.0]]), rtol: 1e-5, atol: 1e-5) == nil)
        let (q, r) = Linalg.qr(Tensor([[3.0, 1.0], [4.0, 2.0]]))
        #expect(mismatch(q.matmul(r), Tensor([[3.0, 1.0], [4.0, 2.0]]), rtol: 1e-5, atol: 1e-5) == nil)
        let spectralNorm = Linalg.matrixNorm(Tensor([[3.0, 0.0], [4.0, 5.0]]), order: .spectral)
        #expect(abs(spectralNorm.item(Double.self) - 45.0.squareRoot()) < 1e-4)   // singular values √45, √5
    }
}
