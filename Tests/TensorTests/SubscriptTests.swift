import Foundation
import Gradus
import GradusTestSupport
import Testing

/// A tensor of tensor/indexing.json: int64 values are written as strings (JSON numbers are doubles).
struct IndexingTensor: Decodable, Sendable {
    let shape: [Int]
    let dtype: String
    let tensor: Tensor

    private enum Keys: String, CodingKey { case shape, dtype, data }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        shape = try c.decode([Int].self, forKey: .shape)
        dtype = try c.decode(String.self, forKey: .dtype)
        if dtype == "int64" {
            let values = try c.decode([String].self, forKey: .data).map { Int($0)! }
            tensor = Tensor(shape: shape, integers: values)
        } else {
            tensor = Tensor(shape: shape, values: try c.decode([Double].self, forKey: .data), dtype: DType(rawValue: dtype)!)
        }
    }
}

/// A case of tensor/indexing.json (scripts/make_indexing_fixtures.py).
struct IndexingCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let kind: String
    let input: IndexingTensor
    let error: Bool
    let output: IndexingTensor?
    let upstream: IndexingTensor?
    let grad: IndexingTensor?
    var testDescription: String { name }
}

private struct IndexingFile: Decodable { let cases: [IndexingCase] }

let indexingCases: [IndexingCase] = (try? Fixtures.decode(IndexingFile.self, "tensor/indexing.json").cases) ?? []

private func index(_ values: Int...) -> Tensor { Tensor(shape: [values.count], integers: values) }

/// The subscripts of the fixture's `get` cases, as Gradus writes them.
let subscriptGets: [String: @Sendable (Tensor) -> Tensor] = [
    "int": { $0[1] },
    "negative_int": { $0[-1, -2] },
    "ints_all_dims": { $0[1, 2, 3] },
    "range": { $0[.all, 1..<3] },
    "step": { $0[.ellipsis, .slice(step: 2)] },
    "start_step": { $0[.all, .slice(1, nil, step: 2), 1...] },
    "negative_bounds": { $0[.all, (-2)..., ..<(-1)] },
    "clipped_bounds": { $0[0, 1..<100, .slice(-100, 2)] },
    "empty_range": { $0[.all, .slice(2, 1)] },
    "new_axis": { $0[.all, .newAxis, 1] },
    "new_axis_end": { $0[.ellipsis, .newAxis] },
    "ellipsis_middle": { $0[0, .ellipsis, 1] },
    "ellipsis_nothing": { $0[1, 2, .ellipsis, 3] },
    "index_first": { $0[index(1, 0, 1)] },
    "index_middle": { $0[.all, index(2, 0)] },
    "index_2d": { $0[.all, index(2, 0, 1, 1).reshape([2, 2])] },
    "index_negative": { $0[.all, .all, index(-1, 0)] },
    "index_repeated": { $0[.all, index(1, 1, 1)] },
    "two_adjacent": { $0[.all, index(0, 2), index(1, 3)] },
    "two_broadcast": { $0[.all, index(0, 2).reshape([2, 1]), index(1, 2, 3)] },
    "two_separated": { $0[index(0, 1), .all, index(1, 2)] },
    "int_then_index": { $0[0, .all, index(1, 2)] },
    "index_then_int": { $0[.all, index(0, 1), .all, 0] },
    "separated_by_new_axis": { $0[index(0, 1), .newAxis, index(1, 2)] },
    "adjacent_after_new_axis": { $0[.all, .newAxis, index(0, 1), index(1, 2)] },
    "index_with_slice_after": { $0[index(1, 0), 1..., .slice(step: 2)] },
    "index_empty": { $0[.all, Tensor(shape: [0], integers: [])] },
    "mask": { $0[.mask($0.gt(2.0))] },
    "mask_rows": { $0[.all, .mask(Tensor([1.0, 0, 1]))] },
    "mask_2d_leading": { $0[.mask(Tensor(shape: [2, 3], values: [1, 0, 1, 0, 0, 1]))] },
    "mask_none": { $0[.mask($0.gt(100.0))] },
    "int64_index": { $0[index(2, 0), 1..<3] },
    "scalar_mask_false": { $0[.mask(Tensor(scalar: 0))] },
    "scalar_mask_true_then_int": { $0[.mask(Tensor(scalar: 1)), 0] },
    "scalar_mask_false_then_int": { $0[.mask(Tensor(scalar: 0)), 0] },
    "closed_range_to_last": { $0[.all, .all, (-3)...(-1)] },
    "too_many": { $0[0, 0, 0, 0] },
    "int_out_of_range": { $0[2] },
    "index_out_of_range": { $0[.all, index(0, 3)] },
    "index_negative_out_of_range": { $0[.all, index(-4)] },
    "indices_do_not_broadcast": { $0[index(0, 1), index(0, 1, 2)] },
    "mask_wrong_shape": { $0[.all, .mask(Tensor([1.0, 0]))] },
]

