import Gradus
import GradusTestSupport
import Testing

/// The cases of tensor/edges.json (scripts/make_edge_fixtures.py), by name, as Gradus calls: exact
/// boundaries, saturation, empty tensors and extreme magnitudes, where finite differences cannot check
/// a gradient and PyTorch's convention is the reference.
let edgeTable: [String: @Sendable ([Tensor]) -> Tensor] = [
    "clamp_at_bounds": { $0[0].clamp(min: -0.5, max: 0.7) },
    "clamp_tensor_bounds": { $0[0].clamp(min: $0[1], max: $0[2]) },
    "pow_tensor_zero_base": { $0[0].pow($0[1]) },
    "bce_saturated": { BCELoss()($0[0], $0[1]) },
    "bce_sigmoid_saturated": { BCELoss()($0[0].sigmoid(), $0[1]) },
    "matmul_empty_inner": { $0[0].matmul($0[1]) },
    "linear_empty_inner": { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) },
    "sum_empty": { $0[0].sum(axes: [0]) },
    "log_softmax_offset": { $0[0].logSoftmax(axis: 1) },
    "cross_entropy_offset": { CrossEntropyLoss()($0[0], $0[1]) },
    "softmax_large": { $0[0].softmax(axis: 1) },
    "exp_huge_tiny": { $0[0].exp() },
    "log_tiny": { $0[0].log() },
    "margin_ranking_at_hinge": { $0[0].marginRankingLoss($0[1], target: $0[2], margin: 0.5, reduction: .none) },
    "relu_at_zero": { $0[0].relu() },
    "leaky_relu_at_zero": { $0[0].leakyRelu(negativeSlope: 0.1) },
    "abs_at_zero": { $0[0].abs() },
    "amax_ties": { $0[0].amax(axes: [1]) },
    "maximum_ties": { $0[0].maximum($0[1]) },
    "minimum_ties": { $0[0].minimum($0[1]) },
    "hardtanh_at_bounds": { $0[0].hardtanh(minValue: -1.5, maxValue: 2) },
    "relu6_at_corners": { $0[0].relu6() },
    "hardsigmoid_at_corners": { $0[0].hardsigmoid() },
    "hardswish_at_corners": { $0[0].hardswish() },
    "prelu_at_zero": { Functional.prelu($0[0], weight: $0[1]) },
    "norm_inf_ties": { $0[0].norm(p: .infinity, axes: [1]) },
    "norm_neg_inf_at_zero": { $0[0].norm(p: -.infinity, axes: [1]) },
    "norm_fractional_with_zeros": { $0[0].norm(p: 0.5, axes: [1]) },
    "norm_p3_zero_vector": { $0[0].norm(p: 3, axes: [1]) },
    "norm_neg1_with_zero": { $0[0].norm(p: -1, axes: [1]) },
    "normalize_zero_vector": { Functional.normalize($0[0]) },
    "cosine_similarity_zero_vector": { Functional.cosineSimilarity($0[0], $0[1]) },
    "cdist_equal_rows": { Functional.cdist($0[0], $0[1]) },
    "pairwise_distance_equal": { Functional.pairwiseDistance($0[0], $0[1]) },
    "grid_sample_edges_bilinear_zeros_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .zeros, alignCorners: false) },
    "grid_sample_edges_bilinear_zeros_align": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .zeros, alignCorners: true) },
    "grid_sample_edges_bilinear_border_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .border, alignCorners: false) },
    "grid_sample_edges_bilinear_border_align": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .border, alignCorners: true) },
    "grid_sample_edges_bilinear_reflection_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .reflection, alignCorners: false) },
    "grid_sample_edges_bilinear_reflection_align": { Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, paddingMode: .reflection, alignCorners: true) },
    "grid_sample_edges_nearest_zeros_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .zeros, alignCorners: false) },
    "grid_sample_edges_nearest_zeros_align": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .zeros, alignCorners: true) },
    "grid_sample_edges_nearest_border_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .border, alignCorners: false) },
    "grid_sample_edges_nearest_border_align": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .border, alignCorners: true) },
    "grid_sample_edges_nearest_reflection_noalign": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .reflection, alignCorners: false) },
    "grid_sample_edges_nearest_reflection_align": { Functional.gridSample($0[0], grid: $0[1], mode: .nearest, paddingMode: .reflection, alignCorners: true) },
    "grid_sample_one_pixel_reflection": { Functional.gridSample($0[0], grid: $0[1], paddingMode: .reflection, alignCorners: true) },
]

let edgeCases: [OpCase] = (try? Fixtures.decode(OpFixtureFile.self, "tensor/edges.json").cases) ?? []

/// Values and gradients at boundary points against PyTorch (Float32; 1e-5 relative, 1e-6 absolute).
/// Inputs with a `null` gradient in the fixture (loss targets, int64 labels) do not require gradients.
@Suite("Edge cases match PyTorch")
struct EdgeCaseTests {
    @Test("the fixture file loads and every case has a Gradus call")
    func coverage() {
        #expect(edgeCases.count >= 13)
        let names = Set(edgeCases.map(\.name))
        #expect(names.subtracting(edgeTable.keys).isEmpty, "cases without a Gradus call: \(names.subtracting(edgeTable.keys))")
        #expect(Set(edgeTable.keys).subtracting(names).isEmpty, "calls without a case: \(Set(edgeTable.keys).subtracting(names))")
    }

    @Test("value and gradients", arguments: edgeCases)
    func valueAndGradients(_ c: OpCase) throws {
        let op = try #require(edgeTable[c.name], "no Gradus call for \(c.name)")
        try compareWithPyTorch(c, op, gradientTolerance: 1e-6)
    }
}
