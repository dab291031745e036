import Foundation
import Gradus
import GradusTestSupport
import Testing

/// The error `body` records or throws inside a `GradusError.catching` scope; nil when it succeeds.
/// A classifier whose output is a scalar (no class axis).
private final class ScalarOutput: Module, Layer {
    func callAsFunction(_ input: Tensor) -> Tensor { input.sum() }
}

/// Arguments that can come from data (shapes, counts, values, equations, window parameters, file
/// headers): each is refused with a ``GradusError`` a caller can catch — thrown, or recorded inside
/// ``GradusError/catching(_:)`` — instead of stopping the process, overflowing or writing out of bounds.
@Suite("Untrusted arguments: errors, not stops")
struct UntrustedArgumentTests {
    @Test("a shape whose other dimensions overflow is refused even when one dimension is zero")
    func zeroDimensionOverflow() {
        let huge = [0, 1 << 40, 1 << 40]
        #expect(failure { Tensor.zeros(huge) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.full(huge, value: 1) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.zeros([2]).reshape([-1, 1 << 32, 1 << 32]) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.zeros([1 << 62]) }?.kind == .shapeMismatch)   // 2^62 elements: bytes overflow
        // Shapes at the edge are still fine.
        #expect(Tensor.zeros([0, 1 << 20, 1 << 20]).shape == [0, 1 << 20, 1 << 20])
        #expect(Tensor.zeros([0, 1 << 20, 1 << 20]).strides == [1 << 40, 1 << 20, 1])
    }

    @Test("memory the system will not give is an outOfMemory error naming the size")
    func outOfMemory() {
        // 2^52 bytes (4 PiB): past any machine's address space, whatever the overcommit setting.
        let e = failure { Tensor.zeros([1 << 50]) }
        #expect(e?.kind == .outOfMemory)
        #expect(e?.message.contains("zeros") == true && e?.message.contains("bytes") == true)
        #expect(failure { Tensor.uniform([1 << 25, 1 << 25]) }?.kind == .outOfMemory)
        // The process goes on allocating normally.
        #expect(Tensor.ones([3]).scalars() == [1, 1, 1])
    }

    @Test("creation functions with negative sizes record an error instead of stopping")
    func negativeSizes() {
        #expect(failure { Tensor.ones([-1]) }?.kind == .invalidArgument)
        #expect(failure { Tensor.full([2, -3], value: 0) }?.kind == .invalidArgument)
        #expect(failure { Tensor.uniform([-2]) }?.kind == .invalidArgument)
        #expect(failure { Tensor.normal([4, -1]) }?.kind == .invalidArgument)
        #expect(failure { Tensor.bernoulli([-5], p: 0.5) }?.kind == .invalidArgument)
        var rng = SeededGenerator(seed: 0)
        #expect(failure { Tensor.randint(0, 3, shape: [-1], generator: &rng) }?.kind == .invalidArgument)
        #expect(failure { Tensor.eye(-1) }?.kind == .invalidArgument)
        #expect(failure { Tensor.eye(2, -2) }?.kind == .invalidArgument)
        #expect(failure { Tensor.zeros([3]).expand([-3]) } != nil)
        #expect(failure { Tensor(shape: [2, 2], values: [1.0, 2, 3]) }?.kind == .shapeMismatch)
        #expect(failure { Tensor(shape: [-1], integers: []) }?.kind == .invalidArgument)
        #expect(failure { Tensor([[1, 2], [3]]) }?.kind == .shapeMismatch)
        #expect(failure { Tensor([[[1, 2]], [[3, 4], [5, 6]]]) }?.kind == .shapeMismatch)
        #expect(Tensor.eye(2, 3).scalars() == [1, 0, 0, 0, 1, 0])
        #expect(Tensor.eye(0).shape == [0, 0])
    }

