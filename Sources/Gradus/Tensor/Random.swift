import Synchronization

/// A fast, seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same numbers on every run and machine.
///
/// Its ``state`` can be saved and restored, so that a resumed training run draws the same numbers as an
/// uninterrupted one.
///
/// ```swift
/// var rng = SeededGenerator(seed: 42)
/// let w = Tensor.normal([3, 3], generator: &rng)
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four 64-bit words of the generator's state.
    public var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator seeded with `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// A generator restored from a saved ``state``.
    public init(state: [UInt64]) {
        let state = validSetting(state.count == 4, "SeededGenerator(state:): needs 4 words, got \(state.count)")
            ? state : SeededGenerator(seed: 0).stateWords
        self.state = (state[0], state[1], state[2], state[3])
    }

    /// The state as an array of four words, for saving.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.stateWords == b.stateWords }
}

/// The default generator, used when no generator is passed (like `torch.manual_seed`): one for the
/// whole process, or a private one inside ``withSeed(_:_:)``.
///
/// ```swift
/// Random.manualSeed(0)
/// let x = Tensor.uniform([4])   // same values on every run
/// ```
public enum Random {
    private static let shared = Locked(SeededGenerator(seed: 0x5EED))

    /// The generator of an enclosing ``withSeed(_:_:)``. Locked, because tasks created inside the scope
    /// inherit it and may draw concurrently.
    private final class Scoped: Sendable {
        let generator: Locked<SeededGenerator>
        init(_ generator: SeededGenerator) { self.generator = Locked(generator) }
    }

    @TaskLocal private static var scoped: Scoped?

    /// Reseeds the default generator (inside ``withSeed(_:_:)``, the scope's own).
    public static func manualSeed(_ seed: UInt64) {
        withDefault { $0 = SeededGenerator(seed: seed) }
    }

    /// The default generator's state, to save with a checkpoint (inside ``withSeed(_:_:)``, the
    /// scope's own).
    public static var state: [UInt64] {
        get { withDefault { $0.stateWords } }
        set { withDefault { $0 = SeededGenerator(state: newValue) } }
    }

    /// Runs `body` with exclusive use of the default generator.
    public static func withDefault<R>(_ body: (inout SeededGenerator) throws -> R) rethrows -> R {
        if let scope = scoped { return try scope.generator.withLock { try body(&$0) } }
        return try shared.withLock { try body(&$0) }
    }

    /// Runs `body` with a private default generator seeded with `seed` (PyTorch's `fork_rng` followed
    /// by `manual_seed`): everything in `body` that draws without an explicit generator (layer
    /// initializers, dropout, ``manualSeed(_:)``, ``state``) uses it, on this task or thread (and tasks
    /// created inside, which inherit it) only. Other threads, Gradus's worker threads among them, keep
    /// the process-wide generator, and its state is left untouched, so the numbers drawn inside do not
    /// depend on what runs concurrently.
    ///
    /// - Parameters:
    ///   - seed: the seed of the private generator.
    ///   - body: the work that draws from it.
    ///
    /// ```swift
    /// let a = Random.withSeed(7) { Linear(4, 2) }
    /// let b = Random.withSeed(7) { Linear(4, 2) }   // same weights as a
    /// ```
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(Scoped(SeededGenerator(seed: seed))) { try body() }
    }
}

extension Tensor {
    static func fill(_ shape: [Int], dtype: DType, _ draw: () -> Double) throws -> Tensor {
        try require(dtype.isFloatingPoint, "random tensors need a floating-point dtype, got \(dtype)", .dtypeMismatch)
        let t = try Tensor(checkedShape: shape, dtype: dtype, op: "random tensor")
        switch dtype {
        case .float32: let p = t.pointer(Float.self); for i in 0..<t.count { p[i] = Float(draw()) }
        case .float64: let p = t.pointer(Double.self); for i in 0..<t.count { p[i] = draw() }
        case .int64: break
        }
        return t
    }

