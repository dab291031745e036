import Gradus
import Testing

/// Integer tensors, dtype promotion (PyTorch's rules) and Swift numbers of any type beside tensors.
/// Every expected value is written out by hand.
@Suite("Dtypes: int64 tensors, promotion, Swift numbers")
struct DTypeTests {
    func kind(_ body: () -> Tensor) -> GradusError.Kind? {
        do { _ = try GradusError.catching(body); return nil } catch { return (error as? GradusError)?.kind }
    }

    // MARK: The accuracy idiom

    @Test("(logits.argmax(axis: 1) .== y).sum() counts as int64; .mean() gives the fraction in float32")
    func accuracyIdiom() {
        let logits = Tensor([[0.1, 0.9, 0.0],     // predicts 1, label 1: right
                             [0.8, 0.1, 0.1],     // predicts 0, label 0: right
                             [0.2, 0.3, 0.5],     // predicts 2, label 1: wrong
                             [0.0, 1.0, 0.0]])    // predicts 1, label 1: right
        let y = Tensor(labels: [1, 0, 1, 1])
        let correct = logits.argmax(axis: 1) .== y
        #expect(correct.dtype == .int64)
        #expect(correct.intScalars == [1, 1, 0, 1])
        let count = correct.sum()
        #expect(count.dtype == .int64 && count.shape == [])
        #expect(count.intScalars == [3])
        let accuracy = (logits.argmax(axis: 1) .== y).mean()
        #expect(accuracy.dtype == .float32 && accuracy.shape == [])
        #expect(accuracy.item(Float.self) == 0.75)
        // The method form, and labels held as floats: the mask is float32.
        #expect(logits.argmax(axis: 1).eq(y).intScalars == [1, 1, 0, 1])
        let floatMask = logits.argmax(axis: 1) .== y.to(.float32)
        #expect(floatMask.dtype == .float32 && floatMask.scalars() == [1, 1, 0, 1])
    }

    // MARK: int64 arithmetic

    @Test func int64Arithmetic() {
        let a = Tensor(shape: [4], integers: [5, -3, 0, 7])
        let b = Tensor(shape: [4], integers: [2, 4, -6, 7])
        let sum = a + b, difference = a - b, product = a * b
        #expect(sum.dtype == .int64 && sum.intScalars == [7, 1, -6, 14])
        #expect(difference.dtype == .int64 && difference.intScalars == [3, -7, 6, 0])
        #expect(product.dtype == .int64 && product.intScalars == [10, -12, 0, 49])
        #expect((-a).dtype == .int64 && (-a).intScalars == [-5, 3, 0, -7])
        #expect(a.abs().dtype == .int64 && a.abs().intScalars == [5, 3, 0, 7])
        #expect(a.sign().dtype == .int64 && a.sign().intScalars == [1, -1, 0, 1])
        // Broadcasting.
        let column = Tensor(shape: [2, 1], integers: [10, 20]), row = Tensor(shape: [3], integers: [1, 2, 3])
        let grid = column + row
        #expect(grid.shape == [2, 3] && grid.dtype == .int64 && grid.intScalars == [11, 12, 13, 21, 22, 23])
    }

    @Test("int64 / int64 is true division in float32, as in PyTorch")
    func int64TrueDivision() {
        let a = Tensor(shape: [4], integers: [5, -3, 7, 1])
        let b = Tensor(shape: [4], integers: [2, 4, 7, 0])
        let q = a / b
        #expect(q.dtype == .float32)
        #expect(q.scalars() == [2.5, -0.75, 1, .infinity])
        let halves = a / 2
        #expect(halves.dtype == .float32 && halves.scalars() == [2.5, -1.5, 3.5, 0.5])
        let inverse = 1 / Tensor(shape: [2], integers: [4, 0])
        #expect(inverse.dtype == .float32 && inverse.scalars() == [0.25, .infinity])
    }