    @Test("arange refuses non-finite and oversized ranges; linspace fills int64 exactly")
    func ranges() {
        #expect(failure { Tensor.arange(0, .infinity) } != nil)
        #expect(failure { Tensor.arange(0, .nan) } != nil)
        #expect(failure { Tensor.arange(0, 1, step: .nan) } != nil)
        #expect(failure { Tensor.arange(0, 1e300) }?.kind == .shapeMismatch)
        #expect(Tensor.arange(0, 5, dtype: .int64).intScalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(5, 0, step: -2).scalars() == [5, 3, 1])
        // A step pointing away from the end is an error (PyTorch's), also where the count would not fit an Int.
        #expect(failure { Tensor.arange(5, 0) }?.message.contains("step's sign") == true)
        #expect(failure { Tensor.arange(0, 5, step: -1) } != nil)
        #expect(failure { Tensor.arange(0, -1e19) } != nil)
        #expect(failure { Tensor.arange(10, 0, step: 1e-18) } != nil)
        #expect(failure { Tensor.arange(0, -1e19, step: -1) }?.kind == .shapeMismatch)
        #expect(Tensor.arange(3, 3).shape == [0])
        #expect(Tensor.linspace(-1, 1, count: 5, dtype: .int64).intScalars == [-1, 0, 0, 0, 1])
        #expect(failure { Tensor.linspace(0, 1, count: -1) }?.kind == .invalidArgument)
    }

    @Test("values that no int64 holds: refused where checked, saturated in conversions")
    func int64Conversion() throws {
        #expect(throws: GradusError.self) { try Tensor(validatingShape: [1], values: [Double.nan], dtype: .int64) }
        #expect(throws: GradusError.self) { try Tensor(validatingShape: [2], values: [1, 1e300], dtype: .int64) }
        #expect(try Tensor(validatingShape: [2], values: [2.7, -3.5], dtype: .int64).intScalars == [2, -3])
        #expect(failure { Tensor.full([2], value: .nan, dtype: .int64) }?.kind == .invalidArgument)
        #expect(failure { Tensor.full([2], value: 1e19, dtype: .int64) }?.kind == .invalidArgument)
        #expect(failure { Tensor.zeros([2], dtype: .int64).fillInPlace(.infinity) } != nil)
        let x = Tensor([.nan, 1e300, -1e300, 2.7, -2.7, .infinity], dtype: .float64)
        #expect(x.to(.int64).intScalars == [0, Int.max, Int.min, 2, -2, Int.max])
        #expect(Tensor([.nan, 3.9]).to(.int64).intScalars == [0, 3])
        #expect(Tensor([.nan, -.infinity, 5.5]).intScalars == [0, Int.min, 5])
    }

