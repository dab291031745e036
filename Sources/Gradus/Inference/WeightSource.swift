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

    var isCurrent: Bool {
        let tensor = read()
        return tensor?.storage === storage && (tensor?.storage.version ?? 0) == version
    }
}
