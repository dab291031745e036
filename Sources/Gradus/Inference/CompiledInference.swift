import Foundation

/// An ``InferencePlan`` compiled for one input shape: its steps, the buffers between them, and the
/// model tensors its packed weights were made from.
final class CompiledInference {
    enum Step {
        /// A chain of oneDNN primitives.
        case network(OneDNNNetwork)
        /// One sample through a linear layer, with bias and ReLU fused.
        case rows(RowProduct)
        /// A quantized linear layer's integer path, with ReLU fused.
        case quantized(QuantizedLinearStep)
        /// A layer run as the model runs it, on inputs of `inputShape`.
        case layer(any Layer, inputShape: [Int])
    }

    /// The steps with the shape each one produces.
    let steps: [(step: Step, outputShape: [Int])]
    /// The model's output shape (the last step's elements, reshaped by a final ``Flatten``, say).
    let outputShape: [Int]
    /// One line per step (see ``InferencePlan/steps(forInputShape:)``).
    let descriptions: [String]
    /// Whether each sample's result depends on that sample alone, so that a batch may run in chunks: no
    /// step runs a layer as the model runs it (it might mix samples) or quantizes activations with the
    /// batch's range.
    var keepsSamplesApart: Bool {
        steps.allSatisfy {
            switch $0.step {
            case .network, .rows: true
            case .quantized, .layer: false
            }
        }
    }
    /// The tensors the compiled weights were read from, as they were.
    private let sources: [WeightSource]
    /// The thread count the oneDNN primitives were made for.
    private let threads: Int
    /// Two buffers that the steps write into in turn (the last step writes into the result).
    private let buffers: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)

    /// How inputs of one shape are run.
    enum Compilation {
        /// Through these compiled steps.
        case compiled(CompiledInference)
        /// Through the model as it is (nothing the plan speeds up, an element type other than Float32, a
        /// layer whose compiled form disagrees with the model's shapes, a batch too large for chunks).
        case model
        /// In chunks of at most this many samples: the whole batch's intermediate results would exceed
        /// ``maximumElements``, and every layer keeps the batch as its first dimension.
        case chunks(Int)
    }

    /// How to run inputs of `inputShape`. Depends on the model's structure and element types only, not
    /// on its values: ``InferencePlan`` keeps a `.model` or `.chunks` answer.
    ///
    /// - Throws: a ``GradusError`` when the model itself cannot run on inputs of `inputShape`.
    static func compile(layers: [any Layer], inputShape: [Int]) throws -> Compilation {
        for layer in layers where layer.parameters().contains(where: { $0.dtype != .float32 }) { return .model }
        // The shape after each layer, from one run of the model on zeros: on one sample, the batch size
        // put back into each shape after (a run on a large batch would cost as much as the call), unless
        // some layer's output does not keep the batch as its first dimension.
        _ = try Tensor.elementCount(inputShape, op: "InferencePlan")
        guard let shapes = try layerShapes(layers, inputShape) else { return .model }
        // A plan keeps every intermediate result's memory while it is cached: a large batch runs in
        // equal chunks that fit (when each layer's results scale with the batch), a sample too large
        // through the model, which frees them as it goes.
        let elements = shapes.reduce(0) { $0 + $1.reduce(1, *) }
        if elements > maximumElements {
            guard let batch = inputShape.first, batch > 1, shapes.allSatisfy({ $0.first == batch }) else { return .model }
            let largest = maximumElements / Swift.max(elements / batch, 1)
            guard largest >= 1 else { return .model }
            let parts = (batch + largest - 1) / largest
            return .chunks((batch + parts - 1) / parts)
        }
        return CompiledInference(layers: layers, shapes: shapes).map(Compilation.compiled) ?? .model
    }

    /// The compiled steps for layers with these input shapes (and the model's output shape last), or nil
    /// when nothing was compiled or a compiled step disagrees with the model's shapes.
    private init?(layers: [any Layer], shapes: [[Int]]) {
        // oneDNN divides a primitive's work by the OpenMP threads there are when it is created.
        threads = Threading.count
        // Before the weights are read: a tensor replaced while compiling makes the next check a full one.
        checkedEpoch = Module.structureEpoch.load(ordering: .acquiring)
        OneDNNProduct.allowOpenMPThreads(threads)
        var builder = InferenceBuilder(layers: layers, shapes: shapes)
        guard let built = builder.build() else { return nil }
        steps = built
        outputShape = shapes[layers.count]
        sources = builder.sources
        descriptions = built.map { step, shape in
            switch step {
            case .network(let net): return "oneDNN \(net.inputShape) -> \(shape): " + net.implementations.joined(separator: ", ")
            case .rows(let rows): return "row product \(rows.columns) -> \(shape)" + (rows.negativeSlope == nil ? "" : " + ReLU")
            case .quantized(let step):
                return "int8 product \(step.weights.inputs) -> \(shape)" + (step.relu ? " + ReLU" : "")
            case .layer(let layer, let input): return "\(type(of: layer)) \(input) -> \(shape) (as the model runs it)"
            }
        }
        let largest = built.dropLast().map { $0.outputShape.reduce(1, *) }.max() ?? 0
        buffers = (.allocate(capacity: max(largest, 1)), .allocate(capacity: max(largest, 1)))
    }

    /// The most Float32 elements that the layers' inputs and outputs of one compiled shape may hold
    /// together (64 MiB): the one-image CNN of the benchmarks needs 0.15 MiB, a batch of 64 images 9 MiB;
    /// a batch of 256 of them runs as two chunks of 128.
    static let maximumElements = 1 << 24

    /// The input shape of each layer and the model's output shape, or nil when a layer gives another
    /// element type than Float32.
    static func layerShapes(_ layers: [any Layer], _ inputShape: [Int]) throws -> [[Int]]? {
        func run(_ shape: [Int]) throws -> [[Int]]? {
            var shapes = [shape]
            var x = Tensor.zeros(shape)
            for layer in layers {
                x = layer(x)
                try GradusError.throwIfRecorded()
                guard x.dtype == .float32 else { return nil }
                shapes.append(x.shape)
            }
            return shapes
        }
        guard let batch = inputShape.first, batch > 1 else { return try run(inputShape) }
        // A model that cannot run one sample may still run the batch it was given.
        // (Its own error scope: a failure here must not be reported by the caller's.)
        if let one = try? GradusError.catching({ try run([1] + inputShape.dropFirst()) }), one.allSatisfy({ $0.first == 1 }) {
            return one.map { [batch] + $0.dropFirst() }
        }
        return try run(inputShape)
    }

    deinit {
        buffers.0.deallocate()
        buffers.1.deallocate()
    }

    /// Whether the model's tensors are still the ones compiled (same tensors, not changed in place),
    /// and the thread count the one it was compiled for. While no module got another tensor
    /// (``Module/structureEpoch`` where it was when last checked), only the versions are compared: the
    /// check costs a few atomic loads per call rather than a read of every layer's properties.
    var isCurrent: Bool {
        guard threads == Threading.count else { return false }
        let epoch = Module.structureEpoch.load(ordering: .acquiring)
        if epoch == checkedEpoch { return sources.allSatisfy(\.isUnchanged) }
        guard sources.allSatisfy(\.isCurrent) else { return false }
        checkedEpoch = epoch
        return true
    }
    /// The structure epoch at which every source was last found current (read and written under the
    /// plan's lock).
    private var checkedEpoch: Int

    /// Runs the steps on a contiguous Float32 `input` of the compiled shape; nil when a layer run as the
    /// model runs it gives a shape other than compiled or a quantized layer meets a non-finite
    /// activation (the caller then runs the model).
    func run(_ input: Tensor) throws -> Tensor? {
        let result = Tensor(uninitializedShape: outputShape, dtype: .float32)
        return try run(input.pointer(Float.self), into: result.pointer(Float.self)) ? result : nil
    }

    /// ``run(_:)`` from the compiled shape's elements at `input` into the output's at `result`; false
    /// when a layer run as the model runs it gives a shape other than compiled, or a quantized layer
    /// meets a non-finite activation.
    func run(_ input: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>) throws -> Bool {
        var current = input
        for (index, (step, shape)) in steps.enumerated() {
            let out = index == steps.count - 1 ? result : (index % 2 == 0 ? buffers.0 : buffers.1)
            switch step {
            case .network(let net):
                OneDNNProduct.allowOpenMPThreads(threads)
                guard net.run(current, into: out) else {
                    throw GradusError(.invalidArgument, "InferencePlan: oneDNN failed to run the step for \(net.inputShape)", op: "InferencePlan")
                }
            case .rows(let rows):
                rows.run(current, into: out)
            case .quantized(let step):
                // A non-finite activation: the model computes this layer in Float32.
                guard step.run(current, rows: shape.first ?? 1, into: out) else { return false }
            case .layer(let layer, let inputShape):
                let x = Tensor(uninitializedShape: inputShape, dtype: .float32)
                x.pointer(Float.self).update(from: current, count: x.count)
                let y = layer(x)
                try GradusError.throwIfRecorded()
                guard y.shape == shape, y.dtype == .float32 else { return false }
                out.update(from: y.pointer(Float.self), count: y.count)
            }
            current = UnsafePointer(out)
        }
        return true
    }
}