    @Test("einsum: bad equations and mismatched sizes are recorded errors")
    func einsum() {
        let a = Tensor.ones([2, 3]), b = Tensor.ones([4, 5])
        #expect(failure { Tensor.einsum("ij,jk->ik", a, b) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.einsum("ij,jk->iz", a, Tensor.ones([3, 2])) }?.kind == .invalidArgument)
        #expect(failure { Tensor.einsum("i1,jk", a, b) }?.kind == .invalidArgument)
        #expect(failure { Tensor.einsum("ij,jk,kl->il", a, b) }?.kind == .invalidArgument)
        #expect(failure { Tensor.einsum("ijk->i", a) }?.kind == .shapeMismatch)
        // Ellipses and diagonals are covered; their misuses are recorded errors that name the problem.
        #expect(failure { Tensor.einsum("ii->i", a) }?.message.contains("repeated in operand 0 with sizes 2 and 3") == true)
        #expect(failure { Tensor.einsum("...i...->i", a) }?.message.contains("more than one '...'") == true)
        #expect(failure { Tensor.einsum("i..j", a) }?.message.contains("not part of '...'") == true)
        #expect(failure { Tensor.einsum("...ijk", a) }?.message.contains("has only 2 dimensions") == true)
        #expect(failure { Tensor.einsum("ij->iij", a) }?.message.contains("repeats a subscript") == true)
        #expect(failure { Tensor.einsum("ij->i->j", a) }?.kind == .invalidArgument)
        #expect(failure { Tensor.einsum("", [Tensor]()) }?.kind == .invalidArgument)
        // Sizes broadcast only from 1: 2 against 3 names both sizes.
        #expect(failure { Tensor.einsum("ij,ij->ij", a, Tensor.ones([3, 3])) }?.message.contains("size 2 in one operand and 3") == true)
        #expect(failure { Tensor.einsum("...i,...i", Tensor.ones([2, 3]), Tensor.ones([4, 3])) }?.kind == .shapeMismatch)
        // After an earlier failure in the same scope, einsum returns a placeholder instead of stopping.
        #expect(failure { () -> Tensor in
            _ = Tensor.zeros([2]) + Tensor.zeros([3])
            return Tensor.einsum("ij,jk->ik", a, Tensor.ones([3, 2]))
        }?.op == "add")
        #expect(Tensor.einsum("ij,jk->ik", a, Tensor.ones([3, 2])).scalars() == [3, 3, 3, 3])
    }

    @Test("unfold and fold check their window like the convolutions")
    func windows() {
        let x = Tensor.ones([1, 2, 5, 5]), w = Tensor.ones([1, 1, 3, 3])
        #expect(failure { Functional.unfold(x, kernelSize: (2, 2), stride: (0, 0)) }?.kind == .invalidArgument)
        #expect(failure { Functional.unfold(x, kernelSize: (-1, 3)) }?.kind == .invalidArgument)
        #expect(failure { Functional.unfold(x, kernelSize: (2, 2), padding: (-1, 0)) }?.kind == .invalidArgument)
        #expect(failure { Functional.unfold(x, kernelSize: (2, 2), dilation: (0, 1)) }?.kind == .invalidArgument)
        #expect(failure { Functional.unfold(x, kernelSize: (2, 2), padding: (1 << 62, 0)) }?.kind == .invalidArgument)
        let cols = Functional.unfold(x, kernelSize: (2, 2))
        #expect(cols.shape == [1, 16, 8])
        #expect(failure { Functional.fold(cols, outputSize: (5, 5), kernelSize: (2, 2), stride: (0, 1)) }?.kind == .invalidArgument)
        #expect(failure { Functional.fold(cols, outputSize: (-5, 5), kernelSize: (2, 2)) }?.kind == .invalidArgument)
        #expect(Functional.fold(cols, outputSize: (5, 5), kernelSize: (2, 2)).shape == [1, 2, 5, 5])
        #expect(failure { Functional.fold(cols, outputSize: (1 << 31 - 1, 1 << 31 - 1), kernelSize: (1, 1)) }?.kind == .shapeMismatch)
        #expect(failure { Functional.unfold(x, kernelSize: (1, 1), padding: (1 << 30, 1 << 30)) } != nil)
        #expect(failure { Functional.maxPool2d(x, kernelSize: (1 << 31 - 1, 2)) } != nil)
        #expect(failure { Functional.convTranspose2d(Tensor.ones([1, 1, 3, 3]), weight: w, stride: (1 << 31 - 1, 1 << 31 - 1)) }?.kind
                == .shapeMismatch)
        #expect(failure { Functional.conv2d(Tensor.ones([1, 1, 4, 4]), weight: w, padding: (1 << 62, 0)) }?.kind == .invalidArgument)
        // A padded kernel whose window table (2^40 indices) no memory holds: an error before it is built.
        let big = failure { Functional.unfold(Tensor.ones([1, 1, 4, 4]), kernelSize: (1024, 1024), padding: (1024, 1024)) }
        #expect(big?.kind == .outOfMemory)
        #expect(big?.message.contains("window table") == true)
        #expect(failure { Functional.avgPool2d(Tensor.ones([1, 1, 4, 4]), kernelSize: (65536, 65536), stride: (1, 1), padding: (32768, 32768)) }?.kind
                == .outOfMemory)
        // With no sample, nothing is read and no table is built: the shapes are PyTorch's.
        #expect(Functional.unfold(Tensor.ones([0, 1, 4, 4]), kernelSize: (1024, 1024), padding: (1024, 1024)).shape
                == [0, 1029 * 1029, 1024 * 1024])
        let none = Tensor.zeros([0, 3, 1 << 20, 1 << 20]).requiringGrad()
        let pooled = Functional.avgPool2d(none, kernelSize: (2, 2))
        #expect(pooled.shape == [0, 3, 1 << 19, 1 << 19])
        pooled.sum().backward()
        #expect(none.grad?.shape == none.shape)
    }

    @Test("oneHot with more classes than memory holds, or fewer than zero")
    func oneHotClasses() {
        let labels = Tensor(labels: [1, 0])
        #expect(failure { Tensor.oneHot(labels, classes: 1 << 61) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.oneHot(labels, classes: 1 << 50) }?.kind == .outOfMemory)
        #expect(failure { Tensor.oneHot(labels, classes: -1) }?.kind == .invalidArgument)
        #expect(Tensor.oneHot(labels, classes: 3).scalars() == [0, 1, 0, 1, 0, 0])
    }

    @Test("slices with huge steps, paddings that overflow")
    func slicesAndPads() {
        let x = Tensor.arange(0, 10)
        #expect(x.slice(axis: 0, start: 3, step: Int.max).scalars() == [3])
        #expect(x.slice(axis: 0, start: 3, end: 3, step: Int.max).shape == [0])
        #expect(x.slice(axis: 0, start: 1, step: 4).scalars() == [1, 5, 9])
        #expect(failure { x.pad([Int.max, 1]) }?.kind == .shapeMismatch)
        #expect(failure { x.pad([Int.min, -1]) }?.kind == .shapeMismatch)
        #expect(x.pad([1, -8]).scalars() == [0, 0, 1])
    }

    @Test("a layer built after an earlier failure in a scope gets real parameters")
    func layersAfterFailure() {
        var built: [Module] = []
        var t = Tensor.zeros([0])
        var product = Tensor.zeros([0])
        let error = failure { () -> Void in
            _ = Tensor.zeros([2]) + Tensor.zeros([3])   // the scope fails here
            t = Tensor.zeros([3, 4])
            Init.orthogonal(t)
            product = t.matmul(t.transpose(0, 1))   // an op: still a placeholder in the failed scope
            built = [Linear(4, 2), Embedding(10, 4, paddingIdx: 0), GRU(inputSize: 3, hiddenSize: 5)]
        }
        #expect(error?.op == "add")
        #expect(product.shape == [0])
        #expect(abs(t.scalars()[0..<4].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)   // an orthonormal row
        let linear = built[0] as! Linear, embedding = built[1] as! Embedding
        #expect(linear.weight.shape == [2, 4] && linear.weight.scalars().contains { $0 != 0 })
        #expect(embedding.weight.shape == [10, 4] && embedding.weight.scalars()[0..<4].allSatisfy { $0 == 0 })
        #expect(built.count == 3)
        #expect(built[0].parameters().allSatisfy { $0.count > 0 })
    }

    @Test("holdingOut of an empty data set throws")
    func emptyHoldOut() throws {
        let empty = TensorDataset(Tensor.zeros([0, 3]), Tensor.zeros([0]))
        #expect(throws: GradusError.self) { try empty.holdingOut(0.2, seed: 0) }
        let one = TensorDataset(Tensor.zeros([1, 3]), Tensor.zeros([1]))
        let parts = try one.holdingOut(0.2, seed: 0)
        #expect(parts.train.count + parts.validation.count == 1)
    }

    @Test("TensorDataset: rows that differ throw (validating) or are recorded (plain initializer)")
    func datasetRows() throws {
        #expect(throws: GradusError.self) { try TensorDataset(validating: Tensor.zeros([3, 2]), targets: Tensor.zeros([4])) }
        #expect(throws: GradusError.self) { try TensorDataset(validating: Tensor(scalar: 1), targets: Tensor.zeros([1])) }
        #expect(try TensorDataset(validating: Tensor.zeros([3, 2]), targets: Tensor.zeros([3, 1])).count == 3)
        #expect(failure { TensorDataset(Tensor.zeros([3, 2]), Tensor.zeros([4])) }?.kind == .shapeMismatch)
    }

    @Test("TextWindowDataset refuses an index outside its windows")
    func textWindowIndex() throws {
        let data = try TextWindowDataset(tokens: Array(0..<10), length: 3)
        #expect(failure { data.sample(at: data.count) }?.kind == .indexOutOfRange)
        #expect(failure { data.sample(at: -1) }?.kind == .indexOutOfRange)
        #expect(data.sample(at: 1).input.intScalars == [3, 4, 5])   // windows of 3 with stride 3
    }

    @Test("a token sampler changed after init is checked when it samples")
    func tokenSamplerSettings() throws {
        var sampler = try TokenSampler(temperature: 1, topK: 2)
        let logits = Tensor([1, 2, 3])
        sampler.topK = -1
        #expect(throws: GradusError.self) { try sampler.probabilities(logits: logits) }
        sampler.topK = 1
        sampler.temperature = -1
        #expect(throws: GradusError.self) { try sampler.probabilities(logits: logits) }
        sampler.temperature = 1
        sampler.topP = 0
        var rng = SeededGenerator(seed: 0)
        #expect(throws: GradusError.self) { try sampler.sample(logits: logits, generator: &rng) }
        sampler.topP = nil
        #expect(try sampler.sample(logits: logits, generator: &rng) == 2)
    }

    @Test("heat maps of odd grids draw bars or the rows there are, without trapping")
    func heatMapGrids() {
        let values = [0.5, -1, 0.25]
        #expect(HeatMap.terminal(values, grid: [-1, -1], color: false) == HeatMap.terminal(values, grid: nil, color: false))
        #expect(HeatMap.terminal(values, grid: [5], color: false) == HeatMap.terminal(values, grid: nil, color: false))
        #expect(HeatMap.terminal(values, grid: [Int.max, 2], color: false).split(separator: "\n").count == 2)
        #expect(HeatMap.terminal(values, grid: [1, Int.max], color: false).count == 6)
        #expect(HeatMap.svg(panels: [("v", values)], grid: [Int.max, Int.max], title: "t").contains("<svg"))
    }

    @Test("quantization leaves rows too wide for 32-bit sums in Float32")
    func quantizationWidth() {
        let wide = Tensor.ones([1, QuantizedWeights.maximumInputs + 1])
        #expect(QuantizedWeights(quantizing: wide) == nil)
        #expect(QuantizedWeights(quantizing: Tensor.ones([2, QuantizedWeights.maximumInputs])) != nil)
        let layer = Linear(QuantizedWeights.maximumInputs + 1, 1)
        #expect(layer.quantizeDynamic() == 0)
    }
}

