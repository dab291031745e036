import Gradus
import GradusTestSupport
import Testing

/// A `[name, shape]` pair from a fixture.
struct NameShape: Decodable {
    let name: String
    let shape: [Int]
    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        name = try c.decode(String.self)
        shape = try c.decode([Int].self)
    }
}

/// One forward/backward run recorded by PyTorch (scripts/make_nn_fixtures.py).
struct LayerRun: Decodable {
    let output: TensorFixture
    let gradInput: TensorFixture?
    let grads: [String: TensorFixture]
    let stateAfter: [String: TensorFixture]
}

/// A layer case recorded by PyTorch: parameter names and shapes, weights, input and results.
struct LayerFixture: Decodable {
    let params: [NameShape]
    let buffers: [NameShape]
    let state: [String: TensorFixture]
    let input: TensorFixture
    let gradOutput: TensorFixture
    let runs: [String: LayerRun]
    let repr: String
}

/// Checks `layer` against the PyTorch fixture `nn/<name>.json`: parameter and buffer names, shapes and
/// counts; then, with PyTorch's weights loaded, the output and the gradients of the input and of every
/// parameter for the loss Σ gradOutput·output, in train mode then eval mode (when recorded), and the
/// buffers after each run.
func checkAgainstPyTorch(_ name: String, _ layer: any Layer, rtol: Double = 1e-5, atol: Double = 1e-6) throws {
    let f = try Fixtures.decode(LayerFixture.self, "nn/\(name).json")
    let params = layer.namedParameters()
    #expect(params.map(\.name) == f.params.map(\.name), "\(name): parameter names")
    #expect(params.map(\.tensor.shape) == f.params.map(\.shape), "\(name): parameter shapes")
    #expect(layer.parameterCount == f.params.reduce(0) { $0 + $1.shape.reduce(1, *) }, "\(name): parameter count")
    let buffers = layer.namedBuffers()
    #expect(buffers.map(\.name) == f.buffers.map(\.name), "\(name): buffer names")
    #expect(buffers.map(\.tensor.shape) == f.buffers.map(\.shape), "\(name): buffer shapes")
    #expect(Set(layer.stateDict().keys) == Set(f.state.keys), "\(name): state dictionary keys")

    try layer.loadStateDict(f.state.mapValues { $0.tensor() })
    let gradOutput = f.gradOutput.tensor()
    for mode in ["train", "eval"] {
        guard let run = f.runs[mode] else { continue }
        layer.train(mode == "train")
        layer.zeroGrad()
        let x = f.input.tensor()
        if x.dtype.isFloatingPoint { x.requiresGrad = true }
        let y = layer(x)
        if let m = mismatch(y, run.output.tensor(), rtol: rtol, atol: atol) {
            Issue.record("\(name) \(mode): output \(m)")
        }
        (y * gradOutput).sum().backward()
        if let expected = run.gradInput {
            if let g = x.grad {
                if let m = mismatch(g, expected.tensor(), rtol: rtol, atol: atol) {
                    Issue.record("\(name) \(mode): input gradient \(m)")
                }
            } else {
                Issue.record("\(name) \(mode): no input gradient")
            }
        }
        for (pname, p) in layer.namedParameters() {
            guard let expected = run.grads[pname] else {
                #expect(p.grad == nil, "\(name) \(mode): \(pname) has a gradient PyTorch does not")
                continue
            }
            guard let g = p.grad else { Issue.record("\(name) \(mode): no gradient for \(pname)"); continue }
            if let m = mismatch(g, expected.tensor(), rtol: rtol, atol: atol) {
                Issue.record("\(name) \(mode): gradient of \(pname) \(m)")
            }
        }
        for (bname, b) in layer.namedBuffers() {
            guard let expected = run.stateAfter[bname] else { Issue.record("\(name): buffer \(bname) not in fixture"); continue }
            if let m = mismatch(b, expected.tensor(), rtol: rtol, atol: atol) {
                Issue.record("\(name) \(mode): buffer \(bname) after the run \(m)")
            }
        }
    }
}
