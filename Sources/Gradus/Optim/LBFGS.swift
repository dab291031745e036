/// Limited-memory BFGS (PyTorch's `torch.optim.LBFGS`): a quasi-Newton method that builds an inverse
/// Hessian estimate from the last `historySize` steps and gradient changes, for full-batch problems
/// (small networks, curve fitting, style transfer, physics-informed models).
///
/// Each ``step(closure:)`` runs up to `maxIter` iterations, calling `closure` — which must clear the
/// gradients, compute the loss, call `backward()` and return the loss — whenever the function is
/// needed. Without a line search each iteration moves by `lr` along the direction (the first by
/// min(1, 1/‖g‖₁)·lr); with `.strongWolfe` the step length is chosen so that the strong Wolfe
/// conditions hold (PyTorch's `line_search_fn="strong_wolfe"`). Iterations stop early as PyTorch's do:
/// the largest gradient element at most `toleranceGrad`, a directional derivative or step or loss
/// change below `toleranceChange`, or `maxEval` function evaluations.
///
/// All parameters form one group, as PyTorch requires. The direction and history are computed in
/// Float64 whatever the parameters' dtype, and saved by ``stateDict()`` with the options, as PyTorch
/// saves them, so that a restored optimizer continues exactly where it stopped. Like the other
/// optimizers, one instance is not for concurrent steps.
///
/// ```swift
/// let optimizer = LBFGS(model.parameters(), lineSearch: .strongWolfe)
/// for _ in 0..<10 {
///     try optimizer.step {
///         optimizer.zeroGrad()
///         let loss = model(x).mseLoss(y)
///         loss.backward()
///         return loss
///     }
/// }
/// ```
public final class LBFGS: Optimizer, @unchecked Sendable {
    /// How ``LBFGS`` chooses the step length along its direction.
    public enum LineSearch: Sendable {
        /// A fixed step of `lr` (the first of a run scaled by min(1, 1/‖g‖₁)).
        case none
        /// A bracketing and zooming search with cubic interpolation until the strong Wolfe conditions
        /// hold (sufficient decrease c₁ = 1e-4, curvature c₂ = 0.9, at most 25 evaluations).
        case strongWolfe
    }

    /// The step-length rule.
    public let lineSearch: LineSearch

    // The memory between steps, as PyTorch's state: direction, step length, pairs of step and gradient
    // change with their 1/(yᵀs), the initial Hessian scale, the previous gradient and loss, and the
    // iteration and evaluation counts.
    private var direction: [Double] = []
    private var stepLength = 0.0
    private var steps: [[Double]] = []
    private var gradientChanges: [[Double]] = []
    private var curvatures: [Double] = []
    private var hessianScale = 1.0
    private var previousGradient: [Double]? = nil
    private var previousLoss = 0.0
    /// The iterations run so far, over all steps (PyTorch's `n_iter`).
    public private(set) var iterations = 0
    /// The function evaluations so far, over all steps (PyTorch's `func_evals`).
    public private(set) var functionEvaluations = 0

    /// Creates the optimizer.
    ///
    /// - Parameters:
    ///   - parameters: leaf tensors that require gradients (one group).
    ///   - lr: the step length (default 1).
    ///   - maxIter: iterations per ``step(closure:)`` (default 20).
    ///   - maxEval: function evaluations per step (default maxIter · 5 / 4).
    ///   - toleranceGrad: stop when the largest gradient element is at most this (default 1e-7).
    ///   - toleranceChange: stop when the step, the loss change or the directional derivative is below
    ///     this (default 1e-9).
    ///   - historySize: how many step pairs to remember (default 100).
    ///   - lineSearch: `.none` (default) or `.strongWolfe`.
    public init(_ parameters: [Tensor], lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil,
                toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
                lineSearch: LineSearch = .none) {
        _ = validSetting(lr >= 0 && lr.isFinite, "LBFGS: invalid learning rate \(lr)")
        let limit = 1_000_000_000
        let iter = validSetting(maxIter > 0 && maxIter <= limit, "LBFGS: maxIter must be in 1...\(limit), got \(maxIter)") ? maxIter : 20
        var evals = maxEval ?? iter * 5 / 4
        if !validSetting(evals > 0 && evals <= limit, "LBFGS: maxEval must be in 1...\(limit), got \(evals)") { evals = iter * 5 / 4 }
        let history = validSetting(historySize > 0 && historySize <= limit, "LBFGS: historySize must be in 1...\(limit), got \(historySize)")
            ? historySize : 100
        _ = validSetting(toleranceGrad >= 0 && toleranceChange >= 0,
                         "LBFGS: tolerances must not be negative, got \(toleranceGrad), \(toleranceChange)")
        self.lineSearch = lineSearch
        super.init(groups: [ParameterGroup(parameters)],
                   defaults: ["lr": lr, "maxIter": Double(iter), "maxEval": Double(Swift.max(evals, 1)),
                              "toleranceGrad": toleranceGrad, "toleranceChange": toleranceChange,
                              "historySize": Double(history)],
                   bufferNames: [])
    }

