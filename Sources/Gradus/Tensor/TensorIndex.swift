/// One entry of a multi-dimensional subscript `x[i, j, …]`: PyTorch's (and NumPy's) basic and advanced
/// indexing.
///
/// Write the entries as Swift values — an `Int` picks one element of a dimension and removes it, a range
/// (`1..<3`, `2...`, `..<4`, `1...2`) keeps a part of it — or with the cases below: ``all`` (`:`),
/// ``slice(_:_:step:)`` (`start:end:step`), ``newAxis`` (`None`), ``ellipsis`` (`...`), an int64 tensor
/// of indices, and ``mask(_:)`` for a tensor of 0/1 (PyTorch's boolean masks; Gradus has no bool dtype).
///
/// ```swift
/// let x = Tensor.arange(0, 24).reshape([2, 3, 4])
/// x[0, 1..<3]                                 // [2, 4], a view
/// x[.ellipsis, .slice(step: 2)]               // [2, 3, 2]: every other column
/// x[.all, Tensor(labels: [2, 0])]             // [2, 2, 4]: rows 2 and 0 of each matrix, a copy
/// x[.mask(x.gt(20.0))]                        // [3]: the elements above 20
/// ```
public struct TensorIndex: Sendable {
    /// What the entry does.
    enum Kind: Sendable {
        case at(Int)
        case range(start: Int?, end: Int?, step: Int)
        case newAxis
        case ellipsis
        case indices(Tensor)
        case mask(Tensor)
        /// A rank-0 mask, after expansion: a new dimension of size 1 (true) or 0 (false).
        case scalarMask(Bool)
    }

    let kind: Kind

    /// The number of dimensions of the indexed tensor this entry consumes.
    var consumedDimensions: Int {
        switch kind {
        case .at, .range, .indices: return 1
        case .mask(let m): return m.rank
        case .newAxis, .ellipsis, .scalarMask: return 0
        }
    }

    /// Whether the entry is an index tensor or a mask (advanced indexing: the result is a copy).
    var isAdvanced: Bool {
        switch kind {
        case .indices, .mask: return true
        default: return false
        }
    }
}

// The entries are static members of the protocol (for `Self == TensorIndex`), so that `.all` and the
// others can be written inside a subscript whose entries are `any TensorIndexExpression`.
extension TensorIndexExpression where Self == TensorIndex {
    /// One position of a dimension (negative counts from the end); the dimension is removed. A plain
    /// `Int` in a subscript means the same.
    public static func at(_ position: Int) -> TensorIndex { TensorIndex(kind: .at(position)) }

    /// A whole dimension (PyTorch's `:`).
    public static var all: TensorIndex { TensorIndex(kind: .range(start: nil, end: nil, step: 1)) }

    /// A Python slice `start:end:step`: positions `start..<end` in steps of `step` (> 0); nil bounds are
    /// the dimension's ends, negative bounds count from the end, bounds out of range are clipped.
    ///
    /// ```swift
    /// x[.slice(1, nil, step: 2)]   // x[1::2]
    /// ```
    public static func slice(_ start: Int? = nil, _ end: Int? = nil, step: Int = 1) -> TensorIndex {
        TensorIndex(kind: .range(start: start, end: end, step: step))
    }

    /// A new dimension of size 1 (PyTorch's `None`).
    public static var newAxis: TensorIndex { TensorIndex(kind: .newAxis) }

    /// As many whole dimensions as the other entries leave (PyTorch's `...`); at most one per subscript.
    public static var ellipsis: TensorIndex { TensorIndex(kind: .ellipsis) }

    /// Advanced indexing by an int64 tensor: the positions it holds along one dimension, in the shape of
    /// the tensor (broadcast with the subscript's other index tensors). The result is a copy. An int64
    /// tensor in a subscript means the same.
    public static func indices(_ positions: Tensor) -> TensorIndex { TensorIndex(kind: .indices(positions)) }

    /// Advanced indexing by a mask over as many dimensions as its rank: the positions where it is not 0,
    /// as PyTorch's boolean masks (Gradus has no bool dtype; comparisons give 0/1).
    public static func mask(_ mask: Tensor) -> TensorIndex { TensorIndex(kind: .mask(mask)) }
}

/// A value that can stand in a tensor subscript: `Int`, the integer ranges, a ``TensorIndex`` or an
/// int64 ``Tensor`` of indices.
public protocol TensorIndexExpression {
    /// The entry it stands for.
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexExpression {
    public var tensorIndex: TensorIndex { self }
}

extension Int: TensorIndexExpression {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .at(self)) }
}

extension Range: TensorIndexExpression where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: lowerBound, end: upperBound, step: 1)) }
}

extension ClosedRange: TensorIndexExpression where Bound == Int {
    // upperBound + 1 saturates: a closed range up to Int.max keeps everything from lowerBound on.
    public var tensorIndex: TensorIndex {
        TensorIndex(kind: .range(start: lowerBound, end: upperBound == .max || upperBound == -1 ? nil : upperBound + 1, step: 1))
    }
}

extension PartialRangeFrom: TensorIndexExpression where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: lowerBound, end: nil, step: 1)) }
}

extension PartialRangeUpTo: TensorIndexExpression where Bound == Int {
    public var tensorIndex: TensorIndex { TensorIndex(kind: .range(start: nil, end: upperBound, step: 1)) }
}

extension PartialRangeThrough: TensorIndexExpression where Bound == Int {
    public var tensorIndex: TensorIndex {
        TensorIndex(kind: .range(start: nil, end: upperBound == .max || upperBound == -1 ? nil : upperBound + 1, step: 1))
    }
}

extension Tensor: TensorIndexExpression {
    /// An int64 tensor as a subscript entry: advanced indexing by its values (``TensorIndex/indices(_:)``).
    public var tensorIndex: TensorIndex { TensorIndex(kind: .indices(self)) }
}
