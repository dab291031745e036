import ArgumentParser
import Foundation
import Gradus
import GradusCommands
import GradusTestSupport
import Testing

/// `gradus import` turns PyTorch state_dicts into checkpoints whose models compute PyTorch's outputs
/// (fixtures from scripts/make_import_fixtures.py).
@Suite struct ImportTests {
    struct Case: Decodable { let input: [Double]; let shape: [Int]; let output: [Double] }
    struct Record: Decodable { let mlp: Case; let lenet: Case }

    func maxDifference(_ path: String, _ c: Case) throws -> Double {
        let trained = try TrainedModel.load(path)
        let x = Tensor(shape: c.shape, values: c.input)
        let out = GradMode.noGrad { trained.layer!(x) }.scalars(as: Double.self)
        #expect(out.count == c.output.count)
        return zip(out, c.output).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test("an MLP and a LeNet from PyTorch give PyTorch's outputs; mismatched architectures are refused by name")
    func importedModelsMatchPyTorch() throws {
        let dir = try temporaryFolder("import")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixtures = Fixtures.directory.appendingPathComponent("import").path
        let record = try Fixtures.decode(Record.self, "import/torch_import_outputs.json")

        let mlp = try Import.parse(["--weights", fixtures + "/torch_mlp.safetensors", "--model", "mlp", "--hidden", "16,8",
                                    "--input-shape", "12", "--outputs", "3", "--out", dir + "/mlp"]).execute(console: Capture().console)
        #expect(try maxDifference(mlp, record.mlp) < 1e-5)

        let lenet = try Import.parse(["--weights", fixtures + "/torch_lenet.safetensors", "--model", "lenet", "--input-shape", "1,16,16",
                                      "--outputs", "4", "--strip-prefix", "model.", "--pixel-scale", "0.00392156862745098",
                                      "--out", dir + "/lenet"]).execute(console: Capture().console)
        #expect(try maxDifference(lenet, record.lenet) < 1e-5)
        #expect(try TrainedModel.load(lenet).pixelScale == 1.0 / 255)

        do {
            try Import.parse(["--weights", fixtures + "/torch_mlp.safetensors", "--model", "mlp", "--hidden", "16",
                              "--input-shape", "12", "--outputs", "3", "--out", dir + "/bad"]).execute(console: Capture().console)
            Issue.record("a 12-16-3 MLP took 12-16-8-3 weights")
        } catch {
            #expect("\(error)".contains("2.weight"), "\(error)")
        }
    }
}
