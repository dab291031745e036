/// The result of ``GradCheck/check(inputs:epsilon:absoluteTolerance:relativeTolerance:seed:_:)``: for
/// each input, the largest difference between the analytic gradient and central finite differences.
public struct GradCheckReport: Sendable, CustomStringConvertible {
    /// Per input: the largest absolute error, the largest error relative to the numeric value, and the
    /// flat index where the largest absolute error occurred.
    public struct Entry: Sendable {
        public let maxAbsoluteError: Double
        public let maxRelativeError: Double
        public let worstIndex: Int
        public let passed: Bool
    }

    /// One entry per input, in order.
    public let entries: [Entry]

    /// Whether every input's gradient agreed within the tolerances.
    public var passed: Bool { entries.allSatisfy(\.passed) }

    public var description: String {
        entries.enumerated().map { i, e in
            "input \(i): max abs error \(e.maxAbsoluteError), max rel error \(e.maxRelativeError) at index \(e.worstIndex)\(e.passed ? "" : " FAILED")"
        }.joined(separator: "\n")
    }
}

/// Checks analytic gradients against central finite differences in Float64, like
/// `torch.autograd.gradcheck`.
///
/// The function's output is reduced to a scalar with fixed random weights, L = Σ wᵢ·fᵢ(x), so every
/// output element takes part; then ∂L/∂x from backward is compared with (L(x+ε) − L(x−ε)) / 2ε for
/// every element of every input.
///
/// ```swift
/// let report = GradCheck.check(inputs: [Tensor.normal([3, 4])]) { $0[0].tanh() }
/// try require(report.passed, "\(report)")
/// ```
public enum GradCheck {
    /// Runs the check.
    ///
    /// - Parameters:
    ///   - inputs: points to check at; converted to Float64 (int64 inputs are passed through, unchecked).
    ///   - epsilon: the finite-difference step.
    ///   - absoluteTolerance: allowed absolute error.
    ///   - relativeTolerance: allowed error relative to the numeric gradient's magnitude.
    ///   - seed: seed of the output weights.
    ///   - function: the function to check; it must be deterministic.
    /// - Returns: a report per input.
    public static func check(
        inputs: [Tensor], epsilon: Double = 1e-6, absoluteTolerance: Double = 1e-5,
        relativeTolerance: Double = 1e-3, seed: UInt64 = 7, _ function: ([Tensor]) -> Tensor
    ) -> GradCheckReport {
        let xs = inputs.map { $0.dtype.isFloatingPoint ? $0.to(.float64).detach().clone() : $0 }
        let probe = GradMode.noGrad { function(xs) }
        var rng = SeededGenerator(seed: seed)
        let weights = Tensor.uniform(probe.shape, low: 0.5, high: 1.5, dtype: .float64, generator: &rng)

        func loss(_ args: [Tensor]) -> Tensor { (function(args).to(.float64) * weights).sum() }

        let checked = xs.enumerated().filter { $0.element.dtype.isFloatingPoint }.map(\.offset)
        let variables = xs.map { $0.dtype.isFloatingPoint ? $0.detach().requiringGrad() : $0 }
        let value = GradMode.with(enabled: true) { loss(variables) }
        var analytic: [Tensor] = value.requiresGrad
            ? Autograd.gradients(of: value, wrt: checked.map { variables[$0] })
            : checked.map { Tensor.zeros(xs[$0].shape, dtype: .float64) }
        if analytic.count != checked.count || zip(analytic, checked).contains(where: { $0.count != xs[$1].count }) {
            // The backward failed (an error recorded in the scope): NaN gradients, which the report fails.
            analytic = checked.map { Tensor.full(xs[$0].shape, value: .nan, dtype: .float64) }
        }

        var entries: [GradCheckReport.Entry] = []
        for (slot, i) in checked.enumerated() {
            let x = xs[i]
            let p = x.pointer(Double.self)
            let ga = analytic[slot].to(.float64).scalars(as: Double.self)
            var maxAbs = 0.0, maxRel = 0.0, worst = 0
            var ok = true
            for j in 0..<x.count {
                let saved = p[j]
                p[j] = saved + epsilon
                let up = GradMode.noGrad { loss(xs).item(Double.self) }
                p[j] = saved - epsilon
                let down = GradMode.noGrad { loss(xs).item(Double.self) }
                p[j] = saved
                let numeric = (up - down) / (2 * epsilon)
                let err = Swift.abs(numeric - ga[j])
                let rel = err / Swift.max(Swift.abs(numeric), 1e-12)
                if !(err <= absoluteTolerance + relativeTolerance * Swift.abs(numeric)) { ok = false }   // NaN fails
                if err > maxAbs || (err.isNaN && !maxAbs.isNaN) { maxAbs = err; worst = j }
                maxRel = Swift.max(maxRel, Swift.abs(numeric) > 1e-12 ? rel : 0)
            }
            entries.append(.init(maxAbsoluteError: maxAbs, maxRelativeError: maxRel, worstIndex: worst, passed: ok))
        }
        return GradCheckReport(entries: entries)
    }
}
