// Coordinate grids from vectors (PyTorch's `torch.meshgrid`). Each grid is a view of its vector,
// reshaped and expanded, so nothing is copied and gradients sum back over the grid.

/// How ``Tensor/meshgrid(_:indexing:)`` orders the grid's first two dimensions.
public enum MeshgridIndexing: Sendable {
    /// Matrix indexing (PyTorch's default, `indexing="ij"`): dimension i of every grid follows tensor i.
    case ij
    /// Cartesian indexing (`indexing="xy"`, NumPy's default): the first two dimensions are swapped, so
    /// that the first tensor varies along the columns.
    case xy
}

extension Tensor {
    /// Grids of coordinates from N vectors (PyTorch's `torch.meshgrid`): grid i has one dimension per
    /// vector and repeats vector i along its own dimension.
    ///
    /// Each input is 1-D (a scalar counts as one element); each grid keeps its input's dtype (PyTorch
    /// requires one dtype for all) and is a view of it (write into a copy, not into the grid).
    ///
    /// - Parameters:
    ///   - tensors: the coordinate vectors, at least one.
    ///   - indexing: `.ij` (default): grids of shape `[n0, n1, …]`; `.xy`: `[n1, n0, …]`.
    /// - Returns: one grid per input, all of the same shape.
    ///
    /// ```swift
    /// let g = Tensor.meshgrid([Tensor([1.0, 2, 3]), Tensor([10.0, 20])])
    /// // g[0]: [[1, 1], [2, 2], [3, 3]]; g[1]: [[10, 20], [10, 20], [10, 20]]
    /// ```
    public static func meshgrid(_ tensors: [Tensor], indexing: MeshgridIndexing = .ij) -> [Tensor] {
        checked(or: tensors.map { _ in Tensor.placeholder() }) {
            try require(!tensors.isEmpty, "meshgrid: needs at least one tensor", .invalidArgument)
            for (i, t) in tensors.enumerated() {
                try require(t.rank <= 1, "meshgrid: tensor \(i) must be 0-D or 1-D, got shape \(t.shape)", .shapeMismatch)
            }
            var position = Array(tensors.indices)
            if indexing == .xy && tensors.count >= 2 { position.swapAt(0, 1) }
            var gridShape = [Int](repeating: 1, count: tensors.count)
            for (i, t) in tensors.enumerated() { gridShape[position[i]] = t.count }
            _ = try Tensor.elementCount(gridShape, op: "meshgrid")
            return tensors.enumerated().map { i, t in
                var lineShape = [Int](repeating: 1, count: tensors.count)
                lineShape[position[i]] = t.count
                return t.reshape(lineShape).expand(gridShape)
            }
        }
    }
}
