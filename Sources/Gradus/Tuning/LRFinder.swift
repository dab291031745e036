import Foundation

/// The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks";
/// fastai's `lr_find`): train for a bounded number of steps while the learning rate grows exponentially
/// from `startLR` to `endLR`, record the smoothed loss, stop when it diverges, and suggest a rate.
///
/// The model and optimizer are left as they were: their state is saved before and restored after (a
/// training run's random state too).
///
/// **The suggestion rule.** The loss is smoothed by an exponential moving average (β = 0.98, with bias
/// correction). ``Result/steepest`` is the rate where the smoothed loss falls fastest against log(rate) —
/// the most negative finite difference, ignoring the first and last 10% of the points — the usual choice
/// for one-cycle training; ``Result/minimumOverTen`` is the rate of the lowest smoothed loss divided by
/// 10 (fastai's `lr_min`). ``Result/suggested`` is the smaller of the two: on a curve that falls until
/// it diverges, the steepest point sits just before the divergence, and a whole run at that rate (with
/// momentum built up over many more steps than the test takes) diverges — measured on the digits with
/// SGD and momentum 0.9, where the steepest rate (0.39) blew up and the minimum / 10 (0.05) trained.
///
/// ```swift
/// let result = try LRFinder(startLR: 1e-6, endLR: 1, steps: 100)
///     .run(model: model, optimizer: optimizer, data: train, task: .classify, batchSize: 32)
/// print(result.suggested)
/// try result.svg().write(toFile: "lr-find.svg", atomically: true, encoding: .utf8)
/// ```
public struct LRFinder: Sendable {
    /// The first learning rate.
    public var startLR: Double
    /// The last learning rate.
    public var endLR: Double
    /// The largest number of steps (one batch each).
    public var steps: Int
    /// The smoothing factor of the loss's moving average.
    public var beta: Double
    /// Stop when the smoothed loss exceeds this multiple of its minimum.
    public var divergenceFactor: Double

    /// Creates a range test.
    ///
    /// - Parameters:
    ///   - startLR: the first rate (> 0).
    ///   - endLR: the last rate (> startLR).
    ///   - steps: at most this many batches (2...10000).
    ///   - beta: smoothing of the loss (0 ≤ β < 1).
    ///   - divergenceFactor: stop once the smoothed loss exceeds this multiple of its minimum.
    public init(startLR: Double = 1e-7, endLR: Double = 10, steps: Int = 100, beta: Double = 0.98, divergenceFactor: Double = 4) {
        self.startLR = startLR
        self.endLR = endLR
        self.steps = steps
        self.beta = beta
        self.divergenceFactor = divergenceFactor
    }

    /// What the test found.
    public struct Result: Sendable {
        /// The rates tried, in order.
        public var learningRates: [Double]
        /// The raw loss of each step.
        public var losses: [Double]
        /// The smoothed loss of each step.
        public var smoothedLosses: [Double]
        /// The rate of steepest descent of the smoothed loss.
        public var steepest: Double
        /// The rate of the lowest smoothed loss, divided by 10.
        public var minimumOverTen: Double
        /// The suggestion: the smaller of ``steepest`` and ``minimumOverTen`` (see ``LRFinder``).
        public var suggested: Double
        /// Whether the test stopped early because the loss diverged.
        public var diverged: Bool

        /// A plot of the smoothed loss against the rate (log axis) with the suggestion marked.
        public func svg(title: String = "learning-rate range test") -> String {
            LRFinderPlot.svg(self, title: title)
        }
    }

    /// Checks the settings; a ``TrainingError`` names the bad one.
    public func validate() throws {
        guard startLR > 0, startLR.isFinite, endLR > startLR, endLR.isFinite else {
            throw TrainingError("the range test needs 0 < --start-lr < --end-lr, got \(startLR) and \(endLR)")
        }
        guard steps >= 2 && steps <= 10_000 else { throw TrainingError("--steps must lie in 2...10000, got \(steps)") }
        guard beta >= 0 && beta < 1 else { throw TrainingError("the smoothing factor must lie in [0, 1), got \(beta)") }
        guard divergenceFactor > 1, divergenceFactor.isFinite else {
            throw TrainingError("the divergence factor must be above 1, got \(divergenceFactor)")
        }
    }