/// Second round: layers and ops fed tensors of another dtype or odd shapes inside a scope, restored
/// counters, rank-0 axes, broadcasts and products of empty inputs.
@Suite("Untrusted arguments, second round")
struct UntrustedArgumentSecondRoundTests {
    @Test("recurrent layers and attention refuse an input of another dtype instead of trapping")
    func layerDtypes() {
        let x64 = Tensor.zeros([5, 2, 4], dtype: .float64)
        #expect(failure { LSTM(inputSize: 4, hiddenSize: 8)(x64) }?.kind == .dtypeMismatch)
        #expect(failure { GRU(inputSize: 4, hiddenSize: 8)(x64) }?.kind == .dtypeMismatch)
        #expect(failure { RNN(inputSize: 4, hiddenSize: 8)(x64) }?.kind == .dtypeMismatch)
        let attention = MultiheadAttention(embedDim: 8, numHeads: 2)
        let q64 = Tensor.zeros([3, 1, 8], dtype: .float64)
        #expect(failure { attention(query: q64, key: q64, value: q64).output }?.kind == .dtypeMismatch)
        #expect(failure { TransformerEncoderLayer(dModel: 8, numHeads: 2, dimFeedforward: 16, dropout: 0)(q64) }?.kind == .dtypeMismatch)
        // A failed incremental call leaves the cache as it was; the next good call works.
        var cache = KeyValueCache()
        let good = Tensor.uniform([2, 1, 8])
        _ = attention.selfAttention(good, cache: &cache)
        #expect(failure { attention.selfAttention(Tensor.zeros([1, 1, 8], dtype: .float64), cache: &cache) }?.kind == .dtypeMismatch)
        #expect(cache.length == 2)
        #expect(attention.selfAttention(Tensor.uniform([1, 1, 8]), cache: &cache).shape == [1, 1, 8])
        #expect(cache.length == 3)
    }