/// The assignments of the fixture's `set` cases: each changes its tensor in place.
let subscriptSets: [String: @Sendable (Tensor) -> Void] = [
    "set_int": { $0[1] = Tensor(scalar: 0.5, dtype: .float64) },
    "set_range_broadcast": { $0[.all, 1] = Tensor([1.0, 2, 3, 4], dtype: .float64) },
    "set_step": { $0[.ellipsis, .slice(step: 2)] = Tensor(scalar: -1) },
    "set_index": { $0[.all, index(2, 0)] = Tensor(shape: [2, 1], values: [9, 8], dtype: .float64) },
    "set_two_indices": { $0[index(0, 1), index(2, 0), index(3, 1)] = Tensor(shape: [2, 1], values: [-1, -2], dtype: .float64) },
    "set_mask": { x in x[.mask(x.gt(2.0))] = Tensor(scalar: 0) },
    "set_int64_exact": { $0[index(1), 2] = Tensor(shape: [], integers: [(1 << 62) + 1]) },
    "set_leading_ones": { $0[0] = Tensor.ones([1, 1, 3, 4], dtype: .float64) },
    "set_index_leading_ones": { $0[.all, index(2, 0)] = Tensor.full([1, 2, 1, 4], value: 3, dtype: .float64) },
    "set_shape_mismatch": { $0[.all, 1] = Tensor.ones([3], dtype: .float64) },
]

/// `x[i, j, …]` against PyTorch: values, shapes, gradients, assignments and refusals, and views that share
/// storage.
@Suite("Multi-dimensional subscripts")
struct SubscriptTests {
    @Test("the fixture file loads and every case has a Gradus subscript")
    func coverage() {
        #expect(indexingCases.count >= 40)
        for c in indexingCases {
            #expect((c.kind == "get" ? subscriptGets[c.name] != nil : subscriptSets[c.name] != nil), "no Gradus call for \(c.name)")
        }
    }

    @Test("values, shapes and gradients as PyTorch's; its refusals are errors", arguments: indexingCases)
    func matchesPyTorch(_ c: IndexingCase) throws {
        let x = c.input.tensor
        if c.kind == "get" {
            guard let call = subscriptGets[c.name] else { return }
            let input = x.dtype.isFloatingPoint ? x.requiringGrad() : x
            var result: Tensor?
            let failure: (any Error)? = { do { result = try GradusError.catching { call(input) }; return nil } catch { return error } }()
            if c.error {
                #expect(failure is GradusError, "\(c.name): PyTorch refuses, Gradus gave \(result?.shape ?? [])")
                return
            }
            #expect(failure == nil, "\(c.name): \(String(describing: failure))")
            guard let y = result, let expected = c.output?.tensor else { return }
            #expect(y.dtype == expected.dtype, "\(c.name): dtype \(y.dtype)")
            if y.dtype == .int64 {
                #expect(y.shape == expected.shape && y.intScalars == expected.intScalars, "\(c.name)")
            } else {
                #expect(mismatch(y, expected, rtol: 0, atol: 0) == nil, "\(c.name): \(mismatch(y, expected) ?? "")")
            }
            if let up = c.upstream?.tensor, let grad = c.grad?.tensor {
                (y * up).sum().backward()
                let g = try #require(input.grad, "\(c.name): no gradient")
                #expect(mismatch(g, grad, rtol: 1e-12, atol: 1e-12) == nil, "\(c.name): gradient \(mismatch(g, grad) ?? "")")
            }
        } else {
            guard let call = subscriptSets[c.name] else { return }
            let y = x.clone()
            let failure: (any Error)? = { do { try GradusError.catching { call(y) }; return nil } catch { return error } }()
            if c.error {
                #expect(failure is GradusError, "\(c.name): PyTorch refuses")
                #expect(y.scalars(as: Double.self) == x.scalars(as: Double.self), "\(c.name): changed despite the error")
                return
            }
            #expect(failure == nil, "\(c.name): \(String(describing: failure))")
            guard let expected = c.output?.tensor else { return }
            if y.dtype == .int64 {
                #expect(y.intScalars == expected.intScalars, "\(c.name): \(y.intScalars)")
            } else {
                #expect(mismatch(y, expected, rtol: 0, atol: 0) == nil, "\(c.name): \(mismatch(y, expected) ?? "")")
            }
        }
    }