    @Test("int64 with Swift numbers: integers keep int64, floating-point numbers give float32")
    func int64WithSwiftNumbers() {
        let a = Tensor(shape: [3], integers: [4, -1, 0])
        let twice = a * 2
        #expect(twice.dtype == .int64 && twice.intScalars == [8, -2, 0])
        let k = 3
        #expect((a * k).dtype == .int64 && (a * k).intScalars == [12, -3, 0])
        #expect((a + 1).intScalars == [5, 0, 1])
        #expect((10 - a).dtype == .int64 && (10 - a).intScalars == [6, 11, 10])
        #expect((a - Int32(1)).dtype == .int64 && (a - Int32(1)).intScalars == [3, -2, -1])
        #expect((a + UInt8(1)).dtype == .int64 && (a + UInt8(1)).intScalars == [5, 0, 1])
        let scaled = a * 2.5
        #expect(scaled.dtype == .float32 && scaled.scalars() == [10, -2.5, 0])
        let shifted = a + Float(0.5)
        #expect(shifted.dtype == .float32 && shifted.scalars() == [4.5, -0.5, 0.5])
        // An integer that int64 cannot hold is an error for an int64 tensor, a number for a float one.
        #expect(kind { a * UInt64.max } == .invalidArgument)
        #expect((Tensor([1]) * UInt64.max).scalars() == [Float(UInt64.max)])
    }

    @Test("int64 extremes wrap around as in PyTorch")
    func int64Extremes() {
        let e = Tensor(shape: [3], integers: [Int.max, Int.min, -1])
        #expect((e + 1).intScalars == [Int.min, Int.min + 1, 0])
        #expect((-e).intScalars == [Int.min + 1, Int.min, 1])
        #expect(e.abs().intScalars == [Int.max, Int.min, 1])
        #expect((e * 2).intScalars == [-2, 0, -2])
        #expect(e.sum().intScalars == [-2])
        #expect(Tensor(shape: [2], integers: [Int.max, 1]).sum().intScalars == [Int.min])
        #expect(e.max().intScalars == [Int.max] && e.min().intScalars == [Int.min])
        #expect(e.argmax().intScalars == [0] && e.argmin().intScalars == [1])
        // Compared in int64, exactly: in float32 both of these would equal Int.max.
        let near = Tensor(shape: [2], integers: [Int.max, Int.max - 1])
        #expect((near .== Int.max).intScalars == [1, 0])
        #expect((near .< near.max()).intScalars == [0, 1])
    }

    // MARK: int64 reductions

    @Test func int64Reductions() {
        let m = Tensor(shape: [2, 3], integers: [1, 2, 3, 4, 5, 6])
        let total = m.sum()
        #expect(total.dtype == .int64 && total.shape == [] && total.intScalars == [21])
        #expect(m.sum(axes: [0]).intScalars == [5, 7, 9])
        let rows = m.sum(axes: [1], keepDims: true)
        #expect(rows.shape == [2, 1] && rows.dtype == .int64 && rows.intScalars == [6, 15])
        let mean = m.mean()
        #expect(mean.dtype == .float32 && mean.shape == [] && mean.item(Float.self) == 3.5)
        #expect(m.mean(axes: [1]).scalars() == [2, 5])
        #expect(m.mean(axes: [0]).scalars() == [2.5, 3.5, 4.5])
        let (values, indices) = m.max(axis: 1)
        #expect(values.dtype == .int64 && values.intScalars == [3, 6] && indices.intScalars == [2, 2])
        let (low, at) = m.min(axis: 0)
        #expect(low.intScalars == [1, 2, 3] && at.intScalars == [0, 0, 0])
        #expect(m.amax(axes: [0]).dtype == .int64 && m.amax(axes: [0]).intScalars == [4, 5, 6])
        #expect(m.amin(axes: [1]).intScalars == [1, 4])
        #expect(m.argmax().intScalars == [5])
        #expect(m.argmin(axis: 1).intScalars == [0, 0])
    }

    @Test("int64 reductions over no elements: sum 0, mean NaN, max an error")
    func int64EmptyReductions() {
        let empty = Tensor(shape: [0], integers: [])
        #expect(empty.sum().dtype == .int64 && empty.sum().intScalars == [0])
        #expect(empty.mean().dtype == .float32 && empty.mean().item(Float.self).isNaN)
        let noColumns = Tensor(shape: [2, 0], integers: [])
        #expect(noColumns.sum(axes: [1]).intScalars == [0, 0])
        #expect(kind { empty.max(axis: 0).values } == .shapeMismatch)
    }

    // MARK: Comparisons and where

