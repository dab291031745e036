#if canImport(Glibc)
import Glibc
#endif

/// Scales the gradients of `parameters` together so that their total norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`), and returns the total norm before clipping.
///
/// The total norm is the p-norm of all gradient elements taken as one vector (the maximum absolute
/// value for p = ∞). When it exceeds `maxNorm`, every gradient is multiplied by
/// maxNorm / (total + 1e-6). Parameters without a gradient are skipped. Gradients are replaced by
/// new tensors, never changed in place (one gradient tensor may be shared by several leaves).
///
/// - Parameters:
///   - parameters: the parameters whose ``Tensor/grad`` to clip.
///   - maxNorm: the largest allowed total norm.
///   - normType: p (default 2; `.infinity` for the maximum norm).
/// - Returns: the total norm of the gradients before clipping.
///
/// ```swift
/// loss.backward()
/// let norm = clipGradNorm(model.parameters(), maxNorm: 1.0)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) -> Double {
    invariant(normType > 0, "clipGradNorm: normType must be positive, got \(normType)")
    let grads = parameters.compactMap(\.grad)
    if grads.isEmpty { return 0 }
    var total = 0.0
    for g in grads {
        let values = g.scalars(as: Double.self)
        if normType == .infinity {
            for v in values { total = Swift.max(total, Swift.abs(v)) }
        } else if normType == 2 {
            for v in values { total += v * v }
        } else if normType == 1 {
            for v in values { total += Swift.abs(v) }
        } else {
            for v in values { total += pow(Swift.abs(v), normType) }
        }
    }
    if normType == 2 {
        total = total.squareRoot()
    } else if normType != 1 && normType != .infinity {
        total = pow(total, 1 / normType)
    }
    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 {
        GradMode.noGrad {
            for p in parameters { if let g = p.grad { p.grad = g.detach() * coefficient } }
        }
    }
    return total
}

/// Clamps every gradient element of `parameters` to [−clipValue, clipValue] (PyTorch's
/// `clip_grad_value_`). Gradients are replaced by new tensors.
///
/// - Parameters:
///   - parameters: the parameters whose ``Tensor/grad`` to clip.
///   - clipValue: the largest allowed magnitude (> 0).
///
/// ```swift
/// clipGradValue(model.parameters(), clipValue: 0.5)
/// ```
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    checked(or: ()) {
        try require(clipValue > 0, "clipGradValue: clipValue must be positive, got \(clipValue)")
        GradMode.noGrad {
            for p in parameters {
                if let g = p.grad { p.grad = g.detach().clamp(min: -clipValue, max: clipValue) }
            }
        }
    }
}
