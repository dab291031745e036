import Foundation

/// A trained model prepared for fast inference: compiled, for each input shape it meets, into a few
/// steps with packed weights, fused layers and buffers planned once.
///
/// The plan walks the model's layers (a ``Sequential``, nested ones included) and turns runs of layers
/// that oneDNN computes into one chain of oneDNN primitives (``Conv2d``, ``ConvTranspose2d``, ``MaxPool2d``, ``AvgPool2d``,
/// ``AdaptiveAvgPool2d`` on whole windows, ``Linear``, activations): convolutions and inner products on
/// weights reordered once to the kernels' blocked layouts, each activation fused into the layer before
/// it (after a transposed convolution: a step of its own), a ``BatchNorm2d`` after a convolution
/// (``BatchNorm1d`` after a ``Linear``) folded into its weights
/// and bias, other batch normalization with running statistics computed by oneDNN (a following ``ReLU``
/// in the same step), the intermediate images
/// kept in blocked channel layouts from one layer to the next; each convolution runs on the fastest of
/// oneDNN's direct and Winograd kernels for it, timed when first compiled. On one sample, a ``Linear`` outside such
/// a chain (an MLP) is a matrix-vector product over its weight packed once in panels of 16 rows (one
/// contiguous stream from the cache), with its bias and ReLU fused.
/// The dropout layers and ``Identity`` vanish. Any other layer runs as the model runs it, so every model works;
/// the plan only changes how fast.
///
/// What you get is what the model computes in evaluation mode, without recording, up to Float32
/// rounding (folding batch normalization and oneDNN's kernels sum in another order: relative
/// differences around 1e-6). A quantized ``Linear`` (``Module/quantizeDynamic()``) runs its integer path,
/// with a following ``ReLU`` fused, exactly as the model computes it; a quantized ``Conv2d`` runs as the
/// model runs it. Models of other element types and non-Float32 inputs run through the model itself. A batch whose
/// intermediate results would hold more than 64 MiB runs in equal chunks that fit, when every layer is
/// compiled (a layer left to the model might mix samples), and through the model otherwise.
///
/// The plan keeps packed copies of the weights it compiled and notices when the model's tensors change
/// (an optimizer step, ``Module/loadStateDict(_:strict:)``, a tensor assigned to a layer): the next call
/// compiles again. Calls from several threads are safe: one at a time runs the compiled steps, and a
/// call that finds them busy runs the model itself (same results, the model's speed); a server that
/// wants every call fast makes one plan per thread.
///
/// ```swift
/// model.eval()
/// let plan = InferencePlan(model)
/// let logits = try plan(image)            // [1, 3, 32, 32] -> [1, 10]
/// print(try plan.steps(forInputShape: [1, 3, 32, 32]))
/// ```
public final class InferencePlan: @unchecked Sendable {
    /// The model the plan computes.
    public let model: any Layer

    /// The layers in order, nested ``Sequential``s flattened.
    let layers: [any Layer]
    /// The layers that ``Module/quantizeDynamic()`` can quantize.
    private let quantizable: [any DynamicallyQuantizable]
    /// The integers each of them computed with when the shapes in `compiled` were compiled (see
    /// ``quantization``): quantizing or dequantizing a layer since makes every entry stale (a weight
    /// changed since is noticed by the compiled steps' own sources).
    /// (Held, not identified by address: a freed one's address could be reused by the next.)
    private var compiledQuantization: [PackedInt8Panels?] = []
    /// ``DynamicQuantization/epoch`` when `compiledQuantization` was last compared with the layers.
    private var quantizationEpoch = -1
    private let lock = NSLock()
    /// What each recent input shape runs (the few most recent).
    private var compiled: [[Int]: Entry] = [:]
    private var recentShapes: [[Int]] = []
    /// Input shapes compiled before a plan is dropped to make room for another.
    static let shapesKept = 8

    /// What an input shape runs: its compiled steps, the model (kept too, so that a model with nothing
    /// to compile is not compiled again on every call), or chunks of the batch (each a shape of its own).
    private typealias Entry = CompiledInference.Compilation

    /// A plan for `model`, compiled on first use for each input shape.
    ///
    /// - Parameter model: the model; put it in evaluation mode (``Module/eval()``) before calling the plan.
    ///
    /// ```swift
    /// let plan = InferencePlan(trained.layer!)
    /// ```
    public init(_ model: any Layer) {
        self.model = model
        layers = InferencePlan.flattened(model)
        quantizable = layers.compactMap { $0 as? any DynamicallyQuantizable }
    }

