import Gradus
import GradusTestSupport
import Testing

/// bincount, integer scatter/index additions and squares, and the NaN-ignoring ops away from NaN
/// (their NaN behaviour is in the PyTorch fixtures of nonfinite.json).
@Suite("bincount, integer accumulation, fmax/fmin and nansum/nanmean")
struct CountingAndNaNOpsTests {
    @Test("bincount counts, weighs, pads to minLength and refuses what PyTorch refuses")
    func bincount() throws {
        // PyTorch: bincount([0,1,1,3]) = [1,2,0,1]; minlength=6 → [1,2,0,1,0,0]; empty → [].
        let x = Tensor(labels: [0, 1, 1, 3])
        #expect(x.bincount().intScalars == [1, 2, 0, 1] && x.bincount().dtype == .int64)
        #expect(x.bincount(minLength: 6).intScalars == [1, 2, 0, 1, 0, 0])
        #expect(Tensor(shape: [0], integers: []).bincount().shape == [0])
        let w = Tensor([0.5, 1.0, 1.0, 2.0], dtype: .float64).requiringGrad()
        let weighted = x.bincount(weights: w)
        #expect(weighted.scalars(as: Double.self) == [0.5, 2.0, 0.0, 2.0] && weighted.dtype == .float64)
        (weighted * Tensor([1.0, 10.0, 100.0, 1000.0], dtype: .float64)).sum().backward()
        #expect(try #require(w.grad).scalars(as: Double.self) == [1, 10, 10, 1000])
        #expect(failure { Tensor(labels: [-1]).bincount() }?.kind == .indexOutOfRange)
        #expect(failure { Tensor([1.0]).bincount() }?.kind == .shapeMismatch)
        #expect(failure { Tensor(shape: [1, 1], integers: [1]).bincount() } != nil)
        #expect(failure { x.bincount(weights: Tensor([1.0])) }?.kind == .shapeMismatch)
        #expect(failure { Tensor(labels: [Int.max / 2]).bincount() } != nil, "a length no memory holds is an error")
        #expect(failure { Tensor(labels: [Int.max]).bincount() }?.kind == .indexOutOfRange, "the largest value + 1 must not overflow")
    }

    @Test("scatterAdd and indexAdd count in int64; square keeps int64")
    func integerAccumulation() {
        // PyTorch: zeros(3, long).scatter_add(0, [0,2,2], ones) = [1, 0, 2]; square([2, 3]) = [4, 9].
        let counts = Tensor.zeros([3], dtype: .int64).scatterAdd(axis: 0, index: Tensor(labels: [0, 2, 2]), source: Tensor.ones([3], dtype: .int64))
        #expect(counts.intScalars == [1, 0, 2] && counts.dtype == .int64)
        let added = Tensor.zeros([2, 2], dtype: .int64).indexAdd(axis: 1, index: Tensor(labels: [1, 1]),
                                                                 source: Tensor(shape: [2, 2], integers: [1, 2, 3, 4]))
        #expect(added.intScalars == [0, 3, 0, 7])
        #expect(Tensor(labels: [2, -3]).square().intScalars == [4, 9] && Tensor(labels: [2]).square().dtype == .int64)
        #expect(failure { Tensor.zeros([3]).indexAdd(axis: 0, index: Tensor(labels: [0]), source: Tensor.ones([1], dtype: .float64)) }?.kind == .dtypeMismatch)
    }

    @Test("fmax, fmin, nansum, nanmean and the corrected variance pass a Float64 gradient check away from NaN and ties")
    func gradientChecks() {
        var rng = SeededGenerator(seed: 12)
        let a = Tensor.normal([3, 4], dtype: .float64, generator: &rng), b = Tensor.normal([3, 4], dtype: .float64, generator: &rng)
        for (name, f) in [("fmax", { (t: [Tensor]) in t[0].fmax(t[1]) }), ("fmin", { (t: [Tensor]) in t[0].fmin(t[1]) }),
                          ("nansum", { (t: [Tensor]) in t[0].nansum(axes: [1]) * t[1].sum() }),
                          ("nanmean", { (t: [Tensor]) in t[0].nanmean(axes: [0]) + t[1].nanmean() }),
                          ("variance correction 3", { (t: [Tensor]) in t[0].variance(axes: [1], correction: 3) + t[1].std(correction: -1) })] {
            let result = GradCheck.check(inputs: [a, b], f)
            #expect(result.passed, "\(name):\n\(result)")
        }
        // Values: NaN skipped, the corrected divisor.
        #expect(Tensor([1.0, .nan, 2.0]).nansum().item(Double.self) == 3)
        #expect(Tensor([1.0, .nan, 2.0]).nanmean().item(Double.self) == 1.5)
        #expect(Tensor([1.0, 2, 3, 4], dtype: .float64).variance(correction: 0).item(Double.self) == 1.25)   // PyTorch 1.25
        #expect(Tensor([1.0, 2, 3, 4], dtype: .float64).variance(correction: 2).item(Double.self) == 2.5)    // PyTorch 2.5
        #expect(Tensor([1.0, 2, 3, 4]).std(correction: 5).item(Double.self).isInfinite)                      // PyTorch inf
        #expect(failure { Tensor([1.0]).variance(correction: .nan) } != nil)
        #expect(failure { Tensor(labels: [1]).nanmean() }?.kind == .dtypeMismatch)
        #expect(Tensor(labels: [1, 2]).nansum().intScalars == [3])
    }
}
