/// The parameters as one flat vector (PyTorch's `nn.utils.parameters_to_vector`): each flattened, in
/// order, concatenated. Differentiable; the vector does not share memory with the parameters.
///
/// - Parameter parameters: the tensors, all of one dtype (e.g. `model.parameters()`).
/// - Returns: a `[Σ count]` tensor.
///
/// ```swift
/// let flat = parametersToVector(model.parameters())
/// let norm = flat.square().sum().sqrt()
/// ```
public func parametersToVector(_ parameters: [Tensor]) -> Tensor {
    checked {
        guard let first = parameters.first else { return Tensor.zeros([0]) }
        for (i, p) in parameters.enumerated() {
            try require(p.dtype == first.dtype, "parametersToVector: parameter \(i) is \(p.dtype), parameter 0 \(first.dtype)", .dtypeMismatch)
        }
        return Tensor.concatenate(parameters.map { $0.reshape([-1]) }, axis: 0)
    }
}

/// Copies consecutive slices of `vector` into the parameters, in place and without recording (PyTorch's
/// `nn.utils.vector_to_parameters`): the inverse of ``parametersToVector(_:)``.
///
/// - Parameters:
///   - vector: a 1-D tensor of exactly as many elements as the parameters hold together.
///   - parameters: the tensors to overwrite (e.g. `model.parameters()`); each keeps its dtype.
/// - Throws: ``GradusError`` when `vector` is not 1-D or its length is not the parameters' total; nothing
///   is written then.
///
/// ```swift
/// try vectorToParameters(averagedWeights, model.parameters())
/// ```
public func vectorToParameters(_ vector: Tensor, _ parameters: [Tensor]) throws {
    try GradusError.catching {
        try require(vector.rank == 1, "vectorToParameters: the vector must be 1-D, got shape \(vector.shape)", .shapeMismatch)
        var total = 0
        for p in parameters {
            let (sum, overflow) = total.addingReportingOverflow(p.count)
            try require(!overflow, "vectorToParameters: the parameters hold more elements than a vector can", .shapeMismatch)
            total = sum
        }
        try require(vector.count == total,
                    "vectorToParameters: the vector has \(vector.count) elements, the \(parameters.count) parameters hold \(total)",
                    .shapeMismatch)
        var start = 0
        GradMode.noGrad {
            for p in parameters {
                _ = p.assign(vector.slice(axis: 0, start: start, end: start + p.count).reshape(p.shape).to(p.dtype))
                start += p.count
            }
        }
    }
}