    @Test("comparisons of int64 tensors give int64 masks; against floats, float masks")
    func int64Comparisons() {
        let a = Tensor(shape: [4], integers: [5, -3, 0, 7])
        let b = Tensor(shape: [4], integers: [2, 4, -6, 7])
        #expect((a .== b).dtype == .int64 && (a .== b).intScalars == [0, 0, 0, 1])
        #expect((a .!= b).intScalars == [1, 1, 1, 0])
        #expect((a .< b).intScalars == [0, 1, 0, 0])
        #expect((a .<= b).intScalars == [0, 1, 0, 1])
        #expect((a .> b).intScalars == [1, 0, 1, 0])
        #expect((a .>= b).intScalars == [1, 0, 1, 1])
        #expect(a.lt(b).intScalars == [0, 1, 0, 0] && a.ge(b).intScalars == [1, 0, 1, 1])
        #expect((a .> 0).dtype == .int64 && (a .> 0).intScalars == [1, 0, 0, 1])
        #expect((0 .< a).intScalars == [1, 0, 0, 1])
        #expect((a .>= 0).intScalars == [1, 0, 1, 1])
        #expect(a.gt(0).dtype == .int64 && a.le(0).intScalars == [0, 1, 1, 0])
        let half = a .> 0.5
        #expect(half.dtype == .float32 && half.scalars() == [1, 0, 0, 1])
        let mixed = a .== Tensor([5, -3.5, 0, 7])
        #expect(mixed.dtype == .float32 && mixed.scalars() == [1, 0, 1, 1])
    }

    @Test("where takes an int64 condition and int64 branches, and promotes the branches")
    func whereWithInt64() {
        let condition = Tensor(shape: [4], integers: [1, 0, 0, 2])
        let a = Tensor(shape: [4], integers: [5, -3, 0, 7])
        let b = Tensor(shape: [4], integers: [2, 4, -6, 9])
        let picked = Tensor.where(condition, a, b)
        #expect(picked.dtype == .int64 && picked.intScalars == [5, 4, -6, 7])
        let promoted = Tensor.where(condition, a, Tensor([0.5, 1.5, 2.5, 3.5]))
        #expect(promoted.dtype == .float32 && promoted.scalars() == [5, 1.5, 2.5, 7])
        // A float64 condition with a value float32 cannot hold still counts as true.
        let tiny = Tensor([1e-300, 0], dtype: .float64)
        #expect(Tensor.where(tiny, Tensor([1, 2]), Tensor([3, 4])).scalars() == [1, 4])
    }

    // MARK: Promotion

    @Test("promotion: float32 with float64 gives float64, int64 with a float gives the float")
    func promotion() {
        #expect(DType.promoted(.float32, .float64) == .float64)
        #expect(DType.promoted(.int64, .float32) == .float32)
        #expect(DType.promoted(.float64, .int64) == .float64)
        #expect(DType.promoted(.int64, .int64) == .int64)
        let x32 = Tensor([1, 2]), x64 = Tensor([3, 4], dtype: .float64), labels = Tensor(labels: [1, 2])
        let s = x32 + x64
        #expect(s.dtype == .float64 && s.scalars(as: Double.self) == [4, 6])
        #expect((x64 * x32).dtype == .float64 && (x64 * x32).scalars(as: Double.self) == [3, 8])
        #expect((x32 - x64).scalars(as: Double.self) == [-2, -2])
        #expect((x32 / x64).dtype == .float64)
        #expect((labels + x32).dtype == .float32 && (labels + x32).scalars() == [2, 4])
        #expect((labels * x64).dtype == .float64 && (labels * x64).scalars(as: Double.self) == [3, 8])
        #expect(x32.minimum(x64).dtype == .float64 && x32.minimum(x64).scalars(as: Double.self) == [1, 2])
        #expect(x64.maximum(labels).dtype == .float64 && x64.maximum(labels).scalars(as: Double.self) == [3, 4])
        #expect(Tensor([2, 3]).pow(Tensor(shape: [2], integers: [3, 2])).scalars() == [8, 9])
        #expect((x32 .< x64).dtype == .float64 && (x32 .< x64).scalars(as: Double.self) == [1, 1])
    }

