import Gradus

/// The cost of walking a model's members: `parameters()` and `zeroGrad()` on a two-layer Transformer
/// encoder with a head (34 parameters in 12 modules), as a training loop that calls them every step pays.
enum ModuleWorkloads {
    static let parameters = Workload(name: "module_parameters") {
        var rng = SeededGenerator(seed: 0)
        let encoder = TransformerEncoder(numLayers: 2) {
            TransformerEncoderLayer(dModel: 64, numHeads: 4, dimFeedforward: 256, dropout: 0, batchFirst: true, generator: &rng)
        }
        let model = Sequential([encoder, Linear(64, 10, generator: &rng)])
        var total = 0
        let t = secondsPerCall(reps: 2000) {
            total &+= model.parameters().count
            model.zeroGrad()
        }
        precondition(total > 0)
        return (t * 1e6, "us/call")
    }

    static let all: [Workload] = [parameters]
}
