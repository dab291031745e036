// Connectionist temporal classification (PyTorch's `F.ctc_loss` and `nn.CTCLoss`): the negative log
// probability of a label sequence summed over every alignment of it to the inputs (labels repeated,
// blanks between), by the forward-backward recursions in log space, in Float64 whatever the input's
// dtype. Written here because no Debian or Swift package offers it for our tensors.
//
// The gradient is PyTorch's: exp(log p) − γ for each time step and class, γ the posterior of the class
// at that step. It is the gradient with respect to the logits when the input is their log-softmax (as
// CTC inputs are), which is how PyTorch's own gradient checks compose it; with respect to the
// log-probabilities alone it differs by exp(log p), exactly as PyTorch's does.

#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// The CTC loss of these log-probabilities `[T, N, C]` (or `[T, C]` for one sequence) against
    /// label sequences (PyTorch's `F.ctc_loss`).
    ///
    /// Each sample n uses its first `inputLengths[n]` time steps and its first `targetLengths[n]`
    /// labels. `.mean` divides each sample's loss by its target length (at least 1), then averages over
    /// the batch, as PyTorch does; `.none` gives one loss per sample. An impossible alignment (a target
    /// longer than its input allows) gives an infinite loss, or 0 (and a zero gradient) with
    /// `zeroInfinity` (without it the gradient of such a sample is NaN, as PyTorch's). The targets may
    /// not contain the blank class. The gradient is not differentiable again.
    ///
    /// - Parameters:
    ///   - targets: int64 labels in `0..<C` other than `blank`: `[N, S]` padded (S ≥ every target
    ///     length), or all targets one after another in one dimension (exactly Σ targetLengths of them);
    ///     `[S]` for one sequence, S its target length.
    ///   - inputLengths: the number of time steps of each sample, each in `0...T`.
    ///   - targetLengths: the number of labels of each sample, each ≥ 0.
    ///   - blank: the blank class (default 0).
    ///   - reduction: `.mean` (default), `.sum` or `.none`.
    ///   - zeroInfinity: give infinite losses (and their gradients) as 0.
    ///
    /// ```swift
    /// let logProbs = logits.logSoftmax(axis: 2)          // [T, N, C]
    /// let loss = logProbs.ctcLoss(targets: labels, inputLengths: [50, 42], targetLengths: [12, 9])
    /// ```
    public func ctcLoss(targets: Tensor, inputLengths: [Int], targetLengths: [Int], blank: Int = 0,
                        reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
        checked {
            try requireFloat("ctcLoss")
            try require(rank == 3 || rank == 2, "ctcLoss: log-probabilities must be [T, N, C] or [T, C], got \(shape)", .shapeMismatch)
            let unbatched = rank == 2
            let input = unbatched ? unsqueeze(1) : self
            let (steps, batch, classes) = (input.shape[0], input.shape[1], input.shape[2])
            try require(steps > 0 && batch > 0 && classes > 0, "ctcLoss: log-probabilities must not be empty, got \(shape)", .shapeMismatch)
            try require(targets.dtype == .int64, "ctcLoss: targets must be int64, got \(targets.dtype)", .dtypeMismatch)
            try require(blank >= 0 && blank < classes, "ctcLoss: blank \(blank) is outside the \(classes) classes", .invalidArgument)
            try require(inputLengths.count == batch && targetLengths.count == batch,
                        "ctcLoss: \(inputLengths.count) input lengths and \(targetLengths.count) target lengths for a batch of \(batch)",
                        .shapeMismatch)
            for (n, length) in inputLengths.enumerated() {
                try require(length >= 0 && length <= steps, "ctcLoss: input length \(length) of sample \(n) is outside 0...\(steps)", .invalidArgument)
            }
            for (n, length) in targetLengths.enumerated() {
                try require(length >= 0, "ctcLoss: target length \(length) of sample \(n) is negative", .invalidArgument)
            }
            // Each sample's labels, from the padded or the concatenated form.
            let labels = targets.intScalars
            var sequences: [[Int]] = []
            let padded = !unbatched && targets.rank == 2
            if unbatched {
                try require(targets.rank == 1 && targetLengths[0] == targets.count,
                            "ctcLoss: the targets of one sequence must be [\(targetLengths[0])] (its target length), got \(targets.shape)", .shapeMismatch)
                sequences = [Array(labels.prefix(targetLengths[0]))]
            } else if padded {
                try require(targets.shape[0] == batch, "ctcLoss: padded targets \(targets.shape) must have \(batch) rows", .shapeMismatch)
                let width = targets.shape[1]
                for (n, length) in targetLengths.enumerated() {
                    try require(length <= width, "ctcLoss: target length \(length) of sample \(n) exceeds the padded width \(width)", .shapeMismatch)
                    sequences.append(Array(labels[(n * width)..<(n * width + length)]))
                }
            } else {
                try require(targets.rank == 1, "ctcLoss: targets must be [N, S] or one dimension, got \(targets.shape)", .shapeMismatch)
                var start = 0
                for (n, length) in targetLengths.enumerated() {
                    try require(length <= targets.count - start,
                                "ctcLoss: the concatenated targets (\(targets.count)) end before sample \(n)'s \(length) labels", .shapeMismatch)
                    sequences.append(Array(labels[start..<(start + length)]))
                    start += length
                }
                try require(start == targets.count,
                            "ctcLoss: the concatenated targets hold \(targets.count) labels, the target lengths add up to \(start)", .shapeMismatch)
            }
            for (n, sequence) in sequences.enumerated() {
                if let bad = sequence.first(where: { $0 < 0 || $0 >= classes }) {
                    throw GradusError(.indexOutOfRange, "ctcLoss: label \(bad) of sample \(n) is outside the \(classes) classes")
                }
                try require(!sequence.contains(blank), "ctcLoss: sample \(n)'s targets contain the blank class \(blank) (PyTorch forbids it too)", .invalidArgument)
                // The recursions keep two [steps, 2S + 1] tables of Float64 per sample.
                let (cells, overflow) = inputLengths[n].multipliedReportingOverflow(by: 2 * sequence.count + 1)
                try require(!overflow && cells <= TensorStorage.physicalMemoryBytes / 16,
                            "ctcLoss: sample \(n) (\(inputLengths[n]) steps, \(sequence.count) labels) needs tables larger than this machine's memory",
                            .outOfMemory)
            }
            let needsGradient = GradMode.isEnabled && requiresGrad
            let logProbs = input.to(.float64).scalars(as: Double.self)
            var losses = [Double](repeating: 0, count: batch)
            var gradient = [Double](repeating: 0, count: needsGradient ? steps * batch * classes : 0)
            gradient.withUnsafeMutableBufferPointer { buffer in
                for n in 0..<batch {
                    let (nll, zeroed) = Tensor.ctcSample(logProbs, n: n, steps: inputLengths[n], batch: batch, classes: classes,
                                                         labels: sequences[n], blank: blank, zeroInfinity: zeroInfinity,
                                                         gradient: needsGradient ? buffer.baseAddress : nil)
                    losses[n] = zeroed ? 0 : nll
                }
            }
            let perSample = Tensor(shape: [batch], values: losses, dtype: dtype)
            let divisors = targetLengths.map { Double(Swift.max($0, 1)) }
            let out: Tensor
            switch reduction {
            case .none: out = unbatched ? perSample.reshape([]) : perSample
            case .sum: out = perSample.sum()
            case .mean: out = (perSample / Tensor(shape: [batch], values: divisors, dtype: dtype)).mean()
            }
            guard needsGradient else { return out }
            let base = Tensor(shape: [steps, batch, classes], values: gradient, dtype: dtype)
            let inputShape = shape
            record("ctcLoss", output: out, inputs: [self]) { g, _ in
                // Each sample's share of the upstream gradient, spread over its steps and classes.
                let weights: Tensor
                switch reduction {
                case .none: weights = g.reshape([batch])
                case .sum: weights = g.reshape([1]).expand([batch])
                case .mean:
                    weights = g.reshape([1]) / Tensor(shape: [batch], values: divisors.map { $0 * Double(batch) }, dtype: g.dtype)
                }
                return [(base * weights.reshape([1, batch, 1])).reshape(inputShape)]
            }
            return out
        }
    }

    /// One sample's negative log-likelihood, with PyTorch's gradient (exp(log p) − γ) written into
    /// `gradient` (layout [T, N, C]) for its first `steps` time steps when one is given; `zeroed` when the
    /// loss is infinite and `zeroInfinity` asks for 0 (the gradient is then left at 0).
    static func ctcSample(_ lp: [Double], n: Int, steps: Int, batch: Int, classes: Int, labels: [Int], blank: Int,
                          zeroInfinity: Bool, gradient: UnsafeMutablePointer<Double>?) -> (nll: Double, zeroed: Bool) {
        let width = 2 * labels.count + 1
        func label(_ s: Int) -> Int { s % 2 == 0 ? blank : labels[s / 2] }
        func at(_ t: Int, _ c: Int) -> Int { (t * batch + n) * classes + c }
        func add(_ a: Double, _ b: Double) -> Double {
            if a == -.infinity { return b }
            if b == -.infinity { return a }
            let m = Swift.max(a, b)
            return m + Glibc.log1p(Glibc.exp(-Swift.abs(a - b)))
        }
        if steps == 0 {
            // No time step: only the empty target has an alignment (probability 1).
            let nll = labels.isEmpty ? 0.0 : .infinity
            return (nll, nll == .infinity && zeroInfinity)
        }
        // Whether position s may be reached from s − 2 (a label different from the one two back).
        let skips = (0..<width).map { s in s >= 2 && label(s) != blank && label(s) != label(s - 2) }
        var alpha = [Double](repeating: -.infinity, count: steps * width)
        alpha[0] = lp[at(0, blank)]
        if width > 1 { alpha[1] = lp[at(0, label(1))] }
        for t in 1..<steps {
            for s in 0..<width {
                var a = alpha[(t - 1) * width + s]
                if s > 0 { a = add(a, alpha[(t - 1) * width + s - 1]) }
                if skips[s] { a = add(a, alpha[(t - 1) * width + s - 2]) }
                alpha[t * width + s] = a + lp[at(t, label(s))]
            }
        }
        let last = (steps - 1) * width
        let logLikelihood = width > 1 ? add(alpha[last + width - 1], alpha[last + width - 2]) : alpha[last + width - 1]
        let nll = -logLikelihood
        if nll == .infinity && zeroInfinity { return (nll, true) }
        guard let gradient else { return (nll, false) }

        var beta = [Double](repeating: -.infinity, count: steps * width)
        beta[last + width - 1] = lp[at(steps - 1, blank)]
        if width > 1 { beta[last + width - 2] = lp[at(steps - 1, label(width - 2))] }
        for t in stride(from: steps - 2, through: 0, by: -1) {
            for s in 0..<width {
                var b = beta[(t + 1) * width + s]
                if s + 1 < width { b = add(b, beta[(t + 1) * width + s + 1]) }
                if s + 2 < width && skips[s + 2] { b = add(b, beta[(t + 1) * width + s + 2]) }
                beta[t * width + s] = b + lp[at(t, label(s))]
            }
        }
        var posterior = [Double](repeating: -.infinity, count: classes)
        for t in 0..<steps {
            for c in 0..<classes { posterior[c] = -.infinity }
            for s in 0..<width {
                posterior[label(s)] = add(posterior[label(s)], alpha[t * width + s] + beta[t * width + s])
            }
            for c in 0..<classes {
                let logP = lp[at(t, c)]
                gradient[at(t, c)] = Glibc.exp(logP) - Glibc.exp(posterior[c] + nll - logP)
            }
        }
        return (nll, false)
    }
}

