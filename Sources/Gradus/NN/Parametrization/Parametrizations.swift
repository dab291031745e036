/// The ready-made parametrizations (PyTorch's `torch.nn.utils.parametrizations`) and the cache scope of
/// `torch.nn.utils.parametrize.cached`. Registering, listing and removing parametrizations are methods of
/// ``Module``: ``Module/registerParametrization(_:for:unsafe:)-(Layer,_,_)``,
/// ``Module/parametrizations``, ``Module/removeParametrizations(for:leaveParametrized:)``.
public enum Parametrizations {
    /// Applies weight normalization (``WeightNorm``) to the parameter `name` of `module` (PyTorch's
    /// `parametrizations.weight_norm`): it is then computed as g · v / ‖v‖ from
    /// `parametrizations.<name>.original0` (g) and `original1` (v), which are new parameters, so build
    /// the optimizer afterwards.
    ///
    /// - Parameters:
    ///   - module: the module (a `Linear`, a convolution, …).
    ///   - name: the parameter (default `"weight"`).
    ///   - dim: the dimension with its own magnitudes (default 0), or nil (or −1, as in PyTorch) for one
    ///     magnitude for the whole tensor.
    /// - Returns: `module`.
    /// - Throws: ``GradusError`` when `module` has no such parameter, it is parametrized already, or
    ///   `dim` is out of range.
    ///
    /// ```swift
    /// let layer = try Parametrizations.weightNorm(Linear(20, 40))
    /// let optimizer = Adam(layer.parameters(), lr: 1e-3)   // bias, g, v
    /// ```
    @discardableResult
    public static func weightNorm<M: Module>(_ module: M, name: String = "weight", dim: Int? = 0) throws -> M {
        try module.registerParametrization(WeightNorm(dim: dim), for: name)
        return module
    }

    /// Applies spectral normalization (``SpectralNorm``) to the parameter `name` of `module` (PyTorch's
    /// `parametrizations.spectral_norm`): it is then divided by its largest singular value, estimated by
    /// power iteration in training mode. Its original (`parametrizations.<name>.original`) is the same
    /// tensor as before, so an optimizer built earlier keeps training it.
    ///
    /// - Parameters:
    ///   - module: the module.
    ///   - name: the parameter (default `"weight"`).
    ///   - nPowerIterations: power-iteration steps per call in training mode (default 1).
    ///   - eps: the smallest norm divided by (default 1e-12).
    ///   - dim: the dimension of the weight matrix's rows; nil (the default) takes 1 for transposed
    ///     convolutions and 0 otherwise, as PyTorch does.
    ///   - generator: the source of the singular vectors' random start (default: the default generator).
    /// - Returns: `module`.
    /// - Throws: ``GradusError`` when `module` has no such parameter or a setting is invalid.
    ///
    /// ```swift
    /// let discriminator = Sequential([
    ///     try Parametrizations.spectralNorm(Conv2d(3, 64, kernelSize: 4, stride: 2, padding: 1)),
    ///     LeakyReLU(negativeSlope: 0.2),
    ///     Flatten(),
    ///     try Parametrizations.spectralNorm(Linear(64 * 16 * 16, 1)),
    /// ])
    /// ```
    @discardableResult
    public static func spectralNorm<M: Module>(_ module: M, name: String = "weight", nPowerIterations: Int = 1,
                                               eps: Double = 1e-12, dim: Int? = nil,
                                               generator: inout SeededGenerator) throws -> M {
        let weight = try GradusError.catching { () -> Tensor in
            guard let value = module.namedParameters().first(where: { $0.name == name })?.tensor ??
                    module.parametrizations[name]?.value else {
                throw GradusError(.invalidArgument, "spectralNorm: \(type(of: module)) has no parameter \(name)")
            }
            return value
        }
        let transposed = module is ConvTranspose1d || module is ConvTranspose2d || module is ConvTranspose3d
        let normalization = try SpectralNorm(weight: weight, nPowerIterations: nPowerIterations,
                                             dim: dim ?? (transposed ? 1 : 0), eps: eps, generator: &generator)
        try module.registerParametrization(normalization, for: name)
        return module
    }

    /// ``spectralNorm(_:name:nPowerIterations:eps:dim:generator:)`` drawing from the default generator.
    @discardableResult
    public static func spectralNorm<M: Module>(_ module: M, name: String = "weight", nPowerIterations: Int = 1,
                                               eps: Double = 1e-12, dim: Int? = nil) throws -> M {
        var g = splitDefaultGenerator()
        return try spectralNorm(module, name: name, nPowerIterations: nPowerIterations, eps: eps, dim: dim, generator: &g)
    }

    /// Runs `body` computing each parametrized tensor at most once (PyTorch's `parametrize.cached()`):
    /// for a model that calls a layer with a parametrized weight several times (a block applied at each
    /// step of a loop), the parametrization runs once and every use shares its value and its gradient
    /// path. Each call of a module with parametrizations is such a scope by itself. An activation
    /// checkpoint (``Checkpointed``, ``Autograd/checkpoint(_:preserveRandomState:_:)-([Tensor],_,_)``)
    /// ends the scope: the checkpointed block computes its parametrized tensors itself, in both of its
    /// runs. Tasks started inside the scope share it; a parametrization that changes state when computed
    /// (spectral normalization in training mode) must not be computed by several of them at once.
    ///
    /// - Parameter body: the computation.
    /// - Returns: what `body` returns.
    ///
    /// ```swift
    /// let shared = try Parametrizations.spectralNorm(Linear(16, 16))
    /// let y = Parametrizations.cached { (0..<4).reduce(x) { h, _ in shared(h).tanh() } }   // σ estimated once
    /// ```
    public static func cached<R>(_ body: () throws -> R) rethrows -> R {
        try ParametrizationCache.scoped(body)
    }
}