    @Test("a scalar along axis 0 or -1 is one element for reductions, max/min, softmax, sorts and cumulative sums, as in PyTorch; no other axis, and no indexing or concatenation")
    func scalarAxes() throws {
        let s = Tensor(scalar: 2)
        // PyTorch (2.x): torch.tensor(2.).sum(0) == 2, .softmax(0) == 1, .log_softmax(-1) == 0,
        // .max(0) == (2, 0), .var(0) is NaN, .std(0, unbiased=False) == 0; dims 1 and -2 are out of
        // range; sum([0, -1]) repeats dim 0.
        for axis in [0, -1] {
            #expect(s.sum(axes: [axis]).scalars() == [2] && s.sum(axes: [axis], keepDims: true).shape == [])
            #expect(s.mean(axes: [axis]).scalars() == [2])
            #expect(s.amax(axes: [axis]).scalars() == [2] && s.amin(axes: [axis]).scalars() == [2])
            #expect(s.logsumexp(axes: [axis]).scalars() == [2] && s.norm(axes: [axis]).scalars() == [2])
            let (values, indices) = s.max(axis: axis)
            #expect(values.shape == [] && values.scalars() == [2] && indices.intScalars == [0] && indices.shape == [])
            #expect(s.min(axis: axis, keepDims: true).indices.intScalars == [0])
            #expect(s.argmax(axis: axis).intScalars == [0] && s.argmin(axis: axis).shape == [])
            #expect(s.softmax(axis: axis).scalars() == [1] && s.softmax(axis: axis).shape == [])
            #expect(s.logSoftmax(axis: axis).scalars() == [0])
            #expect(s.variance(axes: [axis]).scalars(as: Double.self)[0].isNaN)
            #expect(s.std(axes: [axis], unbiased: false).scalars() == [0])
            #expect(s.squeeze(axis).shape == [] && s.squeeze(axis).scalars() == [2])
            #expect(s.cumsum(axis: axis).scalars() == [2] && s.cumsum(axis: axis).shape == [])
            #expect(s.sort(axis: axis).values.scalars() == [2])
        }
        // Gradients: the sum, mean and maximum pass it through; softmax of one element is constant.
        let x = Tensor(scalar: 3)
        x.requiresGrad = true
        let y = x.sum(axes: [0]) * 2 + x.max(axis: -1).values + x.softmax(axis: 0) * 5 + x.mean(axes: [-1])
        y.backward()
        #expect(x.grad?.scalars() == [4])
        for axis in [1, -2] {
            #expect(failure { s.sum(axes: [axis]) }?.kind == .indexOutOfRange)
            #expect(failure { s.softmax(axis: axis) }?.kind == .indexOutOfRange)
            #expect(failure { s.argmax(axis: axis) }?.kind == .indexOutOfRange)
        }
        #expect(failure { s.sum(axes: [0, -1]) }?.kind == .shapeMismatch)
        #expect(failure { s.select(axis: 0, index: 0) }?.kind == .indexOutOfRange)
        #expect(failure { Tensor.concatenate([s, s], axis: 0) } != nil)
        #expect(s.sum().scalars() == [2])
    }

