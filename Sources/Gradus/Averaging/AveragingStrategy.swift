/// How ``AveragedModel`` combines its running average with the model's current values.
///
/// ```swift
/// let ema = try AveragedModel(model, copy: MLP(), strategy: .exponential(decay: 0.999))
/// ```
public enum AveragingStrategy: Sendable {
    /// The mean of every value seen (stochastic weight averaging, PyTorch's default `get_swa_avg_fn`):
    /// after n earlier updates, `average + (current − average) / (n + 1)`.
    case equal
    /// An exponential moving average (PyTorch's `get_ema_multi_avg_fn(decay)`):
    /// `decay · average + (1 − decay) · current`, as a lerp toward the current values.
    case exponential(decay: Double)
    /// Your own rule, PyTorch's `avg_fn(averaged, current, num_averaged)`: given the average so far, the
    /// model's current value and the number of earlier updates (≥ 1), the new average.
    case custom(@Sendable (_ averaged: Tensor, _ current: Tensor, _ count: Int) -> Tensor)

    /// The new average of one tensor after `count` earlier updates (count ≥ 1).
    func combine(_ averaged: Tensor, _ current: Tensor, count: Int) -> Tensor {
        switch self {
        case .equal: return averaged.lerp(current, weight: 1 / Double(count + 1))
        case .exponential(let decay): return averaged.lerp(current, weight: 1 - decay)
        case .custom(let rule): return rule(averaged, current, count)
        }
    }
}
