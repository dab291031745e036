/// The keys and values that one self-attention layer has computed for the tokens seen so far, kept so
/// that decoding one more token projects only that token and attends over the stored rest: generating
/// N tokens costs N steps instead of re-running the whole prefix each time (N² work).
///
/// A cache belongs to one layer and one sequence batch; ``MultiheadAttention/selfAttention(_:cache:)``
/// fills it. ``removeAll()`` starts a new sequence.
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

    /// Forgets every position (a new sequence starts).
    public mutating func removeAll() {
        keys = nil
        values = nil
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