    @Test("a rank-0 tensor decides the type only when its kind is higher (torch.result_type)")
    func zeroDimensionalPromotion() {
        let x32 = Tensor([1, 2]), scalar64 = Tensor(scalar: 0.5, dtype: .float64)
        #expect(Tensor.resultType(x32, scalar64) == .float32)
        #expect((x32 + scalar64).dtype == .float32 && (x32 + scalar64).scalars() == [1.5, 2.5])
        let labels = Tensor(labels: [1, 2])
        #expect(Tensor.resultType(labels, scalar64) == .float64)
        #expect((labels + scalar64).dtype == .float64 && (labels + scalar64).scalars(as: Double.self) == [1.5, 2.5])
        #expect(Tensor.resultType(Tensor(scalar: 1, dtype: .float64), Tensor(scalar: 1)) == .float64)
        #expect(Tensor.resultType(x32, Tensor([1], dtype: .float64)) == .float64)
    }

    @Test("int64 ** int64 stays int64, with PyTorch's rule for negative exponents")
    func integerPower() {
        let base = Tensor(shape: [5], integers: [2, 3, -1, 5, -1])
        let exponent = Tensor(shape: [5], integers: [10, 0, -3, -1, -2])
        let p = base.pow(exponent)
        #expect(p.dtype == .int64 && p.intScalars == [1024, 1, -1, 0, 1])
    }

    // MARK: Gradients across dtypes

    @Test("float32 * float64: each gradient comes back in its input's dtype")
    func mixedGradients() {
        let a = Tensor([1, 2]).requiringGrad()
        let b = Tensor([3, 4], dtype: .float64).requiringGrad()
        let y = (a * b).sum()
        #expect(y.dtype == .float64)
        y.backward()
        #expect(a.grad!.dtype == .float32 && a.grad!.scalars() == [3, 4])
        #expect(b.grad!.dtype == .float64 && b.grad!.scalars(as: Double.self) == [1, 2])
    }

    @Test("a broadcast float64 input gets its summed gradient in float64; a float32 one in float32")
    func mixedBroadcastGradients() {
        let a = Tensor([[1, 2], [3, 4]]).requiringGrad()
        let b = Tensor([10, 20], dtype: .float64).requiringGrad()
        (a * b).sum().backward()
        #expect(a.grad!.dtype == .float32 && a.grad!.shape == [2, 2] && a.grad!.scalars() == [10, 20, 10, 20])
        #expect(b.grad!.dtype == .float64 && b.grad!.shape == [2] && b.grad!.scalars(as: Double.self) == [4, 6])
    }

    @Test func mixedDivisionGradients() {
        let a = Tensor([1, 2]).requiringGrad()
        let b = Tensor([3, 4], dtype: .float64).requiringGrad()
        (a / b).sum().backward()
        // d/da = 1/b, computed in float64 and rounded to float32; d/db = -a/b².
        #expect(a.grad!.dtype == .float32 && a.grad!.scalars() == [Float(1.0 / 3.0), 0.25])
        #expect(b.grad!.dtype == .float64 && b.grad!.scalars(as: Double.self) == [-1.0 / 9.0, -0.125])
    }

    @Test func mixedWhereAndScalarTensorGradients() {
        let a = Tensor([1, 2, 3]).requiringGrad()
        let b = Tensor([4, 5, 6], dtype: .float64).requiringGrad()
        Tensor.where(Tensor(shape: [3], integers: [1, 0, 1]), a, b).sum().backward()
        #expect(a.grad!.dtype == .float32 && a.grad!.scalars() == [1, 0, 1])
        #expect(b.grad!.dtype == .float64 && b.grad!.scalars(as: Double.self) == [0, 1, 0])

        // A float64 rank-0 tensor beside float32: the result is float32, the scalar's gradient float64.
        let x = Tensor([1, 2]).requiringGrad()
        let s = Tensor(scalar: 2, dtype: .float64).requiringGrad()
        let y = x * s
        #expect(y.dtype == .float32)
        y.sum().backward()
        #expect(x.grad!.dtype == .float32 && x.grad!.scalars() == [2, 2])
        #expect(s.grad!.dtype == .float64 && s.grad!.shape == [] && s.grad!.scalars(as: Double.self) == [3])

        // int64 beside a float that requires gradients: the float gets its gradient, the int64 none.
        let w = Tensor([0.5, 1.5]).requiringGrad()
        (w * Tensor(labels: [3, 4])).sum().backward()
        #expect(w.grad!.dtype == .float32 && w.grad!.scalars() == [3, 4])
    }

    // MARK: Swift numbers of any type

