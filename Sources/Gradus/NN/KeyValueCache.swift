/// The keys and values that one self-attention layer has computed for the tokens seen so far, kept so
/// that decoding one more token projects only that token and attends over the stored rest: generating
/// N tokens costs N steps instead of re-running the whole prefix each time (N² work).
///
/// A cache belongs to one layer and one sequence batch; ``MultiheadAttention/selfAttention(_:cache:keyPaddingMask:)``
/// fills it. ``removeAll()`` starts a new sequence. In a ``TransformerDecoderLayer`` the cache also keeps
/// the cross-attention's projection of the memory (its keys and values), made at the first step and
/// reused while the same memory tensor, unchanged, comes back with unchanged projection weights; it is
/// kept only where nothing records gradients through it (generation under ``GradMode/noGrad(_:)``).
///
/// ```swift
/// var cache = KeyValueCache()
/// let first = attention.selfAttention(prompt, cache: &cache)      // [N, T, E], cache.length == T
/// let next = attention.selfAttention(oneToken, cache: &cache)     // [N, 1, E], cache.length == T + 1
/// ```
public struct KeyValueCache {
    /// The keys, `[N·H, S, headDim]` (nil before the first call).
    public internal(set) var keys: Tensor?
    /// The values, `[N·H, S, headDim]` (nil before the first call).
    public internal(set) var values: Tensor?

    /// An empty cache.
    public init() {}

    /// The number of positions stored.
    public var length: Int { keys.map { $0.rank == 3 ? $0.shape[1] : 0 } ?? 0 }

    /// The cross-attention's keys and values of a decoder's memory, with what they were computed from.
    var memory: ProjectedMemory?

    /// The number of memory positions whose projected keys and values the cache holds for a
    /// ``TransformerDecoderLayer``'s attention to the memory (0 before its first step, or where they are
    /// not kept because gradients are recorded through them).
    public var projectedMemoryLength: Int { memory.map { $0.heads.keys.rank == 3 ? $0.heads.keys.shape[1] : 0 } ?? 0 }

    /// Forgets every position (a new sequence starts).
    public mutating func removeAll() {
        keys = nil
        values = nil
        memory = nil
    }

    /// Appends new keys and values (`[N·H, T, d]`) and returns all of them; leaves the cache as it was
    /// when the concatenation fails (the error is thrown).
    mutating func append(keys newKeys: Tensor, values newValues: Tensor) throws -> (keys: Tensor, values: Tensor) {
        let k = keys.map { Tensor.concatenate([$0, newKeys], axis: 1) } ?? newKeys
        let v = values.map { Tensor.concatenate([$0, newValues], axis: 1) } ?? newValues
        try GradusError.throwIfRecorded()
        keys = k
        values = v
        return (k, v)
    }
}

/// Key and value heads handed between calls of ``MultiheadAttention``'s attention (see
/// `MultiheadAttention.attend(query:key:value:...projected:)`).
final class ProjectedHeads {
    var heads: (keys: Tensor, values: Tensor)?
    init(_ heads: (keys: Tensor, values: Tensor)? = nil) { self.heads = heads }
}

/// A cross-attention's key and value heads of a memory, and what they were computed from: the layer, the
/// memory tensor and the projection parameters, each at its storage version (the tensors held, so that
/// their identity cannot pass to others). Any change of those projects the memory again.
struct ProjectedMemory {
    weak var layer: MultiheadAttention?
    let memory: Tensor
    let memoryVersion: Int
    let parameters: [Tensor?]
    let parameterVersions: [Int]
    let heads: (keys: Tensor, values: Tensor)

    init(layer: MultiheadAttention, memory: Tensor, heads: (keys: Tensor, values: Tensor)) {
        self.layer = layer
        self.memory = memory
        memoryVersion = memory.storage.version
        parameters = Self.parameters(layer)
        parameterVersions = parameters.map { $0?.storage.version ?? 0 }
        self.heads = heads
    }

    /// Whether these heads are `layer`'s projection of `memory` as they are now.
    func matches(_ memory: Tensor, _ layer: MultiheadAttention) -> Bool {
        guard self.layer === layer, memory === self.memory, memory.storage.version == memoryVersion else { return false }
        let now = Self.parameters(layer)
        return zip(now, parameters).allSatisfy { $0 === $1 } && now.map { $0?.storage.version ?? 0 } == parameterVersions
    }

    /// The parameters `layer` projects keys and values with.
    static func parameters(_ layer: MultiheadAttention) -> [Tensor?] {
        [layer.inProjWeight, layer.kProjWeight, layer.vProjWeight, layer.inProjBias]
    }
}
