/// A module that gives several named outputs (a ``TensorGroup``) for one input: a shared body with a
/// head per task, such as a digit's class and whether it is odd, or an object's class and its box.
///
/// Its ``Input`` is a ``Tensor`` (the default) or a ``TensorGroup`` for models that also take several
/// inputs. ``Trainer`` trains such a model with one ``OutputHead`` per output, each with its task
/// (classification, regression) and weight: the loss minimized is the weighted sum of the outputs'
/// losses (Keras's `loss_weights`), and metrics are reported per output (``OutputMetrics``). The data's
/// targets name the same outputs (``MultiTargetDataset``).
///
/// ```swift
/// final class DigitAndParity: Module, MultiOutputLayer {
///     let body: Sequential
///     let digit: Linear
///     let odd: Linear
///
///     init(generator rng: inout SeededGenerator) {
///         body = Sequential { Linear(64, 128, generator: &rng); ReLU() }
///         digit = Linear(128, 10, generator: &rng)
///         odd = Linear(128, 2, generator: &rng)
///     }
///
///     func callAsFunction(_ x: Tensor) -> TensorGroup {
///         let h = body(x)
///         return ["digit": digit(h), "odd": odd(h)]
///     }
/// }
///
/// var rng = SeededGenerator(seed: 0)
/// let model = DigitAndParity(generator: &rng)
/// let (images, labels) = try Digits.load()
/// let odd = Tensor(labels: labels.intScalars.map { $0 % 2 })
/// let data = try MultiTargetDataset(images, targets: ["digit": labels, "odd": odd])
/// let trainer = try Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3),
///                       outputs: [OutputHead("digit", task: .classify), OutputHead("odd", task: .classify, weight: 0.5)])
/// try trainer.fit(train: data, epochs: 10, batchSize: 32)
/// ```
public protocol MultiOutputLayer<Input>: Module {
    /// What the model takes: a ``Tensor`` (the default) or named tensors (``TensorGroup``).
    associatedtype Input: Collatable = Tensor

    /// Applies the model to a batch.
    ///
    /// - Parameter inputs: the batch, `[N, ...]` (each tensor).
    /// - Returns: the named outputs, each `[N, ...]`.
    func callAsFunction(_ inputs: Input) -> TensorGroup
}
