import ArgumentParser
import Foundation
import Gradus

/// `gradus explain`: saliency and integrated gradients of one sample, as an SVG and in the terminal.
public struct ExplainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain one prediction: saliency and integrated gradients (50 steps, zero baseline).",
        discussion: """
        The sample is row --index of the run's test split (or of --data, or of --input). The attributions of \
        the predicted class (or --class) are written as an SVG heat map (an HxW grid for images, a bar per \
        feature otherwise; default file: explain-<index>.svg next to the checkpoint) and drawn in the \
        terminal (colours on a terminal, ASCII otherwise). For a run with standardized features the input is \
        shown in data units, and the attributions refer to the standardized input (the zero baseline is the \
        training mean).
        """
    )

    @Option(help: ArgumentHelp("A checkpoint written by gradus train.", valueName: "file"))
    public var checkpoint: String

    @OptionGroup public var dataOptions: DataOptions

    @OptionGroup public var resources: ResourceOptions

    @Option(help: ArgumentHelp("Take the sample from this .csv/.npy/.npz file instead of the test data.", valueName: "file"))
    public var input: String?

    @Option(help: "The sample's row (from 0).")
    public var index: Int

    @Option(name: .customLong("class"), help: "The class to explain (default: the predicted class).")
    public var classIndex: Int?

    @Option(help: "Riemann steps of integrated gradients.")
    public var steps: Int = 50

    @Option(help: ArgumentHelp("The SVG file to write (default: explain-<index>.svg next to the checkpoint).", valueName: "file"))
    public var out: String?

    @Flag(help: "ASCII shading even on a terminal.")
    public var ascii = false

    public init() {}

    public func validate() throws {
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
        if let input { try CommandSupport.checkFile(input, option: "--input") }
        guard steps >= 1 && steps <= 10_000 else { throw ValidationError("--steps must lie in 1...10000, got \(steps)") }
        if let out { try CommandSupport.refuseOverwriting(out, option: "--out", inputs: [checkpoint, input, dataOptions.data].compactMap { $0 }) }
        guard index >= 0 else { throw ValidationError("--index must not be negative, got \(index)") }
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the saliency and integrated gradients.
    @discardableResult
    public func execute(console: Console) throws -> (saliency: Tensor, integratedGradients: Tensor) {
        try resources.apply()
        let trained = try TrainedModel.load(checkpoint)
        guard trained.task != .languageModel else {
            throw ValidationError("\(checkpoint) holds a language model: continue text with gradus generate, measure it with gradus evaluate")
        }
        if trained.config.model.architecture == .fusion { return try explainSeveral(trained, console: console) }
        guard let layer = trained.model as? any Layer else { throw ValidationError("\(checkpoint): the model cannot be called on one input") }
        let sample: Tensor, label: String
        if let input {
            let raw = try InputFile.read(input, for: trained)
            let batch = try InputFile.prepare(raw, from: input, for: trained)
            sample = try InputFile.select(batch, index: index).0.squeeze(0)
            label = "\(input) row \(index)"
        } else {
            let data = try trained.loadData(try dataOptions.spec(base: trained.config.data))
            guard index < data.test.count else {
                throw ValidationError("--index \(index) is out of range: the test data has \(data.test.count) samples")
            }
            let s = data.test.sample(at: index)
            sample = s.input
            label = "test sample \(index) of \(data.source) (target \(trained.task == .classify ? String(s.target.intScalars[0]) : CommandSupport.describeTarget(s.target, of: trained)))"
        }
        let output = trained.predict(sample.unsqueeze(0)).scalars(as: Double.self)
        let predicted = output.indices.max { output[$0] < output[$1] } ?? 0
        let target = classIndex ?? (trained.task == .classify ? predicted : 0)
        guard target >= 0, target < output.count else {
            throw ValidationError("--class \(target) is out of range: the model has \(output.count) outputs")
        }
        // In a scope, as the multi-input path below: whatever the file held, a refusal is an error, not a stop.
        let saliency = try GradusError.catching { Explain.saliency(model: layer, input: sample, classIndex: target) }
        let ig = try GradusError.catching { Explain.integratedGradients(model: layer, input: sample, classIndex: target, steps: steps) }

        let grid: [Int]? = trained.imageShape.flatMap { $0.reduce(1, *) == sample.count ? $0 : nil }
        let names = trained.featureNames
        // Show the input in data units; the attributions are with respect to the model's (standardized) input.
        let shown = trained.standardizer.map { $0.inverseTransform(sample.reshape([1, sample.count])) } ?? sample
        let x = shown.scalars(as: Double.self), s = saliency.scalars(as: Double.self), a = ig.scalars(as: Double.self)
        let what = trained.task == .classify
            ? "predicted class \(predicted) (p=\(String(format: "%.4f", output[predicted]))), explaining class \(target)"
            : "predicted value \(String(format: "%.6g", output[0]))"
        console.line("gradus explain: \(label): \(what)")
        let color = console.isTerminal && !ascii
        for (title, values) in [("input", x), ("saliency (gradient of the class score)", s), ("integrated gradients (\(steps) steps, zero baseline)", a)] {
            console.line("\n\(title):")
            console.line(HeatMap.terminal(values, grid: grid, featureNames: names, color: color))
        }
        let file = out ?? ((checkpoint as NSString).deletingLastPathComponent as NSString).appendingPathComponent("explain-\(index).svg")
        let svg = HeatMap.svg(panels: [("input", x), ("saliency", s), ("integrated gradients", a)], grid: grid,
                              featureNames: names, title: "\(label): \(what)")
        do {
            try AtomicFile.write(to: file) { try $0.write(Array(svg.utf8)) }
        } catch {
            throw ValidationError("cannot write \(file): \(error)")
        }
        // Completeness (Sundararajan et al. 2017): the attributions sum to f(x) − f(baseline), up to the
        // Riemann error of the path integral, which shrinks with --steps.
        let score = { (t: Tensor) -> Double in
            GradMode.noGrad { layer(t.unsqueeze(0)).select(axis: 1, index: target).item(Double.self) }
        }
        let fx = score(sample), fb = score(Tensor.zeros(sample.shape, dtype: sample.dtype))
        let total = a.reduce(0, +)
        console.line("\nf(x) = \(String(format: "%.6g", fx)), f(baseline) = \(String(format: "%.6g", fb)) (the model's output \(target) before softmax)")
        console.line("sum of integrated gradients: \(String(format: "%.6g", total)); completeness gap |sum - (f(x) - f(baseline))| = \(String(format: "%.3g", abs(total - (fx - fb))))")
        console.line("wrote \(file)")
        return (saliency, ig)
    }

    /// Explains one sample of a model with several inputs: saliency and integrated gradients per input
    /// (a heat map for each image input, bars for each feature vector), and each input's share of the
    /// attributions. Returns the attributions of all inputs, flattened and concatenated in the model's
    /// input order.
    func explainSeveral(_ trained: TrainedModel, console: Console) throws -> (saliency: Tensor, integratedGradients: Tensor) {
        guard let model = trained.model as? any MultiInputLayer else { throw ValidationError("\(checkpoint): not a several-input model") }
        let sample: TensorGroup, label: String
        if let input {
            let (group, _) = try InputFile.prepareGroup(try InputFile.readGroup(input, for: trained), from: input, for: trained, index: index)
            sample = group.mapTensors { $0.squeeze(0) }
            label = "\(input) row \(index)"
        } else {
            let data = try trained.loadData(try dataOptions.spec(base: trained.config.data))
            guard let test = data.groups?.test else { throw ValidationError("\(data.source): the data has no named inputs") }
            guard index < test.count else {
                throw ValidationError("--index \(index) is out of range: the test data has \(test.count) samples")
            }
            let s = test.sample(at: index)
            sample = s.input
            label = "test sample \(index) of \(data.source) (target \(trained.task == .classify ? String(s.target.intScalars[0]) : CommandSupport.describeTarget(s.target, of: trained)))"
        }
        let output = try trained.predict(prepared: sample.mapTensors { $0.unsqueeze(0) }).scalars(as: Double.self)
        let predicted = output.indices.max { output[$0] < output[$1] } ?? 0
        let target = classIndex ?? (trained.task == .classify ? predicted : 0)
        guard target >= 0, target < output.count else {
            throw ValidationError("--class \(target) is out of range: the model has \(output.count) outputs")
        }
        let saliency = try GradusError.catching { Explain.saliency(model: model, inputs: sample, classIndex: target) }
        let ig = try GradusError.catching { Explain.integratedGradients(model: model, inputs: sample, classIndex: target, steps: steps) }
        let what = trained.task == .classify
            ? "predicted class \(predicted) (p=\(String(format: "%.4f", output[predicted]))), explaining class \(target)"
            : "predicted value \(String(format: "%.6g", output[0]))"
        console.line("gradus explain: \(label): \(what)")
        let color = console.isTerminal && !ascii
        let totals = ig.tensors.map { $0.sum().item(Double.self) }
        let magnitude = ig.tensors.map { $0.abs().sum().item(Double.self) }
        let allMagnitude = Swift.max(magnitude.reduce(0, +), 1e-30)
        var panels: [(String, [Double])] = []
        var grids: [[Int]?] = []
        for (k, name) in sample.names.enumerated() {
            let x = sample[name]
            let grid: [Int]? = x.rank >= 2 ? Array(x.shape.suffix(2)) : nil
            // A multi-channel image is shown channel-summed.
            func plane(_ t: Tensor) -> [Double] {
                t.rank == 3 ? t.sum(axes: [0]).scalars(as: Double.self) : t.scalars(as: Double.self)
            }
            console.line(String(format: "\ninput %@ %@: integrated gradients sum %.4g, %.1f%% of the attribution magnitude",
                                name, "\(x.shape)", totals[k], 100 * magnitude[k] / allMagnitude))
            for (title, t) in [("input", x), ("saliency", saliency[name]), ("integrated gradients", ig[name])] {
                console.line("\(name) \(title):")
                console.line(HeatMap.terminal(plane(t), grid: grid, featureNames: nil, color: color))
                panels.append(("\(name): \(title)", plane(t)))
                grids.append(grid)
            }
        }
        let file = out ?? ((checkpoint as NSString).deletingLastPathComponent as NSString).appendingPathComponent("explain-\(index).svg")
        // One SVG per input kind is simplest to read: the panels of each input share its grid.
        var svgParts: [String] = []
        for (k, name) in sample.names.enumerated() {
            svgParts.append(HeatMap.svg(panels: Array(panels[(3 * k)..<(3 * k + 3)]), grid: grids[3 * k], featureNames: nil,
                                        title: k == 0 ? "\(label): \(what) — \(name)" : name))
        }
        let svg = HeatMap.stack(svgParts)
        do {
            try AtomicFile.write(to: file) { try $0.write(Array(svg.utf8)) }
        } catch {
            throw ValidationError("cannot write \(file): \(error)")
        }
        let score = { (g: TensorGroup) -> Double in
            GradMode.noGrad { model(g.mapTensors { $0.unsqueeze(0) }).select(axis: 1, index: target).item(Double.self) }
        }
        let fx = score(sample), fb = score(sample.mapTensors { Tensor.zeros($0.shape, dtype: $0.dtype) })
        let total = totals.reduce(0, +)
        console.line("\nf(x) = \(String(format: "%.6g", fx)), f(baseline) = \(String(format: "%.6g", fb)) (the model's output \(target) before softmax)")
        console.line("sum of integrated gradients over all inputs: \(String(format: "%.6g", total)); completeness gap |sum - (f(x) - f(baseline))| = \(String(format: "%.3g", abs(total - (fx - fb))))")
        console.line("wrote \(file)")
        let flat = { (g: TensorGroup) in Tensor.concatenate(g.tensors.map { $0.reshape([-1]) }, axis: 0) }
        return (flat(saliency), flat(ig))
    }
}