    /// Uniform random values in [`low`, `high`).
    ///
    /// - Parameters:
    ///   - shape: the size of each dimension.
    ///   - low: the smallest value (included).
    ///   - high: the bound (excluded).
    ///   - dtype: the element type (floating point).
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let w = Tensor.uniform([3, 4], low: -0.5, high: 0.5, generator: &rng)
    /// ```
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               generator: inout SeededGenerator) -> Tensor {
        checkedEvenAfterFailure {
            let t = try fill(shape, dtype: dtype) { low + (high - low) * generator.nextUnit() }
            // A draw just below 1 can round up to `high` in the element type (Float32 holds 24 bits of the
            // 53 drawn): such values become the largest one below `high`, so the bound stays excluded
            // (as PyTorch's) while every other value is the one drawn.
            guard high > low else { return t }
            switch dtype {
            case .float32:
                let (p, top) = (t.pointer(Float.self), Float(high))
                let below = Swift.max(top.nextDown, Float(low))
                for i in 0..<t.count where p[i] >= top { p[i] = below }
            case .float64:
                let p = t.pointer(Double.self)
                for i in 0..<t.count where p[i] >= high { p[i] = Swift.max(high.nextDown, low) }
            case .int64: break
            }
            return t
        }
    }

    /// Uniform random values in [`low`, `high`) from the default generator (see ``Random``).
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32) -> Tensor {
        Random.withDefault { uniform(shape, low: low, high: high, dtype: dtype, generator: &$0) }
    }

    /// Normally distributed random values (Box-Muller).
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let noise = Tensor.normal([100], mean: 0, std: 0.1, generator: &rng)
    /// ```
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                              generator: inout SeededGenerator) -> Tensor {
        checkedEvenAfterFailure {
            var spare: Double? = nil
            return try fill(shape, dtype: dtype) {
                if let s = spare { spare = nil; return mean + std * s }
                var u1 = generator.nextUnit()
                while u1 <= Double.leastNormalMagnitude { u1 = generator.nextUnit() }
                let u2 = generator.nextUnit()
                let r = (-2 * Double.log(u1)).squareRoot()
                spare = r * Double.sin(2 * Double.pi * u2)
                return mean + std * r * Double.cos(2 * Double.pi * u2)
            }
        }
    }

    /// Normally distributed random values from the default generator (see ``Random``).
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32) -> Tensor {
        Random.withDefault { normal(shape, mean: mean, std: std, dtype: dtype, generator: &$0) }
    }

    /// Ones with probability `p`, zeros otherwise.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let keep = Tensor.bernoulli([10], p: 0.8, generator: &rng)
    /// ```
    public static func bernoulli(_ shape: [Int], p: Double, dtype: DType = .float32,
                                 generator: inout SeededGenerator) -> Tensor {
        checkedEvenAfterFailure {
            try require(p >= 0 && p <= 1, "bernoulli: p must be in [0, 1], got \(p)")
            return try fill(shape, dtype: dtype) { generator.nextUnit() < p ? 1 : 0 }
        }
    }

    /// Ones with probability `p` from the default generator (see ``Random``).
    public static func bernoulli(_ shape: [Int], p: Double, dtype: DType = .float32) -> Tensor {
        Random.withDefault { bernoulli(shape, p: p, dtype: dtype, generator: &$0) }
    }

    /// Ones with probability given by each element of `probabilities`, zeros otherwise, in its shape and
    /// floating-point type (PyTorch's `torch.bernoulli(input)`). Every probability must lie in [0, 1]
    /// (NaN is refused). A sample: it carries no gradient.
    ///
    /// - Parameters:
    ///   - probabilities: the probability of a one at each position.
    ///   - generator: the source of randomness.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let draws = Tensor.bernoulli(Tensor([0.1, 0.9]), generator: &rng)
    /// ```
    public static func bernoulli(_ probabilities: Tensor, generator: inout SeededGenerator) -> Tensor {
        checked {
            try require(probabilities.dtype.isFloatingPoint,
                        "bernoulli: probabilities must be floating point, got \(probabilities.dtype)", .dtypeMismatch)
            let p = probabilities.detach().contiguous().scalars(as: Double.self)
            if let bad = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                throw GradusError(.invalidArgument, "bernoulli: probability \(p[bad]) at flat position \(bad) is outside [0, 1]")
            }
            var k = 0
            return try fill(probabilities.shape, dtype: probabilities.dtype) {
                defer { k += 1 }
                return generator.nextUnit() < p[k] ? 1 : 0
            }
        }
    }

    /// ``bernoulli(_:generator:)`` from the default generator (see ``Random``).
    ///
    /// ```swift
    /// let mask = Tensor.bernoulli(keepProbabilities)
    /// ```
    public static func bernoulli(_ probabilities: Tensor) -> Tensor {
        Random.withDefault { bernoulli(probabilities, generator: &$0) }
    }

    /// Random integers in [`low`, `high`) as an `int64` tensor.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: 1)
    /// let labels = Tensor.randint(0, 10, shape: [64], generator: &rng)
    /// ```
    public static func randint(_ low: Int, _ high: Int, shape: [Int], generator: inout SeededGenerator) -> Tensor {
        checkedEvenAfterFailure {
            try require(high > low, "randint: high (\(high)) must exceed low (\(low))")
            let t = try Tensor(checkedShape: shape, dtype: .int64, op: "randint")
            let p = t.pointer(Int64.self)
            for i in 0..<t.count { p[i] = Int64(Int.random(in: low..<high, using: &generator)) }
            return t
        }
    }

    /// A random permutation of `0..<n` (for shuffling).
    public static func randperm(_ n: Int, generator: inout SeededGenerator) -> [Int] {
        checkedEvenAfterFailure(or: []) {
            try require(n >= 0, "randperm: n must not be negative, got \(n)")
            var a = Array(0..<n)
            a.shuffle(using: &generator)
            return a
        }
    }
}
