@_spi(KernelTesting) import Gradus

/// Sequence-model training steps and generation, beside scripts/pytorch_micro.py's `lstm_b32`,
/// `gru_b32`, `rnn_b32`, `transformer_b32`, `transformer_l128` and `gpt_generate` (same shapes and hyper-parameters).
enum SequenceWorkloads {
    /// One SGD (momentum 0.9) step of cross-entropy on 10 classes for a batch of 32: `input` made by
    /// `build`, which returns the logits function and its parameters. With `stepwise`, recurrent layers
    /// run as a graph of per-step operations instead of their fused sequence
    /// (`KernelTesting.withStepwiseRecurrence`): the comparison rows `*_stepwise`.
    static func step(_ name: String, inputShape: [Int], stepwise: Bool = false,
                     build: @escaping @Sendable (inout SeededGenerator) -> ((Tensor) -> Tensor, [Tensor])) -> Workload {
        Workload(name: name) {
            stepwise ? KernelTesting.withStepwiseRecurrence { measure(inputShape: inputShape, build: build) }
                : measure(inputShape: inputShape, build: build)
        }
    }

    private static func measure(inputShape: [Int],
                                build: @Sendable (inout SeededGenerator) -> ((Tensor) -> Tensor, [Tensor])) -> (Double, String) {
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

    /// A 1-layer LSTM(64, 128) over 35 steps, a linear head on the last output.
    static let lstm = step("lstm_b32", inputShape: [35, 32, 64]) { rng in
        let lstm = LSTM(inputSize: 64, hiddenSize: 128, generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        return ({ head(lstm($0).select(axis: 0, index: 34)) }, lstm.parameters() + head.parameters())
    }

    /// A 1-layer GRU(64, 128) over 35 steps, a linear head on the last output.
    @Sendable static func gruModel(_ rng: inout SeededGenerator) -> ((Tensor) -> Tensor, [Tensor]) {
        let gru = GRU(inputSize: 64, hiddenSize: 128, generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        return ({ head(gru($0).select(axis: 0, index: 34)) }, gru.parameters() + head.parameters())
    }
    static let gru = step("gru_b32", inputShape: [35, 32, 64], build: gruModel)
    static let gruStepwise = step("gru_b32_stepwise", inputShape: [35, 32, 64], stepwise: true, build: gruModel)

    /// A 1-layer Elman RNN(64, 128, tanh) over 35 steps, a linear head on the last output.
    @Sendable static func rnnModel(_ rng: inout SeededGenerator) -> ((Tensor) -> Tensor, [Tensor]) {
        let rnn = RNN(inputSize: 64, hiddenSize: 128, generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        return ({ head(rnn($0).select(axis: 0, index: 34)) }, rnn.parameters() + head.parameters())
    }
    static let rnn = step("rnn_b32", inputShape: [35, 32, 64], build: rnnModel)
    static let rnnStepwise = step("rnn_b32_stepwise", inputShape: [35, 32, 64], stepwise: true, build: rnnModel)

    /// A longer sequence: one TransformerEncoderLayer(128, 4 heads, 512, dropout 0, batch first) on
    /// [32, 128, 128], the mean over positions, a linear head.
    static let transformerLong = step("transformer_l128", inputShape: [32, 128, 128]) { rng in
        let block = TransformerEncoderLayer(dModel: 128, numHeads: 4, dimFeedforward: 512, dropout: 0, batchFirst: true,
                                            generator: &rng)
        let head = Linear(128, 10, generator: &rng)
        return ({ head(block($0).mean(axes: [1])) }, block.parameters() + head.parameters())
    }

    /// Greedy generation of 127 tokens after a 1-token prompt with the default `gradus train --task
    /// language-model` GPT (4 blocks, 128 wide, 4 heads, 75 tokens, context 128), key/value cache.
    static let gptGenerate = Workload(name: "gpt_generate") {
        var rng = SeededGenerator(seed: 0)
        let gpt = GPTLanguageModel(vocabularySize: 75, contextLength: 128, embeddingSize: 128, numHeads: 4, numLayers: 4,
                                   generator: &rng)
        let sampler = try! TokenSampler(temperature: 0)
        let t = secondsPerCall(reps: 5) {
            var g = SeededGenerator(seed: 1)
            _ = try! gpt.generate(prompt: [0], length: 127, sampler: sampler, generator: &g)
        }
        return (127 / t, "tokens/s")
    }

    /// Greedy generation of 127 tokens after a 1-token prompt with the default `gradus train --task
    /// language-model --model lstm|gru` model (embedding 64, two recurrent layers of 128, a linear head):
    /// each token is a one-step sequence of one row. With `stepwise`, the per-step graph.
    static func recurrentGenerate(_ name: String, cell: RecurrentLanguageModel.Cell, stepwise: Bool = false) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let model = RecurrentLanguageModel(cell: cell, vocabularySize: 75, embeddingSize: 64, hiddenSize: 128, numLayers: 2,
                                               generator: &rng)
            let sampler = try! TokenSampler(temperature: 0)
            let generate = {
                secondsPerCall(reps: 5) {
                    var g = SeededGenerator(seed: 1)
                    _ = try! model.generate(prompt: [0], length: 127, sampler: sampler, generator: &g)
                }
            }
            let t = stepwise ? KernelTesting.withStepwiseRecurrence(generate) : generate()
            return (127 / t, "tokens/s")
        }
    }
    static let lstmGenerate = recurrentGenerate("lstm_generate", cell: .lstm)
    static let gruGenerate = recurrentGenerate("gru_generate", cell: .gru)
    static let gruGenerateStepwise = recurrentGenerate("gru_generate_stepwise", cell: .gru, stepwise: true)

    /// Greedy decoding of 63 tokens after a start token by an encoder-decoder's decoder: 75-token
    /// embedding, two TransformerDecoderLayer(128, 4 heads, 512, dropout 0, batch first) blocks attending
    /// to a memory of 64 positions, a linear head; key/value caches under noGrad (the memory's projection
    /// made once per sequence). scripts/pytorch_micro.py's `seq2seq_generate` runs the same decoder in
    /// eager PyTorch with the same caches written by hand (nn.TransformerDecoder has none).
    static let seq2seqGenerate = seq2seqDecoding("seq2seq_generate", reprojectMemory: false)

    /// seq2seq_generate with the memory handed over as a new tensor each step, so that every block
    /// projects it again: what each step cost before the cache kept the projection (Gradus only).
    static let seq2seqGenerateReproject = seq2seqDecoding("seq2seq_generate_reproject", reprojectMemory: true)

    static func seq2seqDecoding(_ name: String, reprojectMemory: Bool) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let embedding = Embedding(75, 128, generator: &rng)
            let decoder = TransformerDecoder(numLayers: 2) {
                TransformerDecoderLayer(dModel: 128, numHeads: 4, dimFeedforward: 512, dropout: 0, batchFirst: true, generator: &rng)
            }
            let head = Linear(128, 75, generator: &rng)
            let memory = Tensor.normal([1, 64, 128], generator: &rng)
            let t = secondsPerCall(reps: 5) {
                GradMode.noGrad {
                    var cache: [KeyValueCache] = []
                    var token = 0
                    for _ in 0..<63 {
                        let x = embedding(Tensor(shape: [1, 1], integers: [token]))
                        let y = decoder(x, memory: reprojectMemory ? memory.detach() : memory, cache: &cache)
                        token = head(y).argmax().intScalars[0]
                    }
                }
            }
            return (63 / t, "tokens/s")
        }
    }