    /// Computes the model on `input`, without recording.
    ///
    /// - Parameter input: a batch in the model's input shape.
    /// - Returns: what `model(input)` returns in evaluation mode.
    /// - Throws: a ``GradusError`` when the model is in training mode, or when the model cannot run on
    ///   `input` (the message is the model's own, e.g. a shape mismatch).
    ///
    /// ```swift
    /// let probabilities = try plan(x).softmax(axis: -1)
    /// ```
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        guard !model.isTraining else {
            throw GradusError(.invalidArgument, "InferencePlan: the model is in training mode; call eval() before inference",
                              op: "InferencePlan")
        }
        return try GradusError.catching {
            try GradMode.noGrad {
                // Hooks see the model's own layers: a model with hooks runs as it is.
                guard input.dtype == .float32, !model.anyModuleHasForwardHooks else { return model(input) }
                let x = input.contiguous()
                // oneDNN's ReLU and max pooling turn NaN into numbers; the model keeps it.
                guard Self.allFinite(x.buffer(Float.self)) else { return model(input) }
                // The compiled steps share their buffers: a call that finds them in use runs the model.
                guard lock.try() else { return model(input) }
                defer { lock.unlock() }
                switch try entry(for: input.shape) {
                case .model:
                    return model(input)
                case .compiled(let plan):
                    return try plan.run(x) ?? model(input)
                case .chunks(let size):
                    return try runInChunks(x, of: size) ?? model(input)
                }
            }
        }
    }

    /// What the plan runs for inputs of `shape`: one line per step (oneDNN's primitives with the
    /// implementation it chose, row products, layers run as the model runs them).
    ///
    /// - Parameter shape: an input shape, e.g. `[1, 3, 32, 32]`.
    /// - Returns: the steps' descriptions; one line saying so when the model runs as it is.
    /// - Throws: a ``GradusError`` when the model cannot run on inputs of that shape.
    ///
    /// ```swift
    /// for line in try plan.steps(forInputShape: [1, 784]) { print(line) }
    /// ```
    public func steps(forInputShape shape: [Int]) throws -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return try GradusError.catching {
            try GradMode.noGrad {
                switch try entry(for: shape) {
                case .model: return ["model as it is (no step compiled)"]
                case .compiled(let plan): return plan.descriptions
                case .chunks(let size):
                    let chunk = [size] + shape.dropFirst()
                    guard case .compiled(let plan) = try entry(for: chunk), plan.keepsSamplesApart else { return ["model as it is (no step compiled)"] }
                    return ["in chunks of \(size) samples:"] + plan.descriptions
                }
            }
        }
    }

    /// How inputs of `shape` run, compiled now if needed (again when the model's tensors changed).
    /// Called under `lock`.
    private func entry(for shape: [Int]) throws -> Entry {
        // A quantized layer computes with its integers (compiled as such) and a layer no longer quantized
        // with its Float32 weights: any change in that compiles every shape again.
        // (Looked at only when some layer's quantization was set since the last look.)
        let epoch = DynamicQuantization.epoch.load(ordering: .acquiring)
        if !quantizable.isEmpty && epoch != quantizationEpoch {
            let now = quantization
            if now.count != compiledQuantization.count || zip(now, compiledQuantization).contains(where: { $0 !== $1 }) {
                compiled.removeAll()
                recentShapes.removeAll()
                compiledQuantization = now
            }
            quantizationEpoch = epoch
        }
        switch compiled[shape] {
        case .compiled(let plan) where !plan.isCurrent:
            // The model changed: every shape's weights are stale.
            compiled.removeAll()
            recentShapes.removeAll()
        case let known?: return known
        case nil: break
        }
        let entry = try CompiledInference.compile(layers: layers, inputShape: shape)
        if recentShapes.count == Self.shapesKept { compiled[recentShapes.removeFirst()] = nil }
        recentShapes.append(shape)
        compiled[shape] = entry
        return entry
    }

    /// Which integers each quantizable layer computes with now (nil for Float32).
    private var quantization: [PackedInt8Panels?] {
        quantizable.map { $0.activeQuantizedWeights?.panels }
    }

    /// A contiguous batch run `size` samples at a time (the last chunk smaller) into one result; nil when
    /// a chunk's plan does not keep samples apart (a layer run as the model runs it might mix them, a
    /// quantized layer scales by the batch's range) or gives another shape. Called under `lock`.
    private func runInChunks(_ x: Tensor, of size: Int) throws -> Tensor? {
        let batch = x.shape[0], sample = x.count / batch
        var result: Tensor? = nil
        var start = 0
        while start < batch {
            let count = Swift.min(size, batch - start)
            guard case .compiled(let plan) = try entry(for: [count] + x.shape.dropFirst()), plan.keepsSamplesApart else { return nil }
            let out = result ?? Tensor(uninitializedShape: [batch] + plan.outputShape.dropFirst(), dtype: .float32)
            result = out
            let perSample = out.count / batch
            guard plan.outputShape.first == count, plan.outputShape.reduce(1, *) == count * perSample,
                  try plan.run(x.pointer(Float.self) + start * sample, into: out.pointer(Float.self) + start * perSample)
            else { return nil }
            start += count
        }
        return result
    }

    /// Whether every value is finite: x − x is 0 for finite x and NaN otherwise, summed 16 lanes at a
    /// time (about 0.1 µs for an MNIST image).
    static func allFinite(_ values: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let base = values.baseAddress else { return true }
        var lanes = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= values.count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes += v - v
            i += 16
        }
        var rest: Float = 0
        while i < values.count { rest += base[i] - base[i]; i += 1 }
        return (lanes.sum() + rest) == 0
    }

    /// `model`'s layers with nested ``Sequential``s replaced by their layers.
    static func flattened(_ model: any Layer) -> [any Layer] {
        guard let sequential = model as? Sequential else { return [model] }
        return sequential.layers.flatMap { flattened($0) }
    }
}