    override func update(group g: Int) throws {
        throw GradusError(.invalidArgument, "LBFGS: needs the loss function: call step(closure:) instead of step()")
    }

    /// Refused: L-BFGS keeps one direction over all parameters, so it has one group (as PyTorch's).
    public override func addParameterGroup(_ group: ParameterGroup) {
        guard parameterGroups.isEmpty else {
            _ = validSetting(false, "LBFGS: does not support parameter groups; give all parameters when creating it")
            return
        }
        super.addParameterGroup(group)
    }

    /// The options, and the search's memory as PyTorch's `state_dict` keeps it: the last direction and
    /// step length, the stored step and gradient-change pairs with their curvatures, the Hessian
    /// scale, the previous gradient and loss, and the iteration and evaluation counts (Float64 tensors
    /// and scalars under `history.`), so that a restored optimizer continues exactly where it stopped.
    ///
    /// ```swift
    /// try SafeTensors.save(optimizer.stateDict().tensors, to: "lbfgs.safetensors")
    /// ```
    public override func stateDict() -> OptimizerState {
        var out = super.stateDict()
        func tensor(_ rows: [[Double]], columns: Int) -> Tensor {
            Tensor(shape: [rows.count, columns], values: rows.flatMap { $0 }, dtype: .float64)
        }
        let n = direction.count
        out.tensors["history.direction"] = Tensor(shape: [n], values: direction, dtype: .float64)
        out.tensors["history.steps"] = tensor(steps, columns: n)
        out.tensors["history.gradientChanges"] = tensor(gradientChanges, columns: n)
        out.tensors["history.curvatures"] = Tensor(shape: [curvatures.count], values: curvatures, dtype: .float64)
        if let previousGradient {
            out.tensors["history.previousGradient"] = Tensor(shape: [previousGradient.count], values: previousGradient, dtype: .float64)
        }
        out.scalars["history.stepLength"] = stepLength
        out.scalars["history.hessianScale"] = hessianScale
        out.scalars["history.previousLoss"] = previousLoss
        out.scalars["history.iterations"] = Double(iterations)
        out.scalars["history.functionEvaluations"] = Double(functionEvaluations)
        return out
    }

    /// Restores the options, counts and search memory saved by ``stateDict()``. A state without the
    /// memory (written before it was saved) restores the options, and the next step starts again from
    /// steepest descent.
    ///
    /// - Throws: ``OptimizerStateError`` when the state does not fit (its memory is checked against the
    ///   parameters' total size and `historySize`, and must hold finite numbers); nothing changes then.
    public override func loadStateDict(_ state: OptimizerState) throws {
        var base = state
        base.tensors = base.tensors.filter { !$0.key.hasPrefix("history.") }
        base.scalars = base.scalars.filter { !$0.key.hasPrefix("history.") }
        let memory = try history(in: state)
        try super.loadStateDict(base)
        forgetHistory()
        if let memory {
            (direction, stepLength, steps, gradientChanges, curvatures) = (memory.direction, memory.stepLength, memory.steps,
                                                                          memory.gradientChanges, memory.curvatures)
            (hessianScale, previousGradient, previousLoss) = (memory.hessianScale, memory.previousGradient, memory.previousLoss)
            (iterations, functionEvaluations) = (memory.iterations, memory.functionEvaluations)
        }
    }