    @Test("Swift numbers of any integer or floating-point type, on either side")
    func genericScalars() {
        let x = Tensor([1, 2, 4])
        let k = 3, n = 4
        #expect((x * Float(2)).dtype == .float32 && (x * Float(2)).scalars() == [2, 4, 8])
        #expect((x * k).scalars() == [3, 6, 12])
        #expect((2 * x).scalars() == [2, 4, 8])
        #expect((x / n).scalars() == [0.25, 0.5, 1])
        #expect((x - Int32(1)).scalars() == [0, 1, 3])
        #expect((x + 0.5).scalars() == [1.5, 2.5, 4.5])
        #expect((x * 2).dtype == .float32 && (x * 2).scalars() == [2, 4, 8])
        #expect((Double(2) * x).scalars() == [2, 4, 8])
        #expect((Float(0.5) + x).scalars() == [1.5, 2.5, 4.5])
        #expect((UInt8(1) - x).scalars() == [0, -1, -3])
        #expect((8 / x).scalars() == [8, 4, 2])
        #expect((x / Int64(2)).scalars() == [0.5, 1, 2])
        // A Swift number does not change a floating-point tensor's dtype.
        let x64 = Tensor([1, 2], dtype: .float64)
        #expect((x64 * Float(2)).dtype == .float64 && (x64 * Float(2)).scalars(as: Double.self) == [2, 4])
        #expect((x64 + 1).dtype == .float64)
        // Literals: an integer literal keeps an int64 tensor int64, a floating-point literal does not.
        let labels = Tensor(labels: [3, 5])
        #expect((labels * 2).dtype == .int64 && (labels * 2).intScalars == [6, 10])
        #expect((labels + 0.5).dtype == .float32 && (labels + 0.5).scalars() == [3.5, 5.5])
        #expect((labels / 2).dtype == .float32 && (labels / 2).scalars() == [1.5, 2.5])
    }

    @Test("comparisons with Swift numbers of any type")
    func genericScalarComparisons() {
        let x = Tensor([1, 2, 4])
        #expect(x.gt(1).dtype == .float32 && x.gt(1).scalars() == [0, 1, 1])
        #expect((x .> 1).scalars() == [0, 1, 1])
        #expect((1 .< x).scalars() == [0, 1, 1])
        #expect((4 .<= x).scalars() == [0, 0, 1])
        #expect(x.gt(Float(1.5)).scalars() == [0, 1, 1])
        #expect(x.eq(UInt16(2)).scalars() == [0, 1, 0])
        #expect((x .!= 2.0).scalars() == [1, 0, 1])
        #expect(x.lt(Int8(2)).scalars() == [1, 0, 0] && x.le(2).scalars() == [1, 1, 0])
        #expect(x.ge(Double(2)).scalars() == [0, 1, 1])
    }

    @Test("gradients through operations with Swift numbers keep the tensor's dtype")
    func genericScalarGradients() {
        let x = Tensor([1, 2]).requiringGrad()
        (x * Float(3) + Int16(1)).sum().backward()
        #expect(x.grad!.dtype == .float32 && x.grad!.scalars() == [3, 3])
        let z = Tensor([2, 4], dtype: .float64).requiringGrad()
        (UInt8(8) / z).sum().backward()   // d/dz 8/z = -8/z²
        #expect(z.grad!.dtype == .float64 && z.grad!.scalars(as: Double.self) == [-2, -0.5])
    }

    // MARK: Floating-point behaviour kept

    @Test("abs clears the sign of -0.0; minimum and maximum propagate NaN")
    func floatingPointDetails() {
        #expect(Tensor([-0.0]).abs().scalars()[0].sign == .plus)
        let lo = Tensor([Double.nan, 1, 3]).minimum(Tensor([0, Double.nan, 2])).scalars()
        #expect(lo[0].isNaN && lo[1].isNaN && lo[2] == 2)
        let hi = Tensor([Double.nan, 1, 3]).maximum(Tensor([0, Double.nan, 2])).scalars()
        #expect(hi[0].isNaN && hi[1].isNaN && hi[2] == 3)
        // exp of int64 gives float32 (as PyTorch); softmax of int64 is refused (as PyTorch).
        #expect(Tensor(labels: [0, 2]).exp().dtype == .float32)
        #expect(kind { Tensor(labels: [1, 2]).softmax(axis: 0) } == .dtypeMismatch)
    }
}
