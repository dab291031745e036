/// A module called with several named tensors (a ``TensorGroup``), giving one tensor: a model with
/// more than one input, such as an image together with a vector of measurements, or tokens with a mask.
///
/// It reads its inputs by name (``TensorGroup/subscript(_:)``); a missing name is a ``GradusError``
/// naming it. ``GroupDataset`` and ``DataLoader`` give such groups batch by batch, and ``Trainer``
/// trains and evaluates these models as it does a ``Layer``.
///
/// Late fusion: each input goes through its own branch, and the branches' outputs are concatenated
/// before a common head.
///
/// ```swift
/// final class ImageAndFeatures: Module, MultiInputLayer {
///     let image: Sequential
///     let features: Linear
///     let head: Sequential
///
///     init(generator rng: inout SeededGenerator) {
///         image = Sequential {                           // [N, 1, 8, 8] -> [N, 16]
///             Conv2d(1, 4, kernelSize: 3, padding: 1, generator: &rng)
///             ReLU()
///             Flatten()
///             Linear(4 * 8 * 8, 16, generator: &rng)
///             ReLU()
///         }
///         features = Linear(3, 16, generator: &rng)      // [N, 3] -> [N, 16]
///         head = Sequential {
///             Linear(32, 32, generator: &rng)
///             ReLU()
///             Linear(32, 2, generator: &rng)
///         }
///     }
///
///     func callAsFunction(_ inputs: TensorGroup) -> Tensor {
///         let a = image(inputs["image"])
///         let b = features(inputs["features"]).relu()
///         return head(Tensor.concatenate([a, b], axis: 1))
///     }
/// }
///
/// var rng = SeededGenerator(seed: 0)
/// let model = ImageAndFeatures(generator: &rng)
/// let data = try GroupDataset(["image": images, "features": measurements], labels)
/// let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3))
/// try trainer.fit(train: data, epochs: 10, batchSize: 32)
/// ```
public protocol MultiInputLayer: Module {
    /// Applies the model to named inputs, each `[N, ...]` with the same batch size `N`.
    ///
    /// - Parameter inputs: the named input tensors.
    /// - Returns: the output, `[N, ...]`.
    func callAsFunction(_ inputs: TensorGroup) -> Tensor
}