    /// The search memory in `state`, checked, or nil when the state has none.
    private func history(in state: OptimizerState) throws -> (direction: [Double], stepLength: Double, steps: [[Double]],
                                                              gradientChanges: [[Double]], curvatures: [Double], hessianScale: Double,
                                                              previousGradient: [Double]?, previousLoss: Double,
                                                              iterations: Int, functionEvaluations: Int)? {
        let tensorKeys = ["history.direction", "history.steps", "history.gradientChanges", "history.curvatures", "history.previousGradient"]
        let scalarKeys = ["history.stepLength", "history.hessianScale", "history.previousLoss", "history.iterations", "history.functionEvaluations"]
        for key in state.tensors.keys where key.hasPrefix("history.") && !tensorKeys.contains(key) { throw OptimizerStateError.unexpectedKey(key) }
        for key in state.scalars.keys where key.hasPrefix("history.") && !scalarKeys.contains(key) { throw OptimizerStateError.unexpectedKey(key) }
        guard state.scalars.keys.contains(where: { $0.hasPrefix("history.") }) || state.tensors.keys.contains(where: { $0.hasPrefix("history.") })
        else { return nil }
        func scalar(_ key: String) throws -> Double {
            guard let v = state.scalars[key] else { throw OptimizerStateError.missingKey(key) }
            guard v.isFinite else { throw OptimizerStateError.invalidValue(key: key, value: v) }
            return v
        }
        func count(_ key: String) throws -> Int {
            let v = try scalar(key)
            guard v >= 0, v <= 1e15, v == v.rounded() else { throw OptimizerStateError.invalidValue(key: key, value: v) }
            return Int(v)
        }
        let size = (parameterGroups.first?.parameters ?? []).reduce(0) { $0 + $1.count }
        let limit = Int(state.scalars["group.0.historySize"] ?? parameterGroups.first?.options["historySize"] ?? 100)
        // A tensor of `shape` (rows of `size` values when rank 2), all finite.
        func values(_ key: String, _ shapeOK: ([Int]) -> Bool, expected: [Int]) throws -> (shape: [Int], values: [Double])? {
            guard let t = state.tensors[key] else { return nil }
            guard t.dtype.isFloatingPoint, shapeOK(t.shape) else {
                throw OptimizerStateError.shapeMismatch(key: key, expected: expected, found: t.shape)
            }
            let v = t.contiguous().scalars(as: Double.self)
            if let bad = v.first(where: { !$0.isFinite }) { throw OptimizerStateError.invalidValue(key: key, value: bad) }
            return (t.shape, v)
        }
        let iterations = try count("history.iterations")
        let direction = try values("history.direction", { $0 == [size] || ($0 == [0] && iterations == 0) }, expected: [size])?.values ?? []
        func pairs(_ key: String) throws -> [[Double]] {
            guard let (shape, v) = try values(key, { $0.count == 2 && $0[0] <= limit && ($0[1] == size || $0[0] == 0) },
                                             expected: [limit, size]) else { throw OptimizerStateError.missingKey(key) }
            return (0..<shape[0]).map { Array(v[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
        }
        let steps = try pairs("history.steps"), gradientChanges = try pairs("history.gradientChanges")
        guard let curvatures = try values("history.curvatures", { $0 == [steps.count] }, expected: [steps.count])?.values,
              gradientChanges.count == steps.count else {
            throw OptimizerStateError.missingKey("history.curvatures")
        }
        // Pairs are stored only with a positive curvature (1 / yᵀs).
        if let bad = curvatures.first(where: { $0 <= 0 }) { throw OptimizerStateError.invalidValue(key: "history.curvatures", value: bad) }
        let previousGradient = try values("history.previousGradient", { $0 == [size] }, expected: [size])?.values
        let hessianScale = try scalar("history.hessianScale")
        return (direction, try scalar("history.stepLength"), steps, gradientChanges, curvatures, hessianScale, previousGradient,
                try scalar("history.previousLoss"), iterations, try count("history.functionEvaluations"))
    }

    private func forgetHistory() {
        (direction, stepLength, steps, gradientChanges, curvatures) = ([], 0, [], [], [])
        (hessianScale, previousGradient, previousLoss, iterations) = (1, nil, 0, 0)
    }

    /// Runs up to `maxIter` iterations (PyTorch's `optimizer.step(closure)`).
    ///
    /// - Parameter closure: clears the gradients, computes the loss, calls `backward()` and returns the
    ///   loss (a one-element tensor). It is called with gradients recorded, also inside `noGrad`.
    /// - Returns: the loss of the first evaluation, before this step's updates.
    /// - Throws: ``GradusError`` when the closure throws or fails, or returns something other than one
    ///   number; the parameters and the history are then put back as they were before the step.
    @discardableResult
    public func step(closure: () throws -> Tensor) throws -> Tensor {
        try GradusError.throwIfRecorded()
        let parameters = parameterGroups.first?.parameters ?? []
        let saved = snapshot(parameters)
        let memory = (direction, stepLength, steps, gradientChanges, curvatures, hessianScale, previousGradient,
                      previousLoss, iterations)
        do {
            return try GradusError.catching { try run(closure) }
        } catch {
            restore(parameters, saved)
            (direction, stepLength, steps, gradientChanges, curvatures, hessianScale, previousGradient,
             previousLoss, iterations) = memory
            throw error
        }
    }

    private func run(_ closure: () throws -> Tensor) throws -> Tensor {
        try require(parameterGroups.count == 1, "LBFGS: needs its one group of parameters", .invalidArgument)
        let o = parameterGroups[0].options
        func count(_ key: String) throws -> Int {
            guard let v = o[key], let n = Int(exactly: v), n >= 1, n <= 1_000_000_000 else {
                throw GradusError(.invalidArgument, "LBFGS: \(key) must be a whole number in 1...1000000000, got \(o[key] ?? .nan)")
            }
            return n
        }
        let lr = o["lr"]!, maxIter = try count("maxIter"), maxEval = try count("maxEval")
        let toleranceGrad = o["toleranceGrad"]!, toleranceChange = o["toleranceChange"]!
        let historySize = try count("historySize")
        let parameters = parameterGroups[0].parameters

        func evaluate() throws -> (loss: Double, gradient: [Double], tensor: Tensor) {
            let value = try GradMode.with(enabled: true) { try closure() }
            try GradusError.throwIfRecorded()
            try require(value.count == 1, "LBFGS: the closure must return the loss (one number), got shape \(value.shape)", .shapeMismatch)
            functionEvaluations += 1
            return (value.to(.float64).item(Double.self), flatGradient(parameters), value)
        }

        let first = try evaluate()
        var (loss, gradient) = (first.loss, first.gradient)
        var evaluations = 1
        if maxAbs(gradient) <= toleranceGrad { return first.tensor }

        var n = 0
        while n < maxIter {
            n += 1
            iterations += 1
            if iterations == 1 {
                direction = gradient.map { -$0 }
                steps = []; gradientChanges = []; curvatures = []
                hessianScale = 1
            } else if let previous = previousGradient {
                let y = zip(gradient, previous).map { $0 - $1 }
                let s = direction.map { $0 * stepLength }
                let ys = dot(y, s)
                if ys > 1e-10 {
                    while !steps.isEmpty && steps.count >= historySize {
                        steps.removeFirst(); gradientChanges.removeFirst(); curvatures.removeFirst()
                    }
                    gradientChanges.append(y)
                    steps.append(s)
                    curvatures.append(1 / ys)
                    hessianScale = ys / dot(y, y)
                }
                // Two-loop recursion: the inverse Hessian estimate times −g.
                var q = gradient.map { -$0 }
                var alphas = [Double](repeating: 0, count: steps.count)
                for i in stride(from: steps.count - 1, through: 0, by: -1) {
                    alphas[i] = dot(steps[i], q) * curvatures[i]
                    axpy(-alphas[i], gradientChanges[i], &q)
                }
                var r = q.map { $0 * hessianScale }
                for i in steps.indices {
                    let beta = dot(gradientChanges[i], r) * curvatures[i]
                    axpy(alphas[i] - beta, steps[i], &r)
                }
                direction = r
            }
            previousGradient = gradient
            previousLoss = loss
            stepLength = iterations == 1 ? Swift.min(1, 1 / gradient.reduce(0) { $0 + Swift.abs($1) }) * lr : lr
            let slope = dot(gradient, direction)
            if slope > -toleranceChange { break }

            var extraEvaluations = 0
            var optimal = false
            switch lineSearch {
            case .strongWolfe:
                let start = snapshot(parameters)
                let result = try strongWolfe(start: start, t: stepLength, d: direction, f: loss, g: gradient, slope: slope,
                                             parameters: parameters, evaluate: evaluate)
                (loss, gradient, stepLength, extraEvaluations) = (result.f, result.g, result.t, result.evaluations)
                try move(parameters, by: stepLength, along: direction)
                optimal = maxAbs(gradient) <= toleranceGrad
            case .none:
                try move(parameters, by: stepLength, along: direction)
                if n != maxIter {
                    let next = try evaluate()
                    (loss, gradient) = (next.loss, next.gradient)
                    optimal = maxAbs(gradient) <= toleranceGrad
                    extraEvaluations = 1
                }
            }
            evaluations += extraEvaluations
            if n == maxIter || evaluations >= maxEval || optimal { break }
            if maxAbs(direction) * Swift.abs(stepLength) <= toleranceChange { break }
            if Swift.abs(loss - previousLoss) < toleranceChange { break }
        }
        return first.tensor
    }

    // MARK: The strong Wolfe line search

    /// The step length t along `d` from the parameters `start` (loss f, gradient g, slope gᵀd), with
    /// the loss and gradient there and the number of evaluations: PyTorch's `_strong_wolfe` — bracket
    /// an interval, then zoom into it with safeguarded cubic interpolation.
    private func strongWolfe(start: [Tensor], t initial: Double, d: [Double], f: Double, g: [Double], slope: Double,
                             parameters: [Tensor], evaluate: () throws -> (loss: Double, gradient: [Double], tensor: Tensor))
        throws -> (f: Double, g: [Double], t: Double, evaluations: Int) {
        let (c1, c2, tolerance, maxSearch) = (1e-4, 0.9, 1e-9, 25)
        let dNorm = maxAbs(d)
        func at(_ t: Double) throws -> (f: Double, g: [Double], slope: Double) {
            try move(parameters, by: t, along: d)
            let e = try evaluate()
            restore(parameters, start)
            try GradusError.throwIfRecorded()
            return (e.loss, e.gradient, dot(e.gradient, d))
        }
        var t = initial
        var new = try at(t)
        var evaluations = 1
        var (tPrev, fPrev, gPrev, slopePrev) = (0.0, f, g, slope)
        var done = false
        var searches = 0
        var bracket: [Double] = [], bracketF: [Double] = [], bracketG: [[Double]] = [], bracketSlope: [Double] = []
        while searches < maxSearch {
            if new.f > f + c1 * t * slope || (searches > 1 && new.f >= fPrev) {
                (bracket, bracketF, bracketG, bracketSlope) = ([tPrev, t], [fPrev, new.f], [gPrev, new.g], [slopePrev, new.slope])
                break
            }
            if Swift.abs(new.slope) <= -c2 * slope {
                (bracket, bracketF, bracketG, bracketSlope) = ([t], [new.f], [new.g], [new.slope])
                done = true
                break
            }
            if new.slope >= 0 {
                (bracket, bracketF, bracketG, bracketSlope) = ([tPrev, t], [fPrev, new.f], [gPrev, new.g], [slopePrev, new.slope])
                break
            }
            let (lowest, highest) = (t + 0.01 * (t - tPrev), t * 10)
            let previous = t
            t = cubicMinimum(tPrev, fPrev, slopePrev, t, new.f, new.slope, bounds: (lowest, highest))
            (tPrev, fPrev, gPrev, slopePrev) = (previous, new.f, new.g, new.slope)
            new = try at(t)
            evaluations += 1
            searches += 1
        }
        if searches == maxSearch {
            (bracket, bracketF, bracketG, bracketSlope) = ([0, t], [f, new.f], [g, new.g], [slope, new.slope])
        }

        var insufficientProgress = false
        var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done && searches < maxSearch {
            if Swift.abs(bracket[1] - bracket[0]) * dNorm < tolerance { break }
            t = cubicMinimum(bracket[0], bracketF[0], bracketSlope[0], bracket[1], bracketF[1], bracketSlope[1], bounds: nil)
            let (top, bottom) = (Swift.max(bracket[0], bracket[1]), Swift.min(bracket[0], bracket[1]))
            let margin = 0.1 * (top - bottom)
            if Swift.min(top - t, t - bottom) < margin {
                if insufficientProgress || t >= top || t <= bottom {
                    t = Swift.abs(t - top) < Swift.abs(t - bottom) ? top - margin : bottom + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            new = try at(t)
            evaluations += 1
            searches += 1
            if new.f > f + c1 * t * slope || new.f >= bracketF[low] {
                (bracket[high], bracketF[high], bracketG[high], bracketSlope[high]) = (t, new.f, new.g, new.slope)
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if Swift.abs(new.slope) <= -c2 * slope {
                    done = true
                } else if new.slope * (bracket[high] - bracket[low]) >= 0 {
                    (bracket[high], bracketF[high], bracketG[high], bracketSlope[high]) =
                        (bracket[low], bracketF[low], bracketG[low], bracketSlope[low])
                }
                (bracket[low], bracketF[low], bracketG[low], bracketSlope[low]) = (t, new.f, new.g, new.slope)
            }
        }
        if bracket.count == 1 { low = 0 }
        return (bracketF[low], bracketG[low], bracket[low], evaluations)
    }

    /// The minimum of the cubic through (x₁, f₁, g₁) and (x₂, f₂, g₂), clamped to `bounds` (default the
    /// two points); their middle when the cubic has none (PyTorch's `_cubic_interpolate`).
    private func cubicMinimum(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                              bounds: (Double, Double)?) -> Double {
        let (lo, hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2
        guard d2Square >= 0 else { return (lo + hi) / 2 }
        let d2 = d2Square.squareRoot()
        let position = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return Swift.min(Swift.max(position, lo), hi)
    }

    // MARK: Flat vectors over the parameters

    private func flatGradient(_ parameters: [Tensor]) -> [Double] {
        var flat: [Double] = []
        for p in parameters {
            if let g = p.grad { flat += g.to(.float64).scalars(as: Double.self) } else { flat += [Double](repeating: 0, count: p.count) }
        }
        return flat
    }

    /// Copies of the parameters' values, to come back to.
    private func snapshot(_ parameters: [Tensor]) -> [Tensor] {
        GradMode.noGrad { parameters.map { $0.detach().clone() } }
    }

    /// Writes saved values back into the parameters.
    private func restore(_ parameters: [Tensor], _ values: [Tensor]) {
        GradMode.noGrad { for (p, v) in zip(parameters, values) { p.assign(v) } }
    }

    /// Adds t·d to the parameters, d read in parameter order.
    private func move(_ parameters: [Tensor], by t: Double, along d: [Double]) throws {
        var offset = 0
        GradMode.noGrad {
            for p in parameters {
                let part = Array(d[offset..<(offset + p.count)])
                offset += p.count
                let change = Tensor(shape: p.shape, values: part.map { $0 * t }, dtype: .float64)
                p.assign(p.detach().to(.float64) + change)
            }
        }
        try GradusError.throwIfRecorded()
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    private func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        for i in y.indices { y[i] += alpha * x[i] }
    }

    /// The largest magnitude; NaN when any element is NaN (as PyTorch's abs().max(), so that no stopping
    /// test passes on NaN).
    private func maxAbs(_ v: [Double]) -> Double {
        v.reduce(0) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, Swift.abs($1)) }
    }
}
