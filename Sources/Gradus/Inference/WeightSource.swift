/// A model tensor that compiled weights were read from: the tensor a layer holds now must still be
/// the same, at the same version.
struct WeightSource {
    let read: () -> Tensor?
    let storage: TensorStorage?
    let version: Int

    init(_ read: @escaping () -> Tensor?) {
        self.read = read
        let tensor = read()
        storage = tensor?.storage
        version = tensor?.storage.version ?? 0
    }

    /// Whether the layer still holds the tensor read, unchanged.
    var isCurrent: Bool {
        let tensor = read()
        return tensor?.storage === storage && (tensor?.storage.version ?? 0) == version
    }

    /// Whether the tensor read is unchanged, when the layer is known to hold it still (no module's
    /// ``Parameter`` or ``Buffer`` got another tensor since: ``Module/structureEpoch``). One atomic load,
    /// where ``isCurrent`` reads the layer's property through a closure.
    var isUnchanged: Bool { (storage?.version ?? 0) == version }
}
