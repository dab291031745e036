import Foundation
import Gradus
import GradusONNX
import GradusTestSupport
import Testing

@Suite("ONNX export of parametrized layers")
struct ParametrizedExportTests {
    /// Three layers of one shape, two spectrally normalized and one weight-normalized: each exports its
    /// own computed weight (not another layer's, not its originals), so a plain model of the same
    /// architecture reads the file back and computes what the parametrized model computes.
    @Test func parametrizedWeightsExportAsTheirValues() throws {
        var rng = SeededGenerator(seed: 3)
        let model = Sequential([try Parametrizations.spectralNorm(Linear(16, 16, generator: &rng), generator: &rng), ReLU(),
                                try Parametrizations.weightNorm(Linear(16, 16, generator: &rng)), ReLU(),
                                try Parametrizations.spectralNorm(Linear(16, 16, generator: &rng), generator: &rng)])
        model.eval()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parametrized-\(UUID().uuidString).onnx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, sampleInput: Tensor.zeros([1, 16]))
        let plain = Sequential([Linear(16, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 16)])
        try plain.loadONNXWeights(from: path)
        let x = Tensor.normal([4, 16], generator: &rng)
        let expected = GradMode.noGrad { model(x) }, actual = GradMode.noGrad { plain(x) }
        #expect(mismatch(actual, expected, rtol: 1e-6, atol: 1e-6) == nil, "\(mismatch(actual, expected) ?? "")")
    }
}