/// The CTC loss as a criterion (PyTorch's `nn.CTCLoss`): for sequence models whose outputs are not
/// aligned with their labels (speech, handwriting).
///
/// ```swift
/// let ctc = CTCLoss(blank: 0, zeroInfinity: true)
/// let loss = ctc(logits.logSoftmax(axis: 2), targets: labels, inputLengths: lengths, targetLengths: labelLengths)
/// ```
public struct CTCLoss: Sendable {
    /// The blank class.
    public var blank: Int
    /// How per-sample losses are combined.
    public var reduction: Reduction
    /// Whether infinite losses (impossible alignments) count as 0.
    public var zeroInfinity: Bool

    /// Creates the criterion.
    /// - Parameters:
    ///   - blank: the blank class (default 0).
    ///   - reduction: `.mean` (default: each loss divided by its target length, then averaged), `.sum` or `.none`.
    ///   - zeroInfinity: give infinite losses and their gradients as 0.
    public init(blank: Int = 0, reduction: Reduction = .mean, zeroInfinity: Bool = false) {
        self.blank = blank
        self.reduction = reduction
        self.zeroInfinity = zeroInfinity
    }

    /// The loss of log-probabilities `[T, N, C]` (or `[T, C]`) against the targets (see
    /// ``Tensor/ctcLoss(targets:inputLengths:targetLengths:blank:reduction:zeroInfinity:)``).
    public func callAsFunction(_ logProbabilities: Tensor, targets: Tensor, inputLengths: [Int], targetLengths: [Int]) -> Tensor {
        logProbabilities.ctcLoss(targets: targets, inputLengths: inputLengths, targetLengths: targetLengths, blank: blank,
                                 reduction: reduction, zeroInfinity: zeroInfinity)
    }
}
