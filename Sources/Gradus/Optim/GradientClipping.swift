#if canImport(Glibc)
import Glibc
#endif

/// Scales the gradients of `parameters` together so that their total norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`), and returns the total norm before clipping.
///
/// The total norm is, as in PyTorch, the p-norm of the per-parameter p-norms, which for finite
/// positive p is the p-norm of all gradient elements taken as one vector. Every p PyTorch accepts
/// works: `.infinity` (the largest absolute value), `-.infinity` (the smallest), 0 (the number of
/// parameters whose gradient is not all zero: PyTorch's norm of the per-parameter counts) and
/// negative p (zero as soon as one element is zero). When the total exceeds `maxNorm`, every gradient
/// is multiplied by maxNorm / (total + 1e-6). Parameters without a gradient are skipped. Gradients are
/// replaced by new tensors, never changed in place (one gradient tensor may be shared by several leaves).
///
/// - Parameters:
///   - parameters: the parameters whose ``Tensor/grad`` to clip.
///   - maxNorm: the largest allowed total norm.
///   - normType: p (default 2; `.infinity` for the maximum norm).
/// - Returns: the total norm of the gradients before clipping: NaN when a gradient or `normType` is NaN
///   (except for p = 0, which counts a NaN as non-zero). As in PyTorch, a NaN total or `maxNorm` makes
///   every gradient NaN. The −∞ norm of an empty gradient has no value and fails as an operation does
///   (recorded inside ``GradusError/catching(_:)``, NaN returned; a stop outside).
///
/// ```swift
/// loss.backward()
/// let norm = clipGradNorm(model.parameters(), maxNorm: 1.0)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) -> Double {
    checked(or: .nan) {
        let grads = parameters.compactMap(\.grad)
        if grads.isEmpty { return 0 }
        // The minimum of no values has no value: PyTorch raises here too (vector_norm of an empty tensor).
        if normType == -.infinity, let empty = grads.first(where: { $0.count == 0 }) {
            throw GradusError(.invalidArgument, "clipGradNorm: the -inf norm of an empty gradient (shape \(empty.shape)) has no value")
        }
        let total = vectorNorm(grads.map { vectorNorm($0.scalars(as: Double.self), p: normType) }, p: normType)
        let coefficient = maxNorm / (total + 1e-6)
        if !(coefficient >= 1) {   // NaN scales too: PyTorch multiplies by its clamped NaN coefficient
            GradMode.noGrad {
                for p in parameters { if let g = p.grad { p.grad = g.detach() * coefficient } }
            }
        }
        return total
    }
}

/// Clamps every gradient element of `parameters` to [−clipValue, clipValue] (PyTorch's
/// `clip_grad_value_`). Gradients are replaced by new tensors.
///
/// - Parameters:
///   - parameters: the parameters whose ``Tensor/grad`` to clip.
///   - clipValue: the largest allowed magnitude (≥ 0; 0 zeroes every gradient, as in PyTorch).
///
/// ```swift
/// clipGradValue(model.parameters(), clipValue: 0.5)
/// ```
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    checked(or: ()) {
        try require(clipValue >= 0, "clipGradValue: clipValue must not be negative, got \(clipValue)")
        GradMode.noGrad {
            for p in parameters {
                if let g = p.grad { p.grad = g.detach().clamp(min: -clipValue, max: clipValue) }
            }
        }
    }
}

/// PyTorch's `torch.linalg.vector_norm` of `values` for any p: the largest (p = ∞) or smallest
/// (p = −∞) absolute value, the count of non-zero values (p = 0), else (Σ |v|ᵖ)^(1/p).
private func vectorNorm(_ values: [Double], p: Double) -> Double {
    if p.isNaN { return .nan }
    if p == .infinity { return values.reduce(0) { $1.isNaN || $0.isNaN ? .nan : Swift.max($0, Swift.abs($1)) } }
    if p == -.infinity { return values.reduce(Double.infinity) { $1.isNaN || $0.isNaN ? .nan : Swift.min($0, Swift.abs($1)) } }
    if p == 0 { return Double(values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) }
    if p == 2 { return values.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    if p == 1 { return values.reduce(0) { $0 + Swift.abs($1) } }
    return pow(values.reduce(0) { $0 + pow(Swift.abs($1), p) }, 1 / p)
}