    /// One TransformerEncoderLayer(64, 4 heads, 256, dropout 0, batch first) on [32, 35, 64], the mean
    /// over positions, a linear head.
    static let transformer = step("transformer_b32", inputShape: [32, 35, 64]) { rng in
        let block = TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, dropout: 0, batchFirst: true,
                                            generator: &rng)
        let head = Linear(64, 10, generator: &rng)
        return ({ head(block($0).mean(axes: [1])) }, block.parameters() + head.parameters())
    }

    /// Six TransformerEncoderLayer(128, 4 heads, 512, dropout 0.1, batch first) blocks on [16, 256, 128],
    /// the mean over positions, a linear head, SGD; with `checkpointing`, each block is ``Checkpointed``
    /// (activation checkpointing: its activations are computed again in the backward pass). The pair
    /// shows the peak memory checkpointing saves and the time it costs, beside `torch.utils.checkpoint`.
    static func deepTransformer(_ name: String, checkpointing: Bool) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let blocks: [any Layer] = (0..<6).map { _ in
                let block = TransformerEncoderLayer(dModel: 128, numHeads: 4, dimFeedforward: 512, dropout: 0.1, batchFirst: true,
                                                    generator: &rng)
                return checkpointing ? Checkpointed(block) : block
            }
            let model = Sequential(blocks)
            let head = Linear(128, 10, generator: &rng)
            let optimizer = SGD(model.parameters() + head.parameters(), lr: 0.05, momentum: 0.9)
            let x = Tensor.normal([16, 256, 128], generator: &rng)
            let y = Tensor.randint(0, 10, shape: [16], generator: &rng)
            let t = secondsPerCall(warm: 1, reps: 2) {
                optimizer.zeroGrad()
                head(model(x).mean(axes: [1])).crossEntropy(y).backward()
                optimizer.step()
            }
            return (16 / t, "samples/s")
        }
    }

    static let all: [Workload] = [lstm, gru, gruStepwise, rnn, rnnStepwise, lstmGenerate, gruGenerate, gruGenerateStepwise,
                                   transformer, transformerLong, gptGenerate, seq2seqGenerate, seq2seqGenerateReproject,
                                  deepTransformer("transformer_deep", checkpointing: false),
                                  deepTransformer("transformer_deep_ckpt", checkpointing: true)]
}
