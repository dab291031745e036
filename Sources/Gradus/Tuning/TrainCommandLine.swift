import Foundation

/// The `gradus train` command line that trains a given ``RunConfig``: what a study prints and writes
/// to `best/command.txt` so that its best configuration can be reproduced by hand.
///
/// Every training option is given explicitly (model, hidden sizes, task, optimizer, learning rate,
/// momentum, weight decay, schedule, epochs, batch size, seed, standardization), with the data options
/// and the split's options when they differ from `gradus train`'s defaults. `--out` is left out.
///
/// ```swift
/// let args = TrainCommandLine.arguments(for: config)   // ["--model", "mlp", "--hidden", "128", …]
/// print(TrainCommandLine.text(for: config))            // gradus train --model mlp --hidden 128 …
/// ```
public enum TrainCommandLine {
    /// The arguments after `gradus train`.
    ///
    /// - Parameter config: the configuration (early stopping is not expressed).
    /// - Returns: the arguments, unquoted.
    public static func arguments(for config: RunConfig) -> [String] {
        var a: [String] = []
        let d = config.data
        if d.format != .digits {
            if let path = d.path { a += ["--data", path] }
            a += ["--format", d.format.rawValue]
            if let target = d.target { a += ["--target", target] }
        }
        if let testPath = d.testPath { a += ["--test-data", testPath] }
        if d.testFraction != 0.2 { a += ["--test-fraction", "\(d.testFraction)"] }
        if d.splitSeed != config.seed { a += ["--split-seed", "\(d.splitSeed)"] }
        a.append(d.standardize ? "--standardize" : "--no-standardize")
        if d.standardizeTarget == true { a.append("--standardize-target") }
        a += ["--model", config.model.architecture.rawValue]
        if config.model.architecture == .mlp {
            a += ["--hidden", config.model.hidden.map(String.init).joined(separator: ",")]
        }
        a += ["--task", config.task.rawValue,
              "--optimizer", config.optimizer.kind.rawValue,
              "--lr", "\(config.optimizer.learningRate)",
              "--momentum", "\(config.optimizer.momentum)",
              "--weight-decay", "\(config.optimizer.weightDecay)",
              "--schedule", config.schedule.rawValue,
              "--epochs", "\(config.epochs)",
              "--batch-size", "\(config.batchSize)",
              "--seed", "\(config.seed)"]
        if config.saveEvery != 0 { a += ["--save-every", "\(config.saveEvery)"] }
        if config.nonFiniteLoss != .stop { a += ["--on-nonfinite", config.nonFiniteLoss.rawValue] }
        return a
    }

    /// The whole command as one shell line: `gradus train` and the quoted arguments.
    ///
    /// ```swift
    /// try TrainCommandLine.text(for: config).write(toFile: "command.txt", atomically: true, encoding: .utf8)
    /// ```
    public static func text(for config: RunConfig) -> String {
        (["gradus", "train"] + arguments(for: config).map(quote)).joined(separator: " ")
    }

    /// `s` quoted for a POSIX shell when it needs it (`''` for the empty string).
    public static func quote(_ s: String) -> String {
        let safe = s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "@%+=:,./_-".unicodeScalars.contains(c)
        }
        if !s.isEmpty && safe { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
