import Foundation

/// A trained model prepared for fast inference: compiled, for each input shape it meets, into a few
/// steps with packed weights, fused layers and buffers planned once.
///
/// The plan walks the model's layers (a ``Sequential``, nested ones included) and turns runs of layers
/// that oneDNN computes into one chain of oneDNN primitives (``Conv2d``, ``MaxPool2d``, ``AvgPool2d``,
/// ``AdaptiveAvgPool2d`` on whole windows, ``Linear``, activations): convolutions and inner products on
/// weights reordered once to the kernels' blocked layouts, each activation fused into the layer before
/// it, a ``BatchNorm2d`` after a convolution (``BatchNorm1d`` after a ``Linear``) folded into its weights
/// and bias, other batch normalization with running statistics computed by oneDNN, the intermediate images
/// kept in blocked channel layouts from one layer to the next; for batches of up to 16 samples each 3×3
/// stride-1 convolution runs on the faster of oneDNN's direct and Winograd kernels, timed when compiled. On one sample, a ``Linear`` outside such
/// a chain (an MLP) is a matrix-vector product over its weight packed once in panels of 16 rows (one
/// contiguous stream from the cache), with its bias and ReLU fused.
/// ``Dropout`` and ``Identity`` vanish. Any other layer runs as the model runs it, so every model works;
/// the plan only changes how fast.
///
/// What you get is what the model computes in evaluation mode, without recording, up to Float32
/// rounding (folding batch normalization and oneDNN's kernels sum in another order: relative
/// differences around 1e-6). Models of other element types, quantized models
/// (``Module/quantizeDynamic()``), non-Float32 inputs and batches whose intermediate results would hold
/// more than 64 MiB run through the model itself.
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
    /// The layers that ``Module/quantizeDynamic()`` can quantize: while one is, the model runs as it is.
    private let quantizable: [any DynamicallyQuantizable]
    private let lock = NSLock()
    /// What each recent input shape runs (the few most recent).
    private var compiled: [[Int]: Entry] = [:]
    private var recentShapes: [[Int]] = []
    /// Input shapes compiled before a plan is dropped to make room for another.
    static let shapesKept = 8

    /// What an input shape runs: its compiled steps, or the model (kept too, so that a model with
    /// nothing to compile is not compiled again on every call).
    private enum Entry {
        case plan(CompiledInference)
        case model
    }

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
                guard input.dtype == .float32 else { return model(input) }
                let x = input.contiguous()
                // oneDNN's ReLU and max pooling turn NaN into numbers; the model keeps it.
                guard Self.allFinite(x.buffer(Float.self)) else { return model(input) }
                // The compiled steps share their buffers: a call that finds them in use runs the model.
                guard lock.try() else { return model(input) }
                defer { lock.unlock() }
                guard let plan = try compiledPlan(for: input.shape), let y = try plan.run(x) else { return model(input) }
                return y
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
                guard let plan = try compiledPlan(for: shape) else { return ["model as it is (no step compiled)"] }
                return plan.descriptions
            }
        }
    }

    /// The compiled plan for `shape`, compiled now if needed (again when the model's tensors changed);
    /// nil when the model is better run as it is. Called under `lock`.
    private func compiledPlan(for shape: [Int]) throws -> CompiledInference? {
        // A quantized model keeps its integer path (quantizing does not change the Float32 weights).
        if quantizable.contains(where: { $0.quantizedWeights != nil }) { return nil }
        switch compiled[shape] {
        case .model: return nil
        case .plan(let plan) where plan.isCurrent: return plan
        case .plan:
            // The model changed: every shape's weights are stale.
            compiled.removeAll()
            recentShapes.removeAll()
        case nil: break
        }
        let plan = try CompiledInference(layers: layers, inputShape: shape)
        if recentShapes.count == Self.shapesKept { compiled[recentShapes.removeFirst()] = nil }
        recentShapes.append(shape)
        compiled[shape] = plan.map(Entry.plan) ?? .model
        return plan
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