    @Test("basic indexing gives views that share storage; advanced indexing gives copies")
    func viewsAndCopies() {
        let x = Tensor.arange(0, 12).reshape([3, 4])
        let column = x[.all, 1]
        GradMode.noGrad { _ = column.fillInPlace(-1) }
        #expect(x.scalars() == [0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11])
        let picked = x[Tensor(labels: [0, 2])]
        GradMode.noGrad { _ = picked.zeroInPlace() }
        #expect(x.sum().item() == 66 - 3 - 1 - 5 - 9)   // unchanged by writing into the copy
        // The older one-entry subscripts are settable too, and agree with the general one.
        x[0] = Tensor(scalar: 7)
        x[1..<2] = Tensor([1.0, 2, 3, 4])
        #expect(x[0].scalars() == [7, 7, 7, 7] && x[1].scalars() == [1, 2, 3, 4])
        #expect(x.indexed([.all, .at(3)]).scalars() == x[.all, 3].scalars())
    }

    @Test("assigning into a leaf that requires gradients is refused while recording, allowed under noGrad")
    func assignmentRules() throws {
        let w = Tensor.zeros([2, 3]).requiringGrad()
        #expect(throws: GradusError.self) { try GradusError.catching { w[0, 1] = Tensor(scalar: 1) } }
        #expect(w.sum().item() == 0)
        GradMode.noGrad { w[0, 1] = Tensor(scalar: 1) }
        #expect(w.scalars() == [0, 1, 0, 0, 0, 0])
        // A float value into an int64 tensor is refused, as PyTorch's copy of a float into Long is not.
        let labels = Tensor(labels: [1, 2, 3])
        #expect(throws: GradusError.self) { try GradusError.catching { labels[.mask(Tensor([1.0, 0, 0]))] = Tensor(scalar: 0.5) } }
        #expect(labels.intScalars == [1, 2, 3])
    }

    @Test("Float64 gradient checks through basic and advanced indexing")
    func gradientChecks() {
        var rng = SeededGenerator(seed: 12)
        let x = Tensor.normal([3, 4, 2], dtype: .float64, generator: &rng)
        for op in [
            { (t: [Tensor]) in t[0][.all, 1..., 0] },
            { (t: [Tensor]) in t[0][Tensor(labels: [2, 0, 2]), .all, Tensor(labels: [1, 0, 1])] },
            { (t: [Tensor]) in t[0][.mask(t[0].detach().gt(0.0))] },
        ] as [@Sendable ([Tensor]) -> Tensor] {
            #expect(GradCheck.check(inputs: [x], op).passed)
        }
    }

