import Foundation

/// Chooses the next token from a language model's logits: temperature, then top-k and top-p (nucleus)
/// filtering, then a draw — the decoding knobs of Hugging Face's `generate` and nanoGPT's `sample.py`.
///
/// Temperature 0 is greedy decoding (the most likely token). Top-k keeps the `k` most likely tokens;
/// top-p keeps the smallest set of most likely tokens whose probabilities reach `p` (always at least
/// one). Filters apply in that order, to the tempered distribution.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let sampler = try TokenSampler(temperature: 0.8, topK: 40, topP: 0.95)
/// let next = try sampler.sample(logits: lastLogits, generator: &rng)    // logits: [vocabulary]
/// ```
public struct TokenSampler: Sendable, Equatable {
    /// Divides the logits; 0 means greedy.
    public var temperature: Double
    /// Keep only the `topK` most likely tokens (nil: all).
    public var topK: Int?
    /// Keep the most likely tokens up to this cumulative probability (nil: all).
    public var topP: Double?

    /// Creates a sampler.
    ///
    /// - Throws: a ``GradusError`` for a negative or non-finite temperature, `topK` below 1, or `topP`
    ///   outside (0, 1].
    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil) throws {
        try Self.check(temperature: temperature, topK: topK, topP: topP)
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// The settings' checks, made again when sampling: the properties can be changed after `init`.
    private static func check(temperature: Double, topK: Int?, topP: Double?) throws {
        try require(temperature >= 0 && temperature.isFinite, "TokenSampler: temperature must be a finite number ≥ 0, got \(temperature)", .invalidArgument)
        if let topK { try require(topK >= 1, "TokenSampler: topK must be at least 1, got \(topK)", .invalidArgument) }
        if let topP { try require(topP > 0 && topP <= 1, "TokenSampler: topP must lie in (0, 1], got \(topP)", .invalidArgument) }
    }

    /// The probabilities the draw uses: tempered softmax of `logits`, filtered and renormalized.
    ///
    /// - Parameter logits: one row of logits, `[vocabulary]`.
    /// - Throws: a ``GradusError`` for logits that are not a non-empty vector of finite numbers, or for
    ///   settings changed after `init` to values it refuses.
    public func probabilities(logits: Tensor) throws -> [Double] {
        try Self.check(temperature: temperature, topK: topK, topP: topP)
        try require(logits.rank == 1 && logits.count > 0, "TokenSampler: logits must be a non-empty vector, got shape \(logits.shape)", .shapeMismatch)
        let z = logits.scalars(as: Double.self)
        if let i = z.firstIndex(where: { !$0.isFinite }) {
            throw GradusError(.invalidArgument, "TokenSampler: logit \(i) is \(z[i]), not finite")
        }
        let order = z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
        if temperature == 0 {
            var p = [Double](repeating: 0, count: z.count)
            p[order[0]] = 1
            return p
        }
        let top = z[order[0]]
        var p = z.map { exp(($0 - top) / temperature) }
        var keep = order
        if let topK { keep = Array(keep.prefix(topK)) }
        if let topP {
            let total = keep.reduce(0) { $0 + p[$1] }
            var cumulative = 0.0, n = 0
            for i in keep {
                cumulative += p[i] / total
                n += 1
                if cumulative >= topP { break }
            }
            keep = Array(keep.prefix(n))
        }
        let kept = Set(keep)
        for i in p.indices where !kept.contains(i) { p[i] = 0 }
        let sum = p.reduce(0, +)
        return p.map { $0 / sum }
    }

    /// Draws the next token.
    ///
    /// - Parameters:
    ///   - logits: one row of logits, `[vocabulary]`.
    ///   - generator: the source of randomness (a seed makes generation reproducible).
    /// - Returns: the token id.
    public func sample(logits: Tensor, generator: inout some RandomNumberGenerator) throws -> Int {
        let p = try probabilities(logits: logits)
        if temperature == 0 { return p.firstIndex(of: 1) ?? 0 }
        let u = Double.random(in: 0..<1, using: &generator)
        var cumulative = 0.0
        for (i, q) in p.enumerated() where q > 0 {
            cumulative += q
            if u < cumulative { return i }
        }
        return p.lastIndex(where: { $0 > 0 }) ?? 0
    }
}
