import Gradus
import GradusTestSupport
import Testing

/// The cases of tensor/nonfinite.json (scripts/make_nonfinite_fixtures.py), by name, as Gradus calls:
/// inputs holding NaN, +inf and -inf, and finite inputs whose results are infinite or undefined.
let nonFiniteTable: [String: @Sendable ([Tensor]) -> Tensor] = [
    "relu": { $0[0].relu() },
    "leaky_relu": { $0[0].leakyRelu(negativeSlope: 0.1) },
    "elu": { $0[0].elu() },
    "sigmoid": { $0[0].sigmoid() },
    "tanh": { $0[0].tanh() },
    "softplus": { $0[0].softplus() },
    "exp": { $0[0].exp() },
    "log": { $0[0].log() },
    "log1p": { $0[0].log1p() },
    "sqrt": { $0[0].sqrt() },
    "abs": { $0[0].abs() },
    "square": { $0[0].square() },
    "neg": { -$0[0] },
    "sin": { $0[0].sin() },
    "cos": { $0[0].cos() },
    "erf": { $0[0].erf() },
    "sign": { $0[0].sign() },
    "clamp": { $0[0].clamp(min: -1.0, max: 1.0) },
    "clamp_min": { $0[0].clamp(min: 0.5) },
    "pow_scalar_2": { $0[0].pow(2) },
    "pow_scalar_half": { $0[0].pow(0.5) },
    "pow_scalar_minus_half": { $0[0].pow(-0.5) },
    "pow_scalar_minus_2": { $0[0].pow(-2) },
    "pow_scalar_3": { $0[0].pow(3) },
    "gelu": { $0[0].gelu() },
    "gelu_tanh": { $0[0].gelu(approximate: .tanh) },
    "silu": { $0[0].silu() },
    "relu_f64": { $0[0].relu() },
    "mul_scalar": { $0[0] * 3.0 },
    "add_scalar_inf": { $0[0] + Double.infinity },
    "floor": { $0[0].floor() },
    "ceil": { $0[0].ceil() },
    "round": { $0[0].round() },
    "trunc": { $0[0].trunc() },
    "frac": { $0[0].frac() },
    "reciprocal": { $0[0].reciprocal() },
    "rsqrt": { $0[0].rsqrt() },
    "nan_to_num": { $0[0].nanToNum() },
    "nan_to_num_values": { $0[0].nanToNum(nan: 1, posinf: 2, neginf: -3) },
    "hardtanh": { $0[0].hardtanh() },
    "relu6": { $0[0].relu6() },
    "hardsigmoid": { $0[0].hardsigmoid() },
    "hardswish": { $0[0].hardswish() },
    "mish": { $0[0].mish() },
    "selu": { $0[0].selu() },
    "celu": { $0[0].celu(alpha: 0.5) },
    "logsigmoid": { $0[0].logSigmoid() },
    "softsign": { $0[0].softsign() },
    "isnan": { $0[0].isNaN() },
    "isinf": { $0[0].isInf() },
    "isfinite": { $0[0].isFinite() },
    "remainder": { $0[0].remainder($0[1]) },
    "fmod": { $0[0].fmod($0[1]) },
    "floor_divide": { $0[0].floorDivide($0[1]) },
    "remainder_by_zero": { $0[0] % $0[1] },
    "floor_divide_by_zero": { $0[0].floorDivide($0[1]) },
    "maximum": { $0[0].maximum($0[1]) },
    "minimum": { $0[0].minimum($0[1]) },
    "add": { $0[0] + $0[1] },
    "sub": { $0[0] - $0[1] },
    "mul": { $0[0] * $0[1] },
    "div": { $0[0] / $0[1] },
    "div_by_zero": { $0[0] / $0[1] },
    "pow_tensor": { $0[0].pow($0[1]) },
    "clamp_tensor_bounds": { $0[0].clamp(min: $0[1], max: $0[2]) },
    "lt": { $0[0].lt($0[1]).to(.float32) },
    "eq": { $0[0].eq($0[1]).to(.float32) },
    "ne": { $0[0].ne($0[1]).to(.float32) },
    "ge": { $0[0].ge($0[1]).to(.float32) },
    "sum_rows": { $0[0].sum(axes: [1]) },
    "mean_rows": { $0[0].mean(axes: [1]) },
    "amax_rows": { $0[0].amax(axes: [1]) },
    "amin_rows": { $0[0].amin(axes: [1]) },
    "max_rows_values": { $0[0].max(axis: 1).values },
    "max_rows_indices": { $0[0].max(axis: 1).indices },
    "min_rows_indices": { $0[0].min(axis: 1).indices },
    "argmax_rows": { $0[0].argmax(axis: 1) },
    "argmin_rows": { $0[0].argmin(axis: 1) },
    "max_all": { $0[0].max() },
    "logsumexp_rows": { $0[0].logsumexp(axes: [1]) },
    "softmax_rows": { $0[0].softmax(axis: 1) },
    "log_softmax_rows": { $0[0].logSoftmax(axis: 1) },
    "softmax_rows_f64": { $0[0].softmax(axis: 1) },
    "log_softmax_rows_f64": { $0[0].logSoftmax(axis: 1) },
    "softmax_masked": { $0[0].softmax(axis: 1) },
    "cumsum_rows": { $0[0].cumsum(axis: 1) },
    "var_rows": { $0[0].variance(axes: [1]) },
    "norm_rows": { $0[0].norm(axes: [1]) },
    "sort_values": { $0[0].sort(axis: 1).values },
    "sort_indices": { $0[0].sort(axis: 1).indices },
    "sort_descending_values": { $0[0].sort(axis: 1, descending: true).values },
    "sort_descending_indices": { $0[0].sort(axis: 1, descending: true).indices },
    "topk_values": { $0[0].topk(3, axis: 1).values },
    "topk_smallest_values": { $0[0].topk(3, axis: 1, largest: false).values },
    "max_pool2d": { Functional.maxPool2d($0[0], kernelSize: (2, 2)) },
    "avg_pool2d": { Functional.avgPool2d($0[0], kernelSize: (2, 2)) },
    "layer_norm": { Functional.layerNorm($0[0], normalizedShape: [4]) },
    "conv2d": { Functional.conv2d($0[0], weight: $0[1], padding: (1, 1)) },
    "matmul": { $0[0].matmul($0[1]) },
    "cross_entropy_masked_logits": { $0[0].crossEntropy($0[1]) },
    "cross_entropy_inf_target_logit": { $0[0].crossEntropy($0[1], reduction: .none) },
    "mse_inf": { $0[0].mseLoss($0[1], reduction: .none) },
    "l1_inf": { $0[0].l1Loss($0[1], reduction: .none) },
    "maximum_infinite_upstream": { $0[0].maximum($0[1]) },
    "minimum_infinite_upstream": { $0[0].minimum($0[1]) },
    "max_all_infinite_upstream": { $0[0].max() },
    "hardtanh_infinite_upstream": { $0[0].hardtanh() },
    "hardswish_infinite_upstream": { $0[0].hardswish() },
    "hardsigmoid_infinite_upstream": { $0[0].hardsigmoid() },
    "prelu": { Functional.prelu($0[0], weight: $0[1]) },
    "std_constant_rows": { $0[0].std(axes: [1]) },
    "std_all_constant": { $0[0].std() },
    "nll_ignored_inf_row": { $0[0].nllLoss($0[1]) },
    "kl_div_negative_target": { $0[0].klDivLoss($0[1], reduction: .none) },
    "norm_inf_nan": { $0[0].norm(p: .infinity) },
    "bce_with_logits_inf": { $0[0].binaryCrossEntropyWithLogits($0[1], reduction: .none) },
]

let nonFiniteCases: [OpCase] =
    (try? Fixtures.decode(OpFixtureFile.self, "tensor/nonfinite.json", nonFiniteStrings: true).cases) ?? []

/// Values and gradients at NaN and infinities against PyTorch (Float32; 1e-5 relative, 1e-6 absolute;
/// NaN must meet NaN and an infinity the same infinity).
@Suite("Non-finite values follow PyTorch")
struct NonFiniteTests {
    @Test("the fixture file loads and every case has a Gradus call")
    func coverage() {
        #expect(nonFiniteCases.count >= 100)
        let names = Set(nonFiniteCases.map(\.name))
        #expect(names.subtracting(nonFiniteTable.keys).isEmpty, "cases without a Gradus call: \(names.subtracting(nonFiniteTable.keys))")
        #expect(Set(nonFiniteTable.keys).subtracting(names).isEmpty, "calls without a case: \(Set(nonFiniteTable.keys).subtracting(names))")
    }

    @Test("value and gradients", arguments: nonFiniteCases)
    func valueAndGradients(_ c: OpCase) throws {
        let op = try #require(nonFiniteTable[c.name], "no Gradus call for \(c.name)")
        try compareWithPyTorch(c, op, gradientTolerance: 1e-6)
    }
}