    /// Runs the test on `model` trained by `optimizer` over batches of `data`, then restores both.
    ///
    /// - Parameters:
    ///   - model: the model.
    ///   - optimizer: an optimizer over the model's parameters (its rate is overridden during the test).
    ///   - data: training data; the batches cycle through it as needed.
    ///   - task: classification or regression.
    ///   - batchSize: samples per step.
    ///   - seed: the order of the batches.
    /// - Returns: the curve and the suggestions.
    /// - Throws: ``TrainingError`` for bad settings or when no step gave a finite loss.
    public func run<D: Dataset>(model: any Layer, optimizer: Optimizer, data: D, task: LearningTask, batchSize: Int,
                                seed: UInt64 = 0) throws -> Result where D.Input == Tensor, D.Target == Tensor {
        try validate()
        guard batchSize >= 1 && batchSize <= RunConfig.maxBatchSize else {
            throw TrainingError("the range test's batch size must lie in 1...\(RunConfig.maxBatchSize), got \(batchSize)")
        }
        let savedModel = model.stateDict().mapValues { t in GradMode.noGrad { t.clone() } }
        let savedOptimizer = optimizer.stateDict()
        let savedRandom = Random.state
        let savedRates = optimizer.learningRates
        defer {
            _ = try? model.loadStateDict(savedModel)
            try? optimizer.loadStateDict(savedOptimizer)
            optimizer.learningRates = savedRates
            Random.state = savedRandom
        }
        let trainer = Trainer(model: model, optimizer: optimizer, task: task, seed: seed, nonFiniteLoss: .ignore)
        let loader = DataLoader(data, batchSize: batchSize, shuffle: true, seed: seed)
        guard loader.count > 0 else { throw TrainingError("the range test needs training data") }
        var rates: [Double] = [], losses: [Double] = [], smoothed: [Double] = []
        var average = 0.0, best = Double.infinity, diverged = false
        var epoch = 0
        var iterator = loader.batches(epoch: epoch).makeIterator()
        for i in 0..<steps {
            let lr = startLR * pow(endLR / startLR, Double(i) / Double(steps - 1))
            optimizer.learningRates = optimizer.learningRates.map { _ in lr }
            // Batches are put together in a scope of their own, as the Trainer does: samples that do not
            // fit together throw here instead of stopping the program.
            guard let batch = try GradusError.catching({
                iterator.next() ?? {
                    epoch += 1
                    iterator = loader.batches(epoch: epoch).makeIterator()
                    return iterator.next()
                }()
            }) else { break }
            let loss = try trainer.trainStep(inputs: batch.inputs, targets: batch.targets).loss
            guard loss.isFinite else { diverged = true; break }
            average = beta * average + (1 - beta) * loss
            let value = average / (1 - pow(beta, Double(i + 1)))
            rates.append(lr)
            losses.append(loss)
            smoothed.append(value)
            best = Swift.min(best, value)
            if i > 0 && value > divergenceFactor * best { diverged = true; break }
        }
        guard let minIndex = smoothed.indices.min(by: { smoothed[$0] < smoothed[$1] }) else {
            throw TrainingError("the range test gave no finite loss; lower --start-lr")
        }
        let minimumOverTen = rates[minIndex] / 10
        // Steepest descent against log(rate), away from the noisy ends.
        let lo = smoothed.count / 10, hi = Swift.max(lo + 1, smoothed.count - smoothed.count / 10)
        var steepestIndex = minIndex
        var steepestSlope = Double.infinity
        if hi - lo >= 2 {
            for i in (lo + 1)..<hi {
                let slope = (smoothed[i] - smoothed[i - 1]) / (log(rates[i]) - log(rates[i - 1]))
                if slope < steepestSlope { steepestSlope = slope; steepestIndex = i }
            }
        }
        let steepest = rates[steepestIndex]
        let suggested = Swift.min(steepest, minimumOverTen)
        return Result(learningRates: rates, losses: losses, smoothedLosses: smoothed, steepest: steepest,
                      minimumOverTen: minimumOverTen, suggested: suggested, diverged: diverged)
    }
}

/// The SVG plot of a range test.
enum LRFinderPlot {
    static func svg(_ r: LRFinder.Result, title: String) -> String {
        let width = 640.0, height = 400.0, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        // Rates that are not positive and finite (set by a caller) have no place on a logarithmic axis.
        let kept = zip(r.learningRates, r.smoothedLosses).filter { $0.0 > 0 && $0.0.isFinite && $0.1.isFinite }
        let xs = kept.map { log10($0.0) }, ys = kept.map { $0.1 }
        guard let xMin = xs.min(), let xMax = xs.max(), let yMin0 = ys.min(), let yMax0 = ys.max() else { return "" }
        let yMin = yMin0, yMax = yMax0 > yMin0 ? yMax0 : yMin0 + 1
        let xSpan = xMax > xMin ? xMax - xMin : 1
        func px(_ x: Double) -> Double { left + (x - xMin) / xSpan * (width - left - right) }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom) }
        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="24" font-size="15" font-weight="bold">\(MetricsPlot.escape(title))</text>

        """
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"none\" stroke=\"#888\"/>\n"
        for decade in Int(floor(xMin))...Int(ceil(xMax)) where Double(decade) >= xMin - 1e-9 && Double(decade) <= xMax + 1e-9 {
            let x = px(Double(decade))
            s += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(height - bottom)\" stroke=\"#eee\"/>\n"
            s += "<text x=\"\(x)\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"middle\">1e\(decade)</text>\n"
        }
        for k in 0...4 {
            let y = yMin + (yMax - yMin) * Double(k) / 4
            s += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" font-size=\"11\" text-anchor=\"end\">\(String(format: "%.3g", y))</text>\n"
        }
        let points = zip(xs, ys).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
        s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        if r.suggested > 0 && r.suggested.isFinite {
            let sx = px(log10(r.suggested))
            s += "<line x1=\"\(sx)\" y1=\"\(top)\" x2=\"\(sx)\" y2=\"\(height - bottom)\" stroke=\"#d62728\" stroke-dasharray=\"5,4\"/>\n"
            s += "<text x=\"\(sx + 4)\" y=\"\(top + 14)\" font-size=\"12\" fill=\"#d62728\">suggested \(String(format: "%.3g", r.suggested))</text>\n"
        }
        s += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" font-size=\"12\" text-anchor=\"middle\">learning rate (log scale)</text>\n"
        s += "<text x=\"16\" y=\"\((top + height - bottom) / 2)\" font-size=\"12\" transform=\"rotate(-90 16 \((top + height - bottom) / 2))\" text-anchor=\"middle\">smoothed loss</text>\n"
        return s + "</svg>\n"
    }
}
