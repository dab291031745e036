/// Values whose tensors hold samples along their first dimension, from which rows can be taken: a
/// ``Tensor``, or a ``TensorGroup`` (every field alike). The inputs and the targets of
/// ``MultiTargetDataset`` are of this kind.
///
/// ```swift
/// let group: TensorGroup = ["digit": labels, "odd": parity]    // each [n]
/// let n = try group.rowCount(op: "example")                     // n
/// let firstTwo = group.selectingRows(Tensor(labels: [0, 1]))   // each [2]
/// ```
public protocol RowSelectable: Collatable {
    /// The number of rows, the size of the first dimension shared by every tensor.
    ///
    /// - Parameter op: the caller, named in the error.
    /// - Throws: ``GradusError`` (`.shapeMismatch`) when a tensor has no first dimension or two tensors
    ///   have different first dimensions, naming them; `.invalidArgument` for a group without fields.
    func rowCount(op: String) throws -> Int
    /// Row `index` of every tensor (the first dimension removed).
    func selectingRow(_ index: Int) -> Self
    /// The rows `index` (an int64 tensor of row numbers) of every tensor, gathered in one pass.
    func selectingRows(_ index: Tensor) -> Self
    /// The same rows, cut from any recorded graph (``Tensor/detach()``).
    func detachingRows() -> Self
}

extension Tensor: RowSelectable {
    /// The size of the first dimension; a scalar has none.
    public func rowCount(op: String) throws -> Int {
        try require(rank >= 1, "\(op): a tensor of shape \(shape) has no first dimension to index the samples", .shapeMismatch)
        return shape[0]
    }

    /// `select(axis: 0, index: index)`.
    public func selectingRow(_ index: Int) -> Tensor { select(axis: 0, index: index) }

    /// `indexSelect(axis: 0, index: index)`.
    public func selectingRows(_ index: Tensor) -> Tensor { indexSelect(axis: 0, index: index) }

    /// ``detach()``.
    public func detachingRows() -> Tensor { detach() }
}

extension TensorGroup: RowSelectable {
    /// The first dimension shared by every field.
    public func rowCount(op: String) throws -> Int {
        try require(!isEmpty, "\(op): needs at least one named tensor")
        var rows: Int? = nil
        for (name, tensor) in self {
            try require(tensor.rank >= 1, "\(op): \"\(name)\" of shape \(tensor.shape) has no first dimension to index the samples",
                        .shapeMismatch)
            if let rows {
                try require(tensor.shape[0] == rows,
                            "\(op): \"\(name)\" of shape \(tensor.shape) has \(tensor.shape[0]) rows but \"\(names[0])\" has \(rows); "
                            + "every tensor must hold the same samples along its first dimension", .shapeMismatch)
            }
            rows = tensor.shape[0]
        }
        return rows!
    }

    /// Row `index` of every field.
    public func selectingRow(_ index: Int) -> TensorGroup { mapTensors { $0.select(axis: 0, index: index) } }

    /// Rows `index` of every field, each gathered in one pass.
    public func selectingRows(_ index: Tensor) -> TensorGroup { mapTensors { $0.indexSelect(axis: 0, index: index) } }

    /// Every field detached.
    public func detachingRows() -> TensorGroup { mapTensors { $0.detach() } }
}
