/// A set of parameters that share hyper-parameters, like an entry of PyTorch's `param_groups`.
///
/// `options` overrides the optimizer's defaults for these parameters; after the optimizer is built,
/// its ``Optimizer/parameterGroups`` hold every option resolved. Option names are the optimizer's
/// (``Optimizer/defaults`` lists them), for example `"lr"`, `"weightDecay"`, `"momentum"`.
///
/// ```swift
/// let optimizer = SGD(groups: [
///     ParameterGroup([w1, w2]),                          // the defaults
///     ParameterGroup([bias], ["lr": 0.01, "weightDecay": 0]),
/// ], lr: 0.1, momentum: 0.9, weightDecay: 1e-4)
/// ```
public struct ParameterGroup: @unchecked Sendable {
    /// The parameters: leaf tensors that require gradients.
    public var parameters: [Tensor]
    /// Hyper-parameters by name, overriding the optimizer's defaults.
    public var options: [String: Double]

    /// Creates a group.
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients.
    ///   - options: hyper-parameters that override the optimizer's defaults for this group.
    public init(_ parameters: [Tensor], _ options: [String: Double] = [:]) {
        self.parameters = parameters
        self.options = options
    }

    /// The learning rate (`options["lr"]`).
    public var learningRate: Double {
        get { options["lr"] ?? .nan }
        set { options["lr"] = newValue }
    }
}
