import ArgumentParser
import Foundation
import Gradus

/// `gradus generate`: continue a prompt with a language model trained by `gradus train --task language-model`.
public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Generate text with a language model checkpoint.",
        discussion: """
        Prints the prompt and its continuation as tokens are drawn. Decoding is incremental (a key/value \
        cache for gpt, the carried state for lstm/gru), so N tokens cost N steps. --temperature 0 is greedy \
        decoding; --top-k and --top-p filter the tempered distribution in that order; --seed makes the \
        draw reproducible.

        Examples:
          gradus train --task language-model
          gradus generate --checkpoint runs/shakespeare-gpt/checkpoint.safetensors --prompt "KING." --length 300
          gradus generate --checkpoint runs/shakespeare-gpt/checkpoint.safetensors --temperature 0.8 --top-k 20 --seed 7
        """
    )

    @Option(help: ArgumentHelp("A language-model checkpoint written by gradus train --task language-model.", valueName: "file"))
    public var checkpoint: String

    @Option(help: "The text to continue (default: a new line, or the vocabulary's first character when the text had no new lines). Characters outside the model's vocabulary are refused.")
    public var prompt: String?

    @Option(help: "How many tokens to generate (0...1000000).")
    public var length: Int = 500

    @Option(help: "Divides the logits before sampling; 0 is greedy decoding.")
    public var temperature: Double = 1

    @Option(help: "Keep only the k most likely tokens.")
    public var topK: Int?

    @Option(help: "Keep the most likely tokens up to this cumulative probability (nucleus sampling), in (0, 1].")
    public var topP: Double?

    @Option(help: "The seed of the draws.")
    public var seed: UInt64 = 0

    @Flag(help: "After the text, print how many tokens were generated and how fast.")
    public var stats = false

    @Option(help: "Threads for the tensor kernels (default: all cores).")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        guard length >= 0 && length <= 1_000_000 else { throw ValidationError("--length must lie in 0...1000000, got \(length)") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be a finite number ≥ 0, got \(temperature)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must lie in (0, 1], got \(topP)") }
        if let prompt, prompt.isEmpty { throw ValidationError("--prompt must not be empty") }
        try CommandSupport.checkFile(checkpoint, option: "--checkpoint")
    }

    public func run() throws { try execute(console: .standard) }

    /// Runs the command, writing to `console`; returns the generated text (without the prompt).
    @discardableResult
    public func execute(console: Console) throws -> String {
        try CommandSupport.setThreads(threads)
        let trained = try TrainedModel.load(checkpoint)
        guard let model = trained.languageModel else {
            throw ValidationError("\(checkpoint) holds a \(trained.task.rawValue) model, not a language model (train one with --task language-model)")
        }
        let prompt = self.prompt ?? (trained.config.model.vocabulary.map { $0.characters.contains("\n") ? "\n" : $0.characters[0] } ?? "\n")
        let tokens: [Int]
        do {
            tokens = try trained.encode(prompt)
        } catch let error as GradusError {
            throw ValidationError("--prompt: \(error.message)")
        }
        let sampler = try TokenSampler(temperature: temperature, topK: topK, topP: topP)
        var rng = SeededGenerator(seed: seed)
        console.write(prompt)
        // Byte tokens may split a character: write once the pending bytes form valid UTF-8.
        var pending: [Int] = []
        var text = ""
        let began = DispatchTime.now().uptimeNanoseconds
        _ = try model.generate(prompt: tokens, length: length, sampler: sampler, generator: &rng) { token in
            pending.append(token)
            if let piece = try? trained.decode(pending), trained.config.model.vocabulary != nil || !piece.contains("\u{FFFD}") || pending.count >= 4 {
                console.write(piece)
                text += piece
                pending.removeAll()
            }
        }
        if !pending.isEmpty, let piece = try? trained.decode(pending) {
            console.write(piece)
            text += piece
        }
        console.line()
        if stats {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            console.line(String(format: "gradus generate: %d tokens in %.2f s (%.0f tokens/s), %@", length, seconds,
                                Double(length) / Swift.max(seconds, 1e-9), trained.config.model.summary))
        }
        return text
    }
}