    @Test("broadcasts and products of empty inputs whose outputs would not fit are errors")
    func emptyInputsHugeOutputs() {
        #expect(failure { Tensor.zeros([1 << 31, 0, 1]) + Tensor.zeros([1, 0, 1 << 31]) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.zeros([1 << 31, 0]).matmul(Tensor.zeros([0, 1 << 31])) }?.kind == .shapeMismatch)
        #expect(failure { Tensor.zeros([1 << 22, 0]).matmul(Tensor.zeros([0, 1 << 30])) }?.kind == .outOfMemory)
        #expect(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3])).scalars() == [0, 0, 0, 0, 0, 0])
        let wide = Tensor.zeros([1]).expand([1, 1 << 30])   // a view: nothing allocated
        #expect(failure { Tensor.zeros([1 << 20, 1]) * wide }?.kind == .outOfMemory)
    }

    @Test("views larger than the machine's memory, and repeats and copies that would not fit, are errors")
    func hugeViewsAndRepeats() {
        // 2^45 float32 values (128 TiB): a view no kernel could ever read through a contiguous copy.
        let e = failure { Tensor.zeros([1]).expand([1 << 45]).exp() }
        #expect(e?.kind == .outOfMemory)
        #expect(e?.message.contains("expand") == true)
        #expect(failure { Tensor.zeros([1, 1]).expand([1 << 22, 1 << 22]) }?.kind == .outOfMemory)
        #expect(failure { Tensor.ones([4]).repeat([1 << 44]) }?.kind == .outOfMemory)
        #expect(failure { Tensor.ones([4]).repeat([Int.max, 2]) }?.kind == .shapeMismatch)
        // Expansions that fit stay views, and copies of them work.
        let wide = Tensor.ones([1, 3]).expand([1000, 3])
        #expect(wide.contiguous().sum().item() == 3000)
        #expect(wide.reshape([-1]).shape == [3000])
        #expect(Tensor([1.0, 2]).repeat([2, 2]).scalars() == [1, 2, 1, 2, 1, 2, 1, 2])
    }

