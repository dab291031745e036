import Gradus
import GradusTestSupport
import Testing

/// Edges where Gradus followed a different rule than PyTorch 2.15 (values in the comments are PyTorch's,
/// one thread): interpolation at weight 1, clamping with a NaN bound or none, argmax over all elements
/// with kept dimensions, uniform draws at the excluded bound.
@Suite("Op edges as PyTorch: lerp at the far end, clamp bounds, argmax keepDims, uniform's open bound")
struct OpEdgeParityTests {
    @Test("lerp reaches the end exactly at weight 1, from a scalar or a tensor weight")
    func lerpEnds() {
        // PyTorch: lerp([1e8], [1.0], 1.0) = 1.0 (self + 1·(end − self) gives 0 in Float32).
        let start = Tensor([1e8, 3.0]), end = Tensor([1.0, 0.1])
        #expect(start.lerp(end, weight: 1.0).scalars(as: Float.self) == [1.0, Float(0.1)])
        #expect(start.lerp(end, weight: Tensor([1.0, 1.0])).scalars(as: Float.self) == [1.0, Float(0.1)])
        #expect(start.lerp(end, weight: 0.0).scalars(as: Float.self) == [1e8, 3.0])
        // Weights on both sides of 0.5 (and negative, and above 1) against the Float64 formula.
        let a = Tensor([0.25, -2.0, 7.5], dtype: .float64), b = Tensor([4.0, 1.0, -0.5], dtype: .float64)
        for w in [-0.75, 0.2, 0.5, 0.7, 1.5] {
            let want = zip(a.scalars(as: Double.self), b.scalars(as: Double.self)).map { $0 + w * ($1 - $0) }
            let got = a.lerp(b, weight: w).scalars(as: Double.self)
            let gotTensor = a.lerp(b, weight: Tensor([w, w, w], dtype: .float64)).scalars(as: Double.self)
            for (x, y) in zip(got, want) { #expect(abs(x - y) < 1e-12, "weight \(w)") }
            #expect(got == gotTensor, "weight \(w): scalar and tensor weights take the same branch")
        }
        // Gradients are those of the formula on either branch: (1 − w) for self, w for end, end − self for w.
        let s = Tensor([2.0, 2.0], dtype: .float64).requiringGrad(), e = Tensor([5.0, 5.0], dtype: .float64).requiringGrad()
        let w = Tensor([0.25, 0.75], dtype: .float64).requiringGrad()
        s.lerp(e, weight: w).sum().backward()
        #expect(s.grad!.scalars(as: Double.self) == [0.75, 0.25])
        #expect(e.grad!.scalars(as: Double.self) == [0.25, 0.75])
        #expect(w.grad!.scalars(as: Double.self) == [3, 3])
    }

    @Test("clamp: a NaN bound gives NaN everywhere; no bound at all is an error")
    func clampBounds() {
        // PyTorch: clamp([1, 2], min=nan) = [nan, nan]; clamp() raises.
        let x = Tensor([1.0, 2.0])
        #expect(x.clamp(min: .nan).scalars(as: Float.self).allSatisfy { $0.isNaN })
        #expect(x.clamp(max: .nan).scalars(as: Float.self).allSatisfy { $0.isNaN })
        #expect(x.clamp(min: 0, max: .nan).scalars(as: Float.self).allSatisfy { $0.isNaN })
        #expect(failure { x.clamp() }?.message.contains("give min, max or both") == true)
        #expect(failure { Tensor(labels: [1, 5]).clamp(min: nil as Int?, max: nil) }?.message.contains("give min, max or both") == true)
        #expect(x.clamp(min: 1.5).scalars(as: Float.self) == [1.5, 2.0])
    }

    @Test("argmax and argmin over all elements keep every dimension as 1 with keepDims")
    func argmaxKeepDims() {
        // PyTorch: argmax(x2d, keepdim=True) has shape (1, 1).
        let x = Tensor([[1.0, 9.0, 3.0], [4.0, 5.0, -6.0]])
        #expect(x.argmax(keepDims: true).shape == [1, 1])
        #expect(x.argmax(keepDims: true).intScalars == [1])
        #expect(x.argmin(keepDims: true).intScalars == [5])
        #expect(x.argmax().shape == [])
        #expect(Tensor.ones([2, 1, 3]).argmin(keepDims: true).shape == [1, 1, 1])
    }

    @Test("uniform never returns its excluded upper bound, in Float32 or Float64")
    func uniformOpenBound() {
        // Float32 keeps 24 of the 53 drawn bits: about one draw in 2^25 rounded up to `high` before.
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.uniform([1 << 22], low: -0.5, high: 0.5, generator: &rng)
        let values = x.scalars(as: Float.self)
        #expect(values.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
        // Bounds the draw cannot reach without rounding: a range whose every value rounds to `high`.
        var one = SeededGenerator(seed: 4)
        let narrow = Tensor.uniform([1000], low: 1, high: 1 + 1e-9, generator: &one).scalars(as: Float.self)
        #expect(narrow.allSatisfy { $0 == 1 }, "a range below one Float32 step gives low, never high")
        var two = SeededGenerator(seed: 4)
        let wide = Tensor.uniform([1000], low: 1e16, high: 1e16 + 3, dtype: .float64, generator: &two).scalars(as: Double.self)
        #expect(wide.allSatisfy { $0 >= 1e16 && $0 < 1e16 + 3 })
        // The same seed still gives the same values (the stream is unchanged).
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        #expect(Tensor.uniform([64], generator: &a).scalars(as: Float.self) == Tensor.uniform([64], generator: &b).scalars(as: Float.self))
    }
}
