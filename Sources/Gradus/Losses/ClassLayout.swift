// Shared by the classification losses: moves the class axis (axis 1) last and flattens the rest, so
// that [N, C, d1, …] scores with [N, d1, …] labels become [M, C] rows with [M] labels.

extension Tensor {
    /// Scores as `[M, C]` rows and labels as `[M]`, with the shape that per-row losses take for
    /// `.none` (the labels' shape).
    func classRows(_ target: Tensor, op: String) throws -> (rows: Tensor, labels: Tensor, outShape: [Int]) {
        try require(target.dtype == .int64,
                     "\(op): class-index targets must be int64, got \(target.dtype) of shape \(target.shape)", .dtypeMismatch)
        switch rank {
        case 1:
            try require(target.rank == 0 || target.shape == [1],
                         "\(op): scores of shape \(shape) need one label (shape []), got shape \(target.shape)", .shapeMismatch)
            return (unsqueeze(0), target.reshape([1]), target.shape)
        case 2:
            try require(target.shape == [shape[0]],
                         "\(op): scores of shape \(shape) need labels of shape [\(shape[0])], got \(target.shape)", .shapeMismatch)
            return (self, target, target.shape)
        default:
            try require(rank >= 2, "\(op): scores must have rank ≥ 1, got shape \(shape)", .shapeMismatch)
            try require(shape[1] > 0, "\(op): scores of shape \(shape) have no classes (dimension 1 is 0)", .shapeMismatch)
            let expected = [shape[0]] + Array(shape[2...])
            try require(target.shape == expected,
                         "\(op): scores of shape \(shape) need labels of shape \(expected), got \(target.shape)", .shapeMismatch)
            let perm = [0] + Array(2..<rank) + [1]
            let rows = permute(perm).reshape([-1, shape[1]])
            return (rows, target.reshape([-1]), target.shape)
        }
    }

    /// Per-class weights as Doubles, checked against the number of classes.
    static func classWeights(_ weight: Tensor?, classes: Int, op: String) throws -> [Double]? {
        guard let weight else { return nil }
        try require(weight.shape == [classes],
                     "\(op): weight must have shape [\(classes)] (one per class), got \(weight.shape)", .shapeMismatch)
        return weight.scalars(as: Double.self)
    }
}