    @Test("losses with no classes, explanations of int64 inputs or without recorded gradients, huge steps")
    func lossesAndExplain() {
        let labels = Tensor(shape: [1, 2], integers: [0, 0])
        #expect(failure { Tensor.zeros([1, 0, 2]).crossEntropy(labels) }?.kind == .shapeMismatch)
        let model = Linear(3, 2)
        #expect(failure { Explain.saliency(model: model, input: Tensor(shape: [3], integers: [1, 2, 3]), classIndex: 0) } != nil)
        #expect(failure { GradMode.noGrad { Explain.saliency(model: model, input: Tensor.ones([3]), classIndex: 0) } }?.kind == .autograd)
        #expect(failure { Explain.integratedGradients(model: model, input: Tensor.ones([3]), classIndex: 0, steps: 1 << 40) }?.kind
                == .invalidArgument)
        #expect(Explain.integratedGradients(model: model, input: Tensor.ones([3]), classIndex: 1, steps: 8).shape == [3])
    }

    @Test("sizes that overflow in split, chunk, pad; randperm of a negative count")
    func indexingOverflow() {
        let x = Tensor.arange(0, 6)
        #expect(failure { x.split(sizes: [Int.max, 1]) }?.kind == .shapeMismatch)
        #expect(x.chunk(Int.max).count == 6)
        #expect(x.chunk(4).map(\.shape) == [[2], [2], [2]])
        // An empty dimension: `chunks` empty pieces and one piece for split, as PyTorch; not Int.max of them.
        let empty = Tensor.zeros([0, 3])
        #expect(empty.chunk(3).map(\.shape) == [[0, 3], [0, 3], [0, 3]])
        #expect(empty.split(size: 2).map(\.shape) == [[0, 3]])
        #expect(Tensor.zeros([3, 0]).chunk(2, axis: 1).map(\.shape) == [[3, 0], [3, 0]])
        #expect(failure { empty.chunk(Int.max) }?.kind == .outOfMemory)
        #expect(failure { x.pad([Int.min, Int.max]) }?.kind == .shapeMismatch)
        var rng = SeededGenerator(seed: 1)
        #expect(failure { Tensor.randperm(-1, generator: &rng) }?.kind == .invalidArgument)
        #expect(Tensor.randperm(4, generator: &rng).sorted() == [0, 1, 2, 3])
        #expect(failure { Functional.adaptiveAvgPool2d(Tensor.ones([1, 1, 4, 4]), outputSize: (1 << 30, 2)) }?.kind == .shapeMismatch)
    }

    @Test("restoring counters past a one-cycle schedule's end is an error; within it the rates match stepping")
    func restoreCounters() {
        let model = Linear(2, 2)
        let optimizer = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        let schedule = OneCycleLR(optimizer, maxLR: 0.1, totalSteps: 10)
        let trainer = Trainer(model: model, optimizer: optimizer, scheduler: schedule, schedulerInterval: .batch)
        #expect(failure { trainer.restore(epoch: 0, step: 11) } != nil)
        // A hand-built progress record whose sums would overflow as the epoch goes on.
        for impossible in [EpochProgress(batches: 1, seen: .max, processed: .max), EpochProgress(batches: 0),
                           EpochProgress(batches: 2, lossSum: .infinity, seen: 4, processed: 4),
                           EpochProgress(batches: 2, seen: 4, processed: 4, correct: 5)] {
            let e = failure { trainer.restore(epoch: 0, step: 7, unfinishedEpoch: impossible) }
            #expect(e?.kind == .invalidArgument && e?.message.contains("impossible") == true)
        }
        #expect(EpochProgress(batches: 2, seen: 4, processed: 4).problem == nil)
        trainer.restore(epoch: 0, step: 7)
        let restored = optimizer.learningRates
        let reference = OneCycleLR(SGD(Linear(2, 2).parameters(), lr: 0.1, momentum: 0.9), maxLR: 0.1, totalSteps: 10)
        for _ in 0..<7 { reference.step() }
        #expect(restored == reference.optimizer.learningRates && schedule.lastEpoch == 7)
        let plateau = ReduceLROnPlateau(optimizer)
        #expect(!plateau.restore(stateText: "0,9223372036854775807,0,0"))
        #expect(plateau.restore(stateText: "0.5,1,0,3"))
    }

    @Test("results of failed nested work are never read: a backward that fails in valueWithGradient and GradCheck, a cache from a Float64 model, a quantized convolution after a failure, classifier outputs without classes")
    func failedNestedResults() throws {
        let x = Tensor([1.0, 2.0])
        func failingBackward(_ v: Tensor) -> Tensor {
            let y = v * 2
            if y.requiresGrad { y.registerHook { _ in throw GradusError(.invalidArgument, "the hook refuses") } }
            return y
        }
        #expect(failure { Autograd.valueWithGradient(at: x) { failingBackward($0).sum() } }?.message.contains("the hook refuses") == true)
        let checkFailure = failure { () -> GradCheckReport in
            let report = GradCheck.check(inputs: [x.to(.float64)]) { failingBackward($0[0]) }
            #expect(!report.passed, "a backward that failed must not pass: \(report)")
            return report
        }
        #expect(checkFailure?.message.contains("the hook refuses") == true, "\(String(describing: checkFailure))")

        // A cache filled by a Float64 model, then given to a Float32 one: refused, and left as it was.
        let wide = MultiheadAttention(embedDim: 8, numHeads: 2, dtype: .float64), narrow = MultiheadAttention(embedDim: 8, numHeads: 2)
        var cache = KeyValueCache()
        _ = wide.selfAttention(Tensor.zeros([1, 1, 8], dtype: .float64), cache: &cache)
        for _ in 0..<2 {
            #expect(failure { narrow.selfAttention(Tensor.uniform([1, 1, 8]), cache: &cache) }?.kind == .dtypeMismatch)
            #expect(cache.length == 1)
        }

        // A quantized convolution with "same" padding of an even kernel, after the scope already failed.
        var g = SeededGenerator(seed: 5)
        let conv = Conv2d(3, 4, kernelSize: 2, padding: .same, generator: &g)
        conv.eval()
        #expect(conv.quantizeDynamic() == 1)
        let image = Tensor.uniform([1, 3, 6, 6])
        #expect(failure { () -> Tensor in
            _ = Tensor.zeros([2]) + Tensor.zeros([3])
            return conv(image)
        }?.kind == .shapeMismatch)
        #expect(conv(image).shape == [1, 4, 6, 6])

        // Classifiers whose output has no class axis, or no classes.
        let data = TensorDataset(Tensor.uniform([6, 4]), Tensor(labels: [0, 1, 0, 1, 0, 1]))
        #expect(failure { Trainer.evaluate(model: ScalarOutput(), task: .classify, data: data, batchSize: 3) } != nil)
        #expect(failure { Trainer.evaluate(model: Linear(4, 0), task: .classify, data: data, batchSize: 3) } != nil)
    }
}