    @Test("diagonal is a view; huge index, padding, resizing and repeat tables are errors before they are built")
    func diagonalViewAndHugeTables() {
        let m = Tensor.arange(0, 9).reshape([3, 3])
        GradMode.noGrad { _ = m.diagonal().fillInPlace(-1) }
        #expect(m.scalars() == [-1, 1, 2, 3, -1, 5, 6, 7, -1])
        #expect(m.diagonal(offset: 1).sharesStorage(with: m) && m.diagonal(offset: -2).scalars() == [6])
        // Of a transposed view and of a batch, with offsets: values and Float64 gradients.
        let t = Tensor.arange(0, 12).reshape([3, 4]).t
        #expect(t.diagonal(offset: 1).scalars() == [4, 9] && t.diagonal(offset: -1).scalars() == [1, 6, 11])
        var rng = SeededGenerator(seed: 21)
        let batch = Tensor.normal([2, 3, 4], dtype: .float64, generator: &rng)
        for op in [{ (x: [Tensor]) in x[0].diagonal(offset: 1) * x[0].diagonal(offset: -1).sum() },
                   { (x: [Tensor]) in x[0].transpose(1, 2).diagonal(offset: -1).square() }] as [@Sendable ([Tensor]) -> Tensor] {
            #expect(GradCheck.check(inputs: [batch], op).passed)
        }
        func failure(_ body: () -> Tensor) -> GradusError? {
            do { _ = try GradusError.catching(body); return nil } catch { return error as? GradusError }
        }
        let big = Tensor.zeros([2, 2])
        #expect(failure { big[Tensor.zeros([1 << 20, 1], dtype: .int64), Tensor.zeros([1, 1 << 20], dtype: .int64)] }?.kind == .outOfMemory)
        #expect(failure { Tensor.zeros([1, 3]).pad([Int.min, -4], mode: .reflect) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.zeros([1, 3]).pad([1 << 40, 0], mode: .replicate) }?.kind == .outOfMemory)
        #expect(failure { Functional.interpolate(Tensor.zeros([1, 1, 1, 1]), size: [1 << 24, 1 << 24]) }?.kind == .outOfMemory)
        #expect(failure { Functional.interpolate(Tensor.zeros([1, 1, 1, 1 << 20]), size: [1 << 24, 1]) }?.kind == .outOfMemory)
        #expect(failure { Tensor.zeros([1, 0]).repeatInterleave([1 << 40], axis: 0) }?.kind == .outOfMemory)
        #expect(failure { Tensor.zeros([1 << 40]) }?.kind == .outOfMemory)
    }

    @Test("nonzero and maskedSelect, as PyTorch's")
    func nonzeroAndMaskedSelect() {
        let m = Tensor(shape: [2, 3], values: [0, 1, 0, 2, 0, -1])
        #expect(m.nonzero().shape == [3, 2] && m.nonzero().intScalars == [0, 1, 1, 0, 1, 2])
        #expect(Tensor.zeros([2, 2]).nonzero().shape == [0, 2])
        #expect(Tensor(scalar: 3).nonzero().shape == [1, 0])
        let x = Tensor.arange(0, 6).reshape([2, 3]).requiringGrad()
        let picked = x.maskedSelect(Tensor([1.0, 0, 1]))   // broadcast over the rows
        #expect(picked.scalars() == [0, 2, 3, 5])
        picked.sum().backward()
        #expect(x.grad?.scalars() == [1, 0, 1, 1, 0, 1])
    }

    @Test("the code of the DocC article \"Indexing tensors\", run as written")
    func article() {
        let x = Tensor.arange(0, 24).reshape([2, 3, 4])
        let row = x[0, 1]
        let evenColumns = x[.ellipsis, .slice(step: 2)]
        let picked = x[.all, Tensor(labels: [2, 0])]
        let large = x[.mask(x.gt(20.0))]
        #expect(row.scalars() == [4, 5, 6, 7] && row.sharesStorage(with: x))
        #expect(evenColumns.shape == [2, 3, 2] && picked.shape == [2, 2, 4] && large.scalars() == [21, 22, 23])
        let y = Tensor.arange(0, 120).reshape([2, 3, 4, 5])
        let pairs = y[.all, Tensor(labels: [0, 2]), Tensor(labels: [1, 3])]
        let apart = y[Tensor(labels: [0, 1]), .all, Tensor(labels: [1, 2])]
        #expect(pairs.shape == [2, 2, 5] && apart.shape == [2, 3, 5])
        let w = Tensor.zeros([3, 4])
        w[0] = Tensor(scalar: 1)
        w[.all, 1...2] = Tensor([5.0, 6.0])
        w[.mask(w.gt(5.0))] = Tensor(scalar: -1)
        #expect(w.scalars() == [1, 5, -1, 1, 0, 5, -1, 0, 0, 5, -1, 0])
        let v = Tensor([1.0, 2.0, 3.0]).requiringGrad()
        v[Tensor(labels: [0, 0, 2])].sum().backward()
        #expect(v.grad!.scalars() == [2, 0, 1])
    }
}
