import Gradus
import GradusTestSupport
import Testing

@Suite("Embedding maxNorm")
struct EmbeddingMaxNormTests {
    @Test("looked-up rows above the bound are rescaled in place to it, the others are left alone; refusals")
    func renormalization() throws {
        let table = Tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
        let embed = Embedding(weight: table, maxNorm: 2)
        let y = embed(Tensor(labels: [0, 1, 0, 3]))
        let w = embed.weight.scalars(as: Double.self)
        // Row 0 (norm 5) scaled by 2 / (5 + 1e-7); row 1 (0.5) and row 3 (1) below the bound; row 2 not looked up.
        let factor = 2 / (5 + 1e-7)
        #expect(Swift.abs(w[0] - 3 * factor) < 1e-6 && Swift.abs(w[1] - 4 * factor) < 1e-6)
        #expect(Array(w[2...]) == [0.3, 0.4, 6.0, 8.0, 1.0, 0.0].map { Double(Float($0)) })
        #expect(Swift.abs(y.scalars(as: Double.self)[0] - 3 * factor) < 1e-6)
        // The infinity norm, and a description that names the bound.
        let maxAbs = Embedding(weight: Tensor([[3.0, -4.0]]), maxNorm: 1, normType: .infinity)
        _ = maxAbs(Tensor(labels: [0]))
        #expect(Swift.abs(maxAbs.weight.scalars(as: Double.self)[1] + 1) < 1e-6)
        #expect("\(maxAbs)".contains("maxNorm: 1.0, normType: inf"))
        let fresh = Tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
        let refusals = [
            failure { Functional.embedding(Tensor(labels: [0, 4]), weight: fresh, maxNorm: 1) },
            failure { Functional.embedding(Tensor(labels: [0]), weight: fresh, maxNorm: -1) },
            failure { Functional.embedding(Tensor(labels: [0]), weight: fresh, maxNorm: 1, normType: 0) },
        ].map { $0.map { "\($0)" } }
        #expect(refusals[0]?.contains("out of range") == true, "\(refusals[0] ?? "no error")")
        #expect(refusals[1]?.contains("maxNorm must be") == true, "\(refusals[1] ?? "no error")")
        #expect(refusals[2]?.contains("normType must be") == true, "\(refusals[2] ?? "no error")")
        // Nothing was rescaled by the refused calls (an index out of range is found before any row changes).
        #expect(fresh.scalars(as: Double.self) == [3.0, 4.0, 0.3, 0.4, 6.0, 8.0, 1.0, 0.0].map { Double(Float($0)) })
    }

    @Test("a NaN element makes the infinity norm NaN (row left alone, as PyTorch); normType is only checked with a bound")
    func edges() throws {
        let nanLast = Embedding(weight: Tensor([[5.0, .nan]]), maxNorm: 1, normType: .infinity)
        _ = nanLast(Tensor(labels: [0]))
        #expect(nanLast.weight.scalars(as: Double.self)[0] == 5)
        // PyTorch ignores norm_type without max_norm; so does Gradus (no error recorded).
        let plain = try GradusError.catching { Embedding(3, 2, normType: 0) }
        #expect(plain.maxNorm == nil)
        let message = failure { Functional.embedding(Tensor(labels: [1, 9]), weight: Tensor.zeros([3, 2]), maxNorm: 1) }.map { "\($0)" }
        #expect(message?.contains("index 9 is out of range") == true, "\(message ?? "no error")")
    }
}
