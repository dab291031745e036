import Gradus

/// Sequence-model training steps, beside scripts/pytorch_micro.py's `lstm_b32` and `transformer_b32`
/// (same shapes and hyper-parameters).
enum SequenceWorkloads {
    /// One SGD (momentum 0.9) step of cross-entropy on 10 classes for a batch of 32: `input` made by
    /// `build`, which returns the logits function and its parameters.
    static func step(_ name: String, inputShape: [Int],
                     build: @escaping @Sendable (inout SeededGenerator) -> ((Tensor) -> Tensor, [Tensor])) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let (logits, parameters) = build(&rng)
            let optimizer = SGD(parameters, lr: 0.05, momentum: 0.9)
            let x = Tensor.normal(inputShape, generator: &rng)
            let y = Tensor.randint(0, 10, shape: [32], generator: &rng)
            let t = secondsPerCall(reps: 20) {
                optimizer.zeroGrad()
                logits(x).crossEntropy(y).backward()
                optimizer.step()
            }
            return (32 / t, "samples/s")
        }
    }

    /// A 1-layer LSTM(64, 128) over 35 steps, a linear head on the last output.
    static let lstm = step("lstm_b32", inputShape: [35, 32, 64]) { rng in
        let lstm = LSTM(inputSize: 64, hiddenSize: 128, generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        return ({ head(lstm($0).select(axis: 0, index: 34)) }, lstm.parameters() + head.parameters())
    }

    /// One TransformerEncoderLayer(64, 4 heads, 256, dropout 0, batch first) on [32, 35, 64], the mean
    /// over positions, a linear head.
    static let transformer = step("transformer_b32", inputShape: [32, 35, 64]) { rng in
        let block = TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, dropout: 0, batchFirst: true,
                                            generator: &rng)
        let head = Linear(64, 10, generator: &rng)
        return ({ head(block($0).mean(axes: [1])) }, block.parameters() + head.parameters())
    }

    static let all: [Workload] = [lstm, transformer]
}
