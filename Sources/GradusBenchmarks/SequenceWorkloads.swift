import Gradus

/// Sequence-model training steps, beside scripts/pytorch_micro.py's `lstm_b32` and `transformer_b32`
/// (same shapes and hyper-parameters).
enum SequenceWorkloads {
    /// A 1-layer LSTM(64, 128) over 35 steps of a batch of 32, a linear head on the last output,
    /// cross-entropy, SGD with momentum.
    static let lstm = Workload(name: "lstm_b32") {
        var rng = SeededGenerator(seed: 0)
        let lstm = LSTM(inputSize: 64, hiddenSize: 128, generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        let optimizer = SGD(lstm.parameters() + head.parameters(), lr: 0.05, momentum: 0.9)
        let x = Tensor.normal([35, 32, 64], generator: &rng)
        let y = Tensor.randint(0, 10, shape: [32], generator: &rng)
        let t = secondsPerCall(reps: 20) {
            optimizer.zeroGrad()
            let output = lstm(x)
            head(output.select(axis: 0, index: 34)).crossEntropy(y).backward()
            optimizer.step()
        }
        return (32 / t, "samples/s")
    }

    /// One TransformerEncoderLayer(64, 4 heads, 256, dropout 0, batch first) on [32, 35, 64], the mean
    /// over positions, a linear head, cross-entropy, SGD with momentum.
    static let transformer = Workload(name: "transformer_b32") {
        var rng = SeededGenerator(seed: 0)
        let block = TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, dropout: 0, batchFirst: true,
                                            generator: &rng)
        let head = Linear(64, 10, generator: &rng)
        let optimizer = SGD(block.parameters() + head.parameters(), lr: 0.05, momentum: 0.9)
        let x = Tensor.normal([32, 35, 64], generator: &rng)
        let y = Tensor.randint(0, 10, shape: [32], generator: &rng)
        let t = secondsPerCall(reps: 20) {
            optimizer.zeroGrad()
            head(block(x).mean(axes: [1])).crossEntropy(y).backward()
            optimizer.step()
        }
        return (32 / t, "samples/s")
    }

    static let all: [Workload] = [lstm, transformer]
}
