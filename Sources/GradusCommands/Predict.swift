import ArgumentParser
import Foundation
import Gradus

/// `gradus predict`: classes and probabilities (or values) for the rows of a file.
public struct Predict: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Predict classes and probabilities (or regression values) for inputs in a CSV or NumPy file.",
        discussion: """
        CSV inputs need the training columns (matched by name; a target column is ignored). NumPy inputs \
        (.npy, or x in an .npz) are [n, features...] or one sample. With --index, only that row is shown, \
        with the probability of every class.
        """
    )

    @Option(help: ArgumentHelp("A checkpoint written by gradus train.", valueName: "file"))
    public var checkpoint: String

    @Option(help: ArgumentHelp("The inputs: .csv, .npy or .npz.", valueName: "file"))
    public var input: String

    @Option(help: "Only this row (from 0).")
    public var index: Int?

    @Option(help: "Show at most this many rows.")
    public var limit: Int = 20

    @OptionGroup public var resources: ResourceOptions

    /// How the predictions are printed.
    public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
        case table, csv, json
    }

    @Option(help: "table (readable, --limit rows), csv or json (every row, every output, full precision).")
    public var output: OutputFormat = .table

    public init() {}

    public func validate() throws {
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
        try CommandSupport.checkFile(input, option: "--input")
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the probabilities or values `[rows, outputs]`.
    @discardableResult
    public func execute(console: Console) throws -> Tensor {
        try resources.apply()
        let trained = try TrainedModel.load(checkpoint)
        guard trained.task != .languageModel else {
            throw ValidationError("\(checkpoint) holds a language model: continue text with gradus generate, measure it with gradus evaluate")
        }
        let out: Tensor, indices: [Int]
        if trained.config.model.architecture == .fusion {
            let (group, chosen) = try InputFile.prepareGroup(try InputFile.readGroup(input, for: trained), from: input, for: trained, index: index)
            out = try trained.predict(prepared: group)
            indices = chosen
        } else {
            let raw = try InputFile.read(input, for: trained)
            let batch = try InputFile.prepare(raw, from: input, for: trained)
            let (rows, chosen) = try InputFile.select(batch, index: index)
            out = trained.predict(rows)
            indices = chosen
        }
        let width = out.shape[1]
        let values = out.scalars(as: Double.self)
        if output != .table {
            // Shortest round-trip decimal text: reading it back gives the same Double.
            let rows = indices.enumerated().map { r, i in (i, Array(values[(r * width)..<((r + 1) * width)])) }
            let names = trained.task == .classify ? (0..<width).map { "p\($0)" } : (0..<width).map { "y\($0)" }
            if output == .csv {
                console.line((["row"] + (trained.task == .classify ? ["class"] : []) + names).joined(separator: ","))
                for (i, row) in rows {
                    let best = trained.task == .classify ? ["\(row.indices.max { row[$0] < row[$1] } ?? 0)"] : []
                    console.line((["\(i)"] + best + row.map { "\($0)" }).joined(separator: ","))
                }
            } else {
                let items = rows.map { i, row -> String in
                    let best = trained.task == .classify ? ", \"class\": \(row.indices.max { row[$0] < row[$1] } ?? 0)" : ""
                    let key = trained.task == .classify ? "probabilities" : "values"
                    return "{\"row\": \(i)\(best), \"\(key)\": [" + row.map { "\($0)" }.joined(separator: ", ") + "]}"
                }
                console.line("[\n  " + items.joined(separator: ",\n  ") + "\n]")
            }
            return out
        }
        for (r, i) in indices.enumerated().prefix(limit) {
            let row = Array(values[(r * width)..<((r + 1) * width)])
            switch trained.task {
            case .classify:
                let best = row.indices.max { row[$0] < row[$1] } ?? 0
                console.line("row \(i): class \(best)  p=\(String(format: "%.4f", row[best]))")
                if index != nil {
                    for (k, p) in row.enumerated() { console.line("  class \(k): \(String(format: "%.4f", p))") }
                }
            case .regress, .languageModel:
                console.line("row \(i): " + row.map { String(format: "%.6g", $0) }.joined(separator: ", "))
            }
        }
        if indices.count > limit { console.line("... \(indices.count - limit) more rows (use --limit or --index)") }
        return out
    }
}
