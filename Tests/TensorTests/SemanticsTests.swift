import Gradus
import GradusTestSupport
import Testing

/// A case of tensor/semantics.json: PyTorch's result and dtype, or its refusal.
struct SemanticCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [TensorFixture]
    let error: Bool
    let output: TensorFixture?
    let dtype: String?
    let message: String?
    var testDescription: String { name }
}

private struct SemanticFixtureFile: Decodable {
    let cases: [SemanticCase]
}

let semanticCases: [SemanticCase] =
    (try? Fixtures.decode(SemanticFixtureFile.self, "tensor/semantics.json", nonFiniteStrings: true).cases) ?? []

/// The cases of tensor/semantics.json (scripts/make_semantics_fixtures.py), by name, as Gradus calls.
let semanticTable: [String: @Sendable ([Tensor]) -> Tensor] = [
    "int_remainder": { $0[0].remainder($0[1]) },
    "int_fmod": { $0[0].fmod($0[1]) },
    "int_floor_divide": { $0[0].floorDivide($0[1]) },
    "int_remainder_operator_scalar": { $0[0] % 5 },
    "int_remainder_by_zero": { $0[0].remainder($0[1]) },
    "int_fmod_by_zero": { $0[0].fmod($0[1]) },
    "int_floor_divide_by_zero": { $0[0].floorDivide($0[1]) },
    "int_remainder_float_scalar": { $0[0] % 2.5 },
    "int_floor_divide_float_scalar": { $0[0].floorDivide(2.5) },
    "float_remainder_int_tensor": { $0[0].remainder($0[1]) },
    "int_floor": { $0[0].floor() },
    "int_ceil": { $0[0].ceil() },
    "int_round": { $0[0].round() },
    "int_trunc": { $0[0].trunc() },
    "int_round_decimals": { $0[0].round(decimals: 1) },
    "int_frac": { $0[0].frac() },
    "round_half_even": { $0[0].round() },
    "round_decimals_float32": { $0[0].round(decimals: 2) },
    "round_negative_decimals": { $0[0].round(decimals: -2) },
    "int_reciprocal": { $0[0].reciprocal() },
    "int_rsqrt": { $0[0].rsqrt() },
    "int_nan_to_num": { $0[0].nanToNum() },
    "int_isnan": { $0[0].isNaN() },
    "int_isinf": { $0[0].isInf() },
    "int_isfinite": { $0[0].isFinite() },
    "logical_not": { $0[0].logicalNot() },
    "logical_and": { $0[0].logicalAnd($0[1]) },
    "logical_or": { $0[0].logicalOr($0[1]) },
    "logical_xor": { $0[0].logicalXor($0[1]) },
    "logical_and_broadcast": { $0[0].logicalAnd($0[1]) },
    "logical_and_bad_shapes": { $0[0].logicalAnd($0[1]) },
    "any_all": { $0[0].any() },
    "all_all": { $0[0].all() },
    "any_rows": { $0[0].any(axes: [1]) },
    "all_rows": { $0[0].all(axes: [1]) },
    "all_columns_keepdim": { $0[0].all(axes: [0], keepDims: true) },
    "any_empty": { $0[0].any() },
    "all_empty": { $0[0].all() },
    "any_empty_axis": { $0[0].any(axes: [0]) },
    "all_empty_axis": { $0[0].all(axes: [0]) },
    "any_int": { $0[0].any(axes: [1]) },
    "all_scalar": { $0[0].all() },
    "int_flip": { $0[0].flip(axes: [1]) },
    "flip_repeated_axis": { $0[0].flip(axes: [0, 0]) },
    "flip_scalar": { $0[0].flip(axes: [0]) },
    "int_roll": { $0[0].roll(shifts: [-4]) },
    "roll_two_axes": { $0[0].roll(shifts: [1, 1], axes: [0, 1]) },
    "roll_huge_shift": { $0[0].roll(shifts: [(1 << 62) + 1], axes: [0]) },
    "roll_shifts_without_axes": { $0[0].roll(shifts: [1, 1]) },
    "roll_empty": { $0[0].roll(shifts: [3], axes: [0]) },
    "roll_scalar_with_axis": { $0[0].roll(shifts: [1], axes: [0]) },
    "roll_scalar_flat": { $0[0].roll(shifts: [1]) },
    "int_remainder_empty_output": { $0[0] % $0[1] },
    "int_repeat": { $0[0].repeat([2, 2]) },
    "repeat_zero_count": { $0[0].repeat([0, 2]) },
    "repeat_negative": { $0[0].repeat([-1]) },
    "repeat_too_few_counts": { $0[0].repeat([2]) },
    "sum_empty": { $0[0].sum() },
    "mean_empty": { $0[0].mean() },
    "prod_empty": { $0[0].prod() },
    "amax_empty": { $0[0].amax(axes: nil) },
    "amax_empty_axis0": { $0[0].amax(axes: [0]) },
    "amax_empty_axis1": { $0[0].amax(axes: [1]) },
    "argmax_empty": { $0[0].argmax() },
    "max_empty": { $0[0].max() },
    "logsumexp_empty": { $0[0].logsumexp(axes: [0]) },
    "softmax_empty": { $0[0].softmax(axis: 0) },
    "var_one": { $0[0].variance() },
    "std_one": { $0[0].std() },
    "var_empty_axis": { $0[0].variance(axes: [0]) },
    "std_empty": { $0[0].std() },
    "norm_empty": { $0[0].norm() },
    "cumsum_empty": { $0[0].cumsum(axis: 0) },
    "sort_empty": { $0[0].sort(axis: 0).values },
    "topk_zero": { $0[0].topk(0).values },
    "topk_too_many": { $0[0].topk(3).values },
    "sum_int": { $0[0].sum() },
    "prod_int": { $0[0].prod() },
    "cumsum_int": { $0[0].cumsum(axis: 0) },
    "cumprod_int": { $0[0].cumprod(axis: 0) },
    "amax_int": { $0[0].amax(axes: [1]) },
    "norm_inf_empty": { $0[0].norm(p: .infinity) },
    "norm_neg_inf_empty_rows": { $0[0].norm(p: -.infinity, axes: [1]) },
    "norm_neg1_empty": { $0[0].norm(p: -1) },
    "norm_zero_empty": { $0[0].norm(p: 0) },
    "norm_p3_empty": { $0[0].norm(p: 3) },
    "norm_int": { $0[0].norm() },
    "hardtanh_int": { $0[0].hardtanh() },
    "hardtanh_int_fractional_bounds": { $0[0].hardtanh(minValue: -0.5, maxValue: 2.5) },
    "relu6_int": { $0[0].relu6() },
    "cross_entropy_probs_empty": { $0[0].crossEntropy($0[1]) },
    "interp_bilinear_on_3d": { Functional.interpolate($0[0], scaleFactor: [2], mode: .bilinear) },
    "interp_size_and_factor": { Functional.interpolate($0[0], size: [2, 2], scaleFactor: [2]) },
    "interp_neither": { Functional.interpolate($0[0]) },
    "interp_nearest_align": { Functional.interpolate($0[0], scaleFactor: [2], alignCorners: true) },
    "interp_2d_input": { Functional.interpolate($0[0], scaleFactor: [2]) },
    "interp_empty_batch": { Functional.interpolate($0[0], size: [2, 3], mode: .bilinear) },
    "interp_size_count": { Functional.interpolate($0[0], size: [2, 3, 4]) },
    "unique_values": { $0[0].unique().values },
    "unique_inverse": { $0[0].unique().inverse },
    "unique_counts": { $0[0].unique().counts },
    "unique_int": { $0[0].unique().values },
    "unique_empty": { $0[0].unique().values },
    "diag_int": { $0[0].diag(offset: 1) },
    "bmm_ranks": { $0[0].bmm($0[1]) },
    "bmm_batches": { $0[0].bmm($0[1]) },
    "narrow_out_of_range": { $0[0].narrow(axis: 0, start: 2, length: 3) },
    "narrow_negative_start": { $0[0].narrow(axis: 0, start: -3, length: 2) },
    "repeat_interleave_zero": { $0[0].repeatInterleave(0) },
    "trace_vector": { $0[0].trace() },
    "diagonal_beyond": { $0[0].diagonal(offset: 5) },
    "pad_circular_crop_right": { $0[0].pad([-1, 1], mode: .circular) },
    "pad_circular_crop_left": { $0[0].pad([2, -1], mode: .circular) },
    "pad_reflect_crop_left": { $0[0].pad([2, -1], mode: .reflect) },
    "pad_replicate_crop_both": { $0[0].pad([-2, -1], mode: .replicate) },
    "interp_nearest_same_size_factor": { Functional.interpolate($0[0], scaleFactor: [1.1]) },
    "interp_nearest_exact_same_size": { Functional.interpolate($0[0], scaleFactor: [1.1], mode: .nearestExact) },
    "interp_linear_same_size_factor": { Functional.interpolate($0[0], scaleFactor: [1.1], mode: .linear) },
    "interp_nearest_float_rounding": { Functional.interpolate($0[0], size: [22]) },
    "interp_nearest_exact_rounding": { Functional.interpolate($0[0], size: [41], mode: .nearestExact) },
    "cdist_empty_rows_inf": { Functional.cdist($0[0], $0[1], p: .infinity) },
    "diagonal_far_below": { $0[0].diagonal(offset: -(1 << 43)) },
    "pad_reflect_crop_wide": { $0[0].pad([-1, 3], mode: .reflect) },
    "pad_reflect_crop_most": { $0[0].pad([-4, 2], mode: .reflect) },
    "interp_nearest_exact_same_size_maps": { Functional.interpolate($0[0], scaleFactor: [1.09], mode: .nearestExact) },
    "interp_nearest_2d_shortcuts": { Functional.interpolate($0[0], scaleFactor: [2.2, 1.09]) },
    "diagonal_int_min_offset": { $0[0].diagonal(offset: .min) },
    "instance_norm_one_position": { Functional.instanceNorm($0[0]) },
    "pad_reflect_too_wide": { $0[0].pad([4, 0], mode: .reflect) },
    "pad_circular_wraps_twice": { $0[0].pad([5, 0], mode: .circular) },
    "pad_circular_full_turn": { $0[0].pad([4, 0], mode: .circular) },
    "pad_replicate_far": { $0[0].pad([0, 9], mode: .replicate) },
    "pad_reflect_1d_input": { $0[0].pad([1, 1], mode: .reflect) },
    "pad_reflect_too_many_dims": { $0[0].pad([1, 1, 1, 1], mode: .reflect) },
    "pad_replicate_empty_dim": { $0[0].pad([1, 1], mode: .replicate) },
    "pad_replicate_empty_batch": { $0[0].pad([1, 1], mode: .replicate) },
    "var_int": { $0[0].variance() },
    "argmax_ties": { $0[0].argmax() },
    "argmin_ties": { $0[0].argmin() },
    "int_plus_f64_scalar_tensor": { $0[0] + $0[1] },
    "f32_plus_f64_scalar_tensor": { $0[0] + $0[1] },
    "int_div_int": { $0[0] / $0[1] },
    "int_lt_float": { $0[0].lt($0[1]) },
    "maximum_int_float": { $0[0].maximum($0[1]) },
    "where_int_float": { Tensor.where($0[0], $0[1], $0[2]) },
    "exp_int": { $0[0].exp() },
    "log_int": { $0[0].log() },
    "sqrt_int": { $0[0].sqrt() },
    "sin_int": { $0[0].sin() },
    "tanh_int": { $0[0].tanh() },
    "sigmoid_int": { $0[0].sigmoid() },
    "softmax_int": { $0[0].softmax(axis: 0) },
    "relu_int": { $0[0].relu() },
    "abs_int": { $0[0].abs() },
    "neg_int_min": { -$0[0] },
    "mul_int_overflow": { $0[0] * 4 },
    "clamp_int_float_bounds": { $0[0].clamp(min: 0.5, max: 2.5) },
    "clamp_int_int_bounds": { $0[0].clamp(min: 0, max: 2) },
    "pow_int_negative_scalar": { $0[0].pow(-1) },
    "pow_int_scalar": { $0[0].pow(3) },
    "pow_int_float_scalar": { $0[0].pow(0.5) },
    "squeeze_not_one": { $0[0].squeeze(0) },
    "cat_legacy_empty": { Tensor.concatenate([$0[0], $0[1]]) },
    "cat_legacy_empty_promotes": { Tensor.concatenate([$0[0], $0[1]]) },
    "prelu_vector_channels": { Functional.prelu($0[0], weight: $0[1]) },
    "prelu_dtypes_differ": { Functional.prelu($0[0], weight: $0[1]) },
    "softsign_int": { $0[0].softsign() },
    "cat_empty_rows": { Tensor.concatenate([$0[0], $0[1]]) },
    "stack_mismatch": { Tensor.stack([$0[0], $0[1]]) },
    "split_zero": { $0[0].split(size: 0).first ?? Tensor.zeros([0]) },
    "chunk_zero": { $0[0].chunk(0).first ?? Tensor.zeros([0]) },
    "select_negative": { $0[0].select(axis: 1, index: -1) },
    "slice_past_end": { $0[0].slice(axis: 0, start: 4, end: 9) },
    "gather_negative": { $0[0].gather(axis: 0, index: $0[1]) },
    "index_select_negative": { $0[0].indexSelect(axis: 0, index: $0[1]) },
    "transpose_negative": { $0[0].transpose(-1, 0) },
    "topk_ties": { $0[0].topk(2).indices },
    "sort_stable_descending": { $0[0].sort(descending: true).indices },
    "one_hot_negative": { Tensor.oneHot($0[0], classes: 3) },
    "matmul_vector_vector": { $0[0].matmul($0[1]) },
    "matmul_vector_matrix": { $0[0].matmul($0[1]) },
    "matmul_batch_broadcast": { $0[0].matmul($0[1]) },
    "matmul_int": { $0[0].matmul($0[1]) },
    "cross_entropy_all_ignored": { $0[0].crossEntropy($0[1]) },
    "cross_entropy_empty_batch": { $0[0].crossEntropy($0[1]) },
    "mse_empty": { $0[0].mseLoss($0[1]) },
    "nll_some_ignored": { $0[0].nllLoss($0[1]) },
    "cross_entropy_smoothing_ignored": { $0[0].crossEntropy($0[1], labelSmoothing: 0.1) },
    "batch_norm_train_one_value": {
        Functional.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
    },
    "batch_norm_train_one_sample_spatial": {
        Functional.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
    },
    "max_pool_ceil": { Functional.maxPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), ceilMode: true) },
    "max_pool_ceil_last_window_in_padding": {
        Functional.maxPool2d($0[0], kernelSize: (2, 2), stride: (2, 2), padding: (1, 1), ceilMode: true)
    },
    "avg_pool_ceil_padding": {
        Functional.avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)
    },
    "avg_pool_ceil_padding_not_counted": {
        Functional.avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false, ceilMode: true)
    },
    "adaptive_avg_pool_5_to_3": { Functional.adaptiveAvgPool2d($0[0], outputSize: (3, 3)) },
    "conv_same_even_kernel": { Functional.conv2d($0[0], weight: $0[1], padding: .same) },
    "layer_norm_constant_row": { Functional.layerNorm($0[0], normalizedShape: [3]) },
    "group_norm_groups_not_dividing": { Functional.groupNorm($0[0], groups: 3) },
    "linear_int": { Functional.linear($0[0], weight: $0[1], bias: nil) },
    "median_all_odd": { $0[0].median() },
    "median_all_even_lower": { $0[0].median() },
    "median_all_nan": { $0[0].median() },
    "median_all_empty": { $0[0].median() },
    "median_all_int": { $0[0].median() },
    "median_rows_nan": { $0[0].median(axis: 1).values },
    "median_rows_nan_indices": { $0[0].median(axis: 1).indices },
    "median_columns_keepdim": { $0[0].median(axis: 0, keepDims: true).values },
    "median_columns_indices": { $0[0].median(axis: 0).indices },
    "median_int_rows": { $0[0].median(axis: 1).values },
    "median_scalar_dim": { $0[0].median(axis: 0).values },
    "median_empty_dim": { $0[0].median(axis: 1).values },
    "median_other_dim_empty": { $0[0].median(axis: 1).values },
    "median_dim_out_of_range": { $0[0].median(axis: 2).values },
    "nanmedian_all": { $0[0].nanmedian() },
    "nanmedian_all_nan": { $0[0].nanmedian() },
    "nanmedian_rows": { $0[0].nanmedian(axis: 1).values },
    "nanmedian_rows_indices": { $0[0].nanmedian(axis: 1).indices },
    "nanmedian_int": { $0[0].nanmedian(axis: 0).values },
    "kthvalue_rows": { $0[0].kthvalue(2, axis: 1).values },
    "kthvalue_rows_indices": { $0[0].kthvalue(3, axis: 1).indices },
    "kthvalue_nan_largest": { $0[0].kthvalue(3, axis: 0).values },
    "kthvalue_last_is_nan": { $0[0].kthvalue(4, axis: 0).values },
    "kthvalue_int_keepdim": { $0[0].kthvalue(1, axis: 0, keepDims: true).values },
    "kthvalue_k_zero": { $0[0].kthvalue(0, axis: 0).values },
    "kthvalue_k_too_large": { $0[0].kthvalue(3, axis: 0).values },
    "kthvalue_scalar": { $0[0].kthvalue(1).values },
    "quantile_linear_all": { $0[0].quantile(0.3) },
    "quantile_rows_nan": { $0[0].quantile(0.25, axis: 1) },
    "quantile_vector_q": { $0[0].quantile(Tensor([0.0, 0.1, 0.5, 1.0]), axis: 0) },
    "quantile_vector_q_keepdim": { $0[0].quantile(Tensor([0.2, 0.8]), axis: 1, keepDims: true) },
    "quantile_all_keepdim": { $0[0].quantile(0.6, keepDims: true) },
    "quantile_lower": { $0[0].quantile(Tensor([0.1, 0.375, 0.5, 0.625, 0.9]), axis: 1, interpolation: .lower) },
    "quantile_higher": { $0[0].quantile(Tensor([0.1, 0.375, 0.5, 0.625, 0.9]), axis: 1, interpolation: .higher) },
    "quantile_nearest": { $0[0].quantile(Tensor([0.1, 0.375, 0.5, 0.625, 0.9]), axis: 1, interpolation: .nearest) },
    "quantile_midpoint": { $0[0].quantile(Tensor([0.1, 0.375, 0.5, 0.625, 0.9]), axis: 1, interpolation: .midpoint) },
    "quantile_float64": { $0[0].quantile(0.1) },
    "quantile_scalar_input": { $0[0].quantile(0.4, axis: 0) },
    "quantile_one_element": { $0[0].quantile(0.7, axis: 0) },
    "quantile_empty": { $0[0].quantile(0.5) },
    "quantile_q_above_one": { $0[0].quantile(1.5) },
    "quantile_q_negative": { $0[0].quantile(Tensor([0.5, -0.1])) },
    "quantile_int": { $0[0].quantile(0.5) },
    "quantile_q_matrix": { $0[0].quantile(Tensor([[0.5]])) },
    "quantile_q_dtype": { $0[0].quantile(Tensor([0.5], dtype: .float64)) },
    "nanquantile_rows": { $0[0].nanquantile(0.25, axis: 1) },
    "quantile_nearest_float64_rank": { $0[0].quantile(0.1, interpolation: .nearest) },
    "nanquantile_nearest_float64_rank": { $0[0].nanquantile(0.1, interpolation: .nearest) },
    "quantile_linear_large_values": { $0[0].quantile(0.9316) },
    "searchsorted_scalar_float64_value": { Tensor.searchsorted($0[0], $0[1], right: true) },
    "searchsorted_sorter_huge_index": { Tensor.searchsorted($0[0], $0[2], sorter: $0[1]) },
    "nanquantile_all_nan_row": { $0[0].nanquantile(Tensor([0.0, 0.5]), axis: 1) },
    "nanquantile_all": { $0[0].nanquantile(0.9) },
    "searchsorted_left": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_right": { Tensor.searchsorted($0[0], $0[1], right: true) },
    "searchsorted_side_right": { Tensor.searchsorted($0[0], $0[1], right: true) },
    "searchsorted_rows": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_rows_right": { Tensor.searchsorted($0[0], $0[1], right: true) },
    "searchsorted_int": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_mixed_dtypes": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_nan_in_sequence": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_empty_sequence": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_empty_values": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_scalar_value": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_sorter": { Tensor.searchsorted($0[0], $0[2], sorter: $0[1]) },
    "searchsorted_sorter_out_of_range": { Tensor.searchsorted($0[0], $0[2], sorter: $0[1]) },
    "searchsorted_leading_dims_differ": { Tensor.searchsorted($0[0], $0[1]) },
    "searchsorted_scalar_sequence": { Tensor.searchsorted($0[0], $0[1]) },
    "bucketize_left": { $0[0].bucketize($0[1]) },
    "bucketize_right": { $0[0].bucketize($0[1], right: true) },
    "bucketize_int": { $0[0].bucketize($0[1]) },
    "bucketize_boundaries_2d": { $0[0].bucketize($0[1]) },
    "div_trunc_int": { $0[0].div($0[1], roundingMode: .trunc) },
    "div_floor_int": { $0[0].div($0[1], roundingMode: .floor) },
    "div_true_int": { $0[0].div($0[1]) },
    "div_trunc_int_by_zero": { $0[0].div($0[1], roundingMode: .trunc) },
    "div_trunc_float": { $0[0].div($0[1], roundingMode: .trunc) },
    "div_floor_float": { $0[0].div($0[1], roundingMode: .floor) },
    "div_trunc_int_by_float_scalar": { $0[0].div(2.5, roundingMode: .trunc) },
    "div_trunc_int_by_int_scalar": { $0[0].div(-2, roundingMode: .trunc) },
    "div_floor_broadcast": { $0[0].div($0[1], roundingMode: .floor) },
    "max_pool_indices_ties_nan": { Functional.maxPool2dWithIndices($0[0], kernelSize: (2, 2)).indices },
    "max_pool_indices_padding_ceil": {
        Functional.maxPool2dWithIndices($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true).indices
    },
    "max_pool_indices_dilation": { Functional.maxPool2dWithIndices($0[0], kernelSize: (2, 2), stride: (1, 1), dilation: (2, 1)).indices },
    "max_pool_indices_unbatched": { Functional.maxPool2dWithIndices($0[0], kernelSize: (2, 2)).indices },
    "max_unpool_roundtrip": {
        let (v, i) = Functional.maxPool2dWithIndices($0[0], kernelSize: (2, 2))
        return Functional.maxUnpool2d(v, indices: i, kernelSize: (2, 2), outputSize: (4, 5))
    },
    "max_unpool_default_size": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2)) },
    "max_unpool_stride_padding": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)) },
    "max_unpool_invalid_index": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2)) },
    "max_unpool_negative_index": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2)) },
    "max_unpool_output_size_too_large": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2), outputSize: (4, 4)) },
    "max_unpool_output_size_within": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2), outputSize: (3, 5)) },
    "max_unpool_indices_shape": { Functional.maxUnpool2d($0[0], indices: $0[1], kernelSize: (2, 2)) },
    "isclose_default": { $0[0].isClose($0[1]) },
    "isclose_equal_nan": { $0[0].isClose($0[1], equalNaN: true) },
    "isclose_zero_tolerances": { $0[0].isClose($0[1], rtol: 0, atol: 0) },
    "isclose_int": { $0[0].isClose($0[1], rtol: 0.01, atol: 0) },
    "isclose_broadcast": { $0[0].isClose($0[1], atol: 0.5) },
    "isclose_negative_rtol": { $0[0].isClose($0[1], rtol: -1) },
    "allclose_true": { Tensor(scalar: $0[0].allClose($0[1], atol: 1e-3) ? 1 : 0) },
    "allclose_false": { Tensor(scalar: $0[0].allClose($0[1]) ? 1 : 0) },
    "allclose_nan": { Tensor(scalar: $0[0].allClose($0[1], equalNaN: true) ? 1 : 0) },
    "equal_true_promoted": { Tensor(scalar: $0[0].equal($0[1]) ? 1 : 0) },
    "equal_nan": { Tensor(scalar: $0[0].equal($0[1]) ? 1 : 0) },
    "equal_shapes": { Tensor(scalar: $0[0].equal($0[1]) ? 1 : 0) },
    "count_nonzero_all": { $0[0].countNonzero() },
    "count_nonzero_axis0": { $0[0].countNonzero(axes: [0]) },
    "count_nonzero_int_axes": { $0[0].countNonzero(axes: [0, 2]) },
    "count_nonzero_empty": { $0[0].countNonzero(axes: [1]) },
    "cummax_indices_ties_nan": { $0[0].cummax(axis: 0).indices },
    "cummin_indices_ties": { $0[0].cummin(axis: 1).indices },
    "cummax_int": { $0[0].cummax(axis: 0).values },
    "cummax_int_indices": { $0[0].cummax(axis: 0).indices },
    "cummax_scalar": { $0[0].cummax(axis: 0).indices },
    "cummax_empty": { $0[0].cummax(axis: 1).values },
    "diff_int_n2": { $0[0].diff(n: 2) },
    "diff_order_past_length": { $0[0].diff(n: 5) },
    "diff_order_zero": { $0[0].diff(n: 0) },
    "diff_scalar": { $0[0].diff() },
    "diff_negative_order": { $0[0].diff(n: -1) },
    "diff_prepend_rank": { $0[0].diff(prepend: $0[1]) },
    "diff_prepend_shape": { $0[0].diff(axis: 0, prepend: $0[1]) },
    "diff_int_prepend_float": { $0[0].diff(prepend: $0[1]) },
    "meshgrid_scalar_xy": { Tensor.stack(Tensor.meshgrid($0, indexing: .xy)) },
    "meshgrid_matrix": { Tensor.meshgrid($0)[0] },
    "tile_int": { $0[0].tile([2, 2]) },
    "tile_empty_reps": { $0[0].tile([]) },
    "rot90_int_k6": { $0[0].rot90(k: 6) },
    "rot90_k_minus3_axes": { $0[0].rot90(k: -3, axes: (1, 0)) },
    "rot90_same_axes": { $0[0].rot90(k: 1, axes: (1, 1)) },
    "rot90_vector": { $0[0].rot90() },
    "kron_int": { $0[0].kron($0[1]) },
    "tensordot_size1_broadcast": { $0[0].tensordot($0[1], dims: 1) },
    "tensordot_mismatch": { $0[0].tensordot($0[1], dims: 1) },
    "addmm_beta0_ignores_nan": { $0[0].addmm($0[1], $0[2], beta: 0) },
    "addmm_bad_bias": { $0[0].addmm($0[1], $0[2]) },
    "take_along_dim_int": { $0[0].takeAlongDim($0[1], axis: 0) },
    "take_along_dim_rank": { $0[0].takeAlongDim($0[1], axis: 0) },
    "softshrink_negative_lambda": { $0[0].softshrink(lambda: -0.1) },
    "glu_odd": { $0[0].glu(axis: 0) },
    "glu_scalar": { $0[0].glu() },
    "hardshrink_int": { $0[0].hardshrink() },
    "threshold_int": { $0[0].threshold(2.7, value: -1.5) },
    "count_nonzero_empty_dims": { $0[0].countNonzero(axes: []) },
    "take_along_dim_scalar": { $0[0].takeAlongDim($0[1], axis: 0) },
    "tensordot_size1_against_larger": { $0[0].tensordot($0[1], axes: ([0, 1], [1, 0])) },
    "unfold_int_size0": { $0[0].unfold(axis: 0, size: 0, step: 2) },
    "unfold_int_whole": { $0[0].unfold(axis: 1, size: 3, step: 5) },
    "unfold_size_too_large": { $0[0].unfold(axis: 0, size: 4, step: 1) },
    "unfold_step_zero": { $0[0].unfold(axis: 0, size: 1, step: 0) },
    "unfold_scalar": { $0[0].unfold(axis: 0, size: 1, step: 1) },
    "bilinear_leading_mismatch": { Functional.bilinear($0[0], $0[1], weight: $0[2], bias: nil) },
    "sum_empty_dims": { $0[0].sum(axes: []) },
    "sum_empty_dims_keepdim": { $0[0].sum(axes: [], keepDims: true) },
    "sum_empty_dims_int": { $0[0].sum(axes: []) },
    "mean_empty_dims_keepdim": { $0[0].mean(axes: [], keepDims: true) },
    "amax_empty_dims": { $0[0].amax(axes: []) },
    "amin_empty_dims_keepdim": { $0[0].amin(axes: [], keepDims: true) },
    "var_empty_dims": { $0[0].variance(axes: []) },
    "std_empty_dims_population": { $0[0].std(axes: [], correction: 0) },
    "var_mean_empty_dims": { let (v, m) = $0[0].varMean(axes: [], keepDims: true); return Tensor.stack([v, m]) },
    "norm_empty_dims": { $0[0].norm(axes: []) },
    "norm1_empty_dims": { $0[0].norm(p: 1, axes: []) },
    "nansum_empty_dims": { $0[0].nansum(axes: []) },
    "nanmean_empty_dims": { $0[0].nanmean(axes: []) },
    "all_empty_dims": { $0[0].all(axes: []) },
    "any_empty_dims_keepdim": { $0[0].any(axes: [], keepDims: true) },
    "flip_empty_dims": { $0[0].flip(axes: []) },
    "sum_empty_dims_scalar": { $0[0].sum(axes: []) },
    "lgamma_edges": { $0[0].lgamma() },
    "digamma_edges": { $0[0].digamma() },
    "polygamma1_edges": { $0[0].polygamma(1) },
    "polygamma2_edges": { $0[0].polygamma(2) },
    "erfinv_edges": { $0[0].erfinv() },
    "sinc_edges": { $0[0].sinc() },
    "copysign_zeros": { $0[0].copysign($0[1]) },
    "lgamma_int": { $0[0].lgamma() },
    "digamma_int": { $0[0].digamma() },
    "polygamma_int": { $0[0].polygamma(2) },
    "erfinv_int": { $0[0].erfinv() },
    "sinc_int": { $0[0].sinc() },
    "copysign_int": { $0[0].copysign($0[1]) },
    "polygamma_negative_order": { $0[0].polygamma(-1) },
    "tril_indices_offset": { _ in Tensor.trilIndices(rows: 3, columns: 4, offset: 1) },
    "triu_indices_negative_offset": { _ in Tensor.triuIndices(rows: 4, columns: 3, offset: -1) },
    "tril_indices_empty": { _ in Tensor.trilIndices(rows: 0, columns: 3) },
    "argwhere": { $0[0].argwhere() },
    "bitwise_and": { $0[0].bitwiseAnd($0[1]) },
    "bitwise_or_broadcast": { $0[0].bitwiseOr($0[1]) },
    "bitwise_xor": { $0[0].bitwiseXor($0[1]) },
    "bitwise_not": { $0[0].bitwiseNot() },
    "bitwise_left_shift": { $0[0].bitwiseLeftShift($0[1]) },
    "bitwise_right_shift": { $0[0].bitwiseRightShift($0[1]) },
    "bitwise_and_float": { $0[0].bitwiseAnd($0[1]) },
    "gcd": { $0[0].gcd($0[1]) },
    "lcm": { $0[0].lcm($0[1]) },
    "scatter_reduce_int_mean": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .mean) },
    "scatter_reduce_int_prod_exclude": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .prod, includeSelf: false) },
    "scatter_reduce_amax_nan": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .amax) },
    "scatter_reduce_amin_exclude_untouched": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .amin, includeSelf: false) },
    "scatter_reduce_index_smaller": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .amax) },
    "scatter_reduce_index_out_of_range": { $0[0].scatterReduce(axis: 0, index: $0[1], source: $0[2], reduce: .sum) },
    // A refused split returns no parts (the error is in the scope).
    "hsplit_uneven": { $0[0].hsplit(sections: 3).first ?? $0[0] },
    "vsplit_vector": { $0[0].vsplit(sections: 1).first ?? $0[0] },
    "tensor_split_negative_index": { $0[0].tensorSplit(indices: [-1])[1] },
    "diag_embed_same_axes": { $0[0].diagEmbed(offset: 0, axis1: 1, axis2: 1) },
    "atleast_3d_matrix": { $0[0].atleast3d() },
    "atleast_2d_scalar": { $0[0].atleast2d() },
    "tensor_split_decreasing": { Tensor.concatenate($0[0].tensorSplit(indices: [4, 1])) },
    "tensor_split_beyond": { Tensor.concatenate($0[0].tensorSplit(indices: [10, 2])) },
    "polygamma35_float32": { $0[0].polygamma(35) },
    "polygamma5_float32": { $0[0].polygamma(5) },
    "trigamma_float32_series": { $0[0].polygamma(1) },
    "erfinv_near_one_float64": { $0[0].erfinv() },
    "gcd_int64_min": { $0[0].gcd($0[1]) },
    "lcm_int64_min": { $0[0].lcm($0[1]) },
    "diag_embed_scalar": { $0[0].diagEmbed() },
    "unique_consecutive_values": { $0[0].uniqueConsecutive().values },
    "unique_consecutive_inverse": { $0[0].uniqueConsecutive().inverse },
    "unique_consecutive_counts": { $0[0].uniqueConsecutive().counts },
    "unique_consecutive_empty": { $0[0].uniqueConsecutive().values },
    "histc_range": { $0[0].histc(bins: 4, min: 0, max: 3) },
    "histc_data_range": { $0[0].histc(bins: 5) },
    "histc_one_value": { $0[0].histc(bins: 3) },
    "histc_edges_float32": { $0[0].histc(bins: 10, min: -1, max: 1) },
    "histc_empty": { $0[0].histc(bins: 3) },
    "histc_int": { $0[0].histc(bins: 3) },
    "histc_bad_range": { $0[0].histc(bins: 3, min: 2, max: 1) },
    "histc_nan_range": { $0[0].histc(bins: 3) },
    "max_pool3d_indices_ties_nan": { Functional.maxPool3dWithIndices($0[0], kernelSize: (2, 2, 2)).indices },
    "max_pool3d_values_ties_nan": { Functional.maxPool3d($0[0], kernelSize: (2, 2, 2), stride: (1, 1, 1)) },
    "max_pool3d_indices_padding_ceil": {
        Functional.maxPool3dWithIndices($0[0], kernelSize: (3, 3, 3), stride: (2, 2, 2), padding: (1, 1, 1), ceilMode: true).indices
    },
    "max_pool3d_indices_dilation": {
        Functional.maxPool3dWithIndices($0[0], kernelSize: (2, 2, 2), stride: (1, 1, 1), dilation: (2, 1, 1)).indices
    },
    "max_pool3d_indices_unbatched": { Functional.maxPool3dWithIndices($0[0], kernelSize: (2, 1, 2)).indices },
    "max_unpool3d_roundtrip": {
        let (v, i) = Functional.maxPool3dWithIndices($0[0], kernelSize: (2, 2, 2))
        return Functional.maxUnpool3d(v, indices: i, kernelSize: (2, 2, 2), outputSize: (4, 3, 3))
    },
    "max_unpool3d_invalid_index": { Functional.maxUnpool3d($0[0], indices: $0[1], kernelSize: (2, 2, 2)) },
    "adaptive_max_pool3d_ties_nan": { Functional.adaptiveMaxPool3d($0[0], outputSize: (2, 2, 1)) },
    "max_pool3d_padding_refused": { Functional.maxPool3d($0[0], kernelSize: (2, 2, 2), padding: (0, 2, 0)) },
    "avg_pool3d_kernel_too_large": { Functional.avgPool3d($0[0], kernelSize: (5, 1, 1)) },
    "conv3d_group_mismatch": { Functional.conv3d($0[0], weight: $0[1], groups: 2) },
    "conv3d_kernel_too_large": { Functional.conv3d($0[0], weight: $0[1]) },
    "conv3d_empty_batch": { Functional.conv3d($0[0], weight: $0[1], padding: (1, 1, 1)) },
    "conv_transpose3d_output_padding_refused": {
        Functional.convTranspose3d($0[0], weight: $0[1], stride: (2, 2, 2), outputPadding: (2, 0, 0))
    },
    "max_pool2d_int": { Functional.maxPool2d($0[0], kernelSize: (2, 2), stride: (1, 1), padding: (1, 1)) },
    "max_pool2d_int_indices": { Functional.maxPool2dWithIndices($0[0], kernelSize: (2, 3), stride: (1, 1)).indices },
    "max_pool1d_int_ceil": { Functional.maxPool1d($0[0], kernelSize: 2, ceilMode: true) },
    "max_pool3d_int": { Functional.maxPool3d($0[0], kernelSize: (2, 2, 2)) },
    "conv_transpose3d_dilated_output_padding": {
        Functional.convTranspose3d($0[0], weight: $0[1], outputPadding: (1, 0, 0), dilation: (2, 1, 1))
    },
    "mode_ties_values": { $0[0].mode(axis: 1).values },
    "mode_ties_indices": { $0[0].mode(axis: 1).indices },
    "mode_int_axis0_keepdim": { $0[0].mode(axis: 0, keepDims: true).indices },
    "mode_scalar": { $0[0].mode(axis: 0).values },
    "mode_empty_axis": { $0[0].mode(axis: 1).values },
    "isin_int": { $0[0].isin($0[1]) },
    "isin_float_nan": { $0[0].isin($0[1]) },
    "isin_invert": { $0[0].isin($0[1], invert: true) },
    "heaviside": { $0[0].heaviside($0[1]) },
    "heaviside_broadcast": { $0[0].heaviside($0[1]) },
    "logspace": { _ in Tensor.logspace(-1, 2, count: 7) },
    "logspace_base2_float64": { _ in Tensor.logspace(0, 10, count: 11, base: 2, dtype: .float64) },
    "logspace_int64": { _ in Tensor.logspace(0, 2, count: 5, dtype: .int64) },
    "logspace_one": { _ in Tensor.logspace(3, 5, count: 1) },
    "logspace_int64_fractional_ends": { _ in Tensor.logspace(0.5, 2.5, count: 3, dtype: .int64) },
    "trapezoid_x_fewer_dims": { $0[0].trapezoid(x: $0[1], axis: 1) },
    "block_diag_promoted": { Tensor.blockDiag($0) },
    "block_diag_none": { _ in Tensor.blockDiag([]) },
    "block_diag_three_dims": { Tensor.blockDiag($0) },
    "aminmax_nan_keepdim": { $0[0].aminmax(axis: 0, keepDims: true).max },
    "aminmax_int": { $0[0].aminmax().min },
    "combinations_too_many": { $0[0].combinations(r: 4) },
    "combinations_int_replacement": { $0[0].combinations(r: 2, withReplacement: true) },
    "trapezoid_int": { $0[0].trapezoid() },
    "trapezoid_one_sample": { $0[0].trapezoid(axis: 0) },
    "trapezoid_empty": { $0[0].trapezoid() },
    "trapezoid_bad_x": { $0[0].trapezoid(x: $0[1]) },
    "vander_int": { $0[0].vander() },
    "vander_no_columns": { $0[0].vander(n: 0) },
    "vander_matrix": { $0[0].vander() },
    "erfc_edges": { $0[0].erfc() },
    "erfc_int": { $0[0].erfc() },
]

/// Integer division, rounding of integer tensors, promotion with numbers, logical operations, any/all and
/// reordering against PyTorch: the values (exact for int64), the dtype, and PyTorch's refusals as errors.
@Suite("Tensor semantics follow PyTorch")
struct SemanticsTests {
    @Test("the fixture file loads and every case has a Gradus call")
    func coverage() {
        #expect(semanticCases.count >= 135)
        let names = Set(semanticCases.map(\.name))
        #expect(names.subtracting(semanticTable.keys).isEmpty, "cases without a Gradus call: \(names.subtracting(semanticTable.keys))")
        #expect(Set(semanticTable.keys).subtracting(names).isEmpty, "calls without a case: \(Set(semanticTable.keys).subtracting(names))")
    }

    @Test("an empty axis list reduces every axis as listing them all does, gradients included; layer norm of one unbatched row keeps its parameter gradients")
    func emptyAxisListsReduceAll() throws {
        let values: [Double] = [0.5, -1.5, 2.0, 3.0, 4.0, -5.0]
        typealias Reduction = (Tensor, [Int]?) -> Tensor
        let reductions: [(String, Reduction)] = [
            ("sum", { $0.sum(axes: $1) }), ("mean", { $0.mean(axes: $1) }), ("amax", { $0.amax(axes: $1) }),
            ("amin", { $0.amin(axes: $1) }), ("variance", { $0.variance(axes: $1) }), ("std", { $0.std(axes: $1) }),
            ("norm", { $0.norm(axes: $1) }), ("norm3", { $0.norm(p: 3, axes: $1) }), ("logsumexp", { $0.logsumexp(axes: $1) }),
            ("nansum", { $0.nansum(axes: $1) }), ("nanmean", { $0.nanmean(axes: $1) }),
        ]
        for (name, reduce) in reductions {
            let a = Tensor(shape: [2, 3], values: values, dtype: .float64).requiringGrad()
            let b = Tensor(shape: [2, 3], values: values, dtype: .float64).requiringGrad()
            let ya = reduce(a, []), yb = reduce(b, [0, 1])
            #expect(ya.shape == [] && ya.scalars(as: Double.self) == yb.scalars(as: Double.self), "\(name)")
            ya.backward(); yb.backward()
            #expect(try #require(a.grad).scalars(as: Double.self) == (try #require(b.grad)).scalars(as: Double.self), "\(name)")
        }
        // The second-order (recorded) backward of layer norm sums its parameter gradients over the
        // leading axes, of which an unbatched input has none.
        for createGraph in [false, true] {
            let x = Tensor([0.5, -1.0, 2.0, 4.0], dtype: .float64).requiringGrad()
            let w = Tensor([1.0, 2.0, 3.0, 4.0], dtype: .float64).requiringGrad()
            let b = Tensor([0.0, 0.0, 0.0, 0.0], dtype: .float64).requiringGrad()
            let y = Functional.layerNorm(x, normalizedShape: [4], weight: w, bias: b, eps: 1e-5)
            (y * Tensor([1.0, -2.0, 3.0, 0.5], dtype: .float64)).sum().backward(createGraph: createGraph)
            #expect(try #require(w.grad).shape == [4] && (try #require(b.grad)).scalars(as: Double.self) == [1, -2, 3, 0.5],
                    "createGraph \(createGraph)")
        }
    }

    @Test("reductions of a view's elements (a rank-0 element, a strided view) and copies of views read the view's own elements, not its storage's start")
    func reductionsOfViews() {
        let base = Tensor([1.0, 2.0, 3.0, -4.0, 5.0, 6.0])
        let element = base.select(axis: 0, index: 2)           // rank 0, offset 2
        let t = base.reshape([2, 3]).transpose(0, 1)            // strided
        for view in [element, t] {
            let copy = view.clone()
            #expect(view.max().scalars() == copy.max().scalars())
            #expect(view.min().scalars() == copy.min().scalars())
            #expect(view.sum(axes: []).scalars() == copy.sum(axes: []).scalars())
            #expect(view.amax(axes: []).scalars() == copy.amax(axes: []).scalars())
            #expect(view.mean().scalars() == copy.mean().scalars())
        }
        #expect(element.sum().scalars() == [3])
        // repeat always writes a new buffer: changing it leaves the input alone.
        let x = Tensor([1.0, 2.0])
        let y = x.repeat([1])
        #expect(!y.sharesStorage(with: x))
        // An int64 layer without input features gives zeros, and an exponent beyond int64 is an error.
        let empty = Tensor.linear(Tensor.zeros([2, 0], dtype: .int64), weight: Tensor.zeros([3, 0], dtype: .int64), bias: nil)
        #expect(empty.shape == [2, 3] && empty.dtype == .int64 && empty.scalars(as: Double.self) == [0, 0, 0, 0, 0, 0])
        #expect((try? GradusError.catching { Tensor(labels: [-1]).pow(UInt64(1) << 63) }) == nil)
        #expect(Tensor(labels: [-1, 2]).pow(UInt64(3)).scalars(as: Double.self) == [-1, 8])
        // An integer number beyond int64 is an error naming the operation.
        let e = try? GradusError.catching { Tensor(labels: [3]) % UInt64.max }
        #expect(e == nil)
        do { _ = try GradusError.catching { Tensor(labels: [3]) % UInt64.max }; Issue.record("no error") } catch {
            #expect("\(error)".contains("remainder"))
        }
    }

    @Test("result, dtype or refusal", arguments: semanticCases)
    func semantics(_ c: SemanticCase) throws {
        let op = try #require(semanticTable[c.name], "no Gradus call for \(c.name)")
        let inputs = c.inputs.map { $0.tensor() }
        let result = Result { try GradusError.catching { op(inputs) } }
        if c.error {
            guard case .failure(let e) = result else {
                Issue.record("\(c.name): PyTorch refuses (\(c.message ?? "")), Gradus gave a result")
                return
            }
            #expect(e is GradusError, "\(c.name): \(e)")
            return
        }
        let out = try result.get()
        let expected = try #require(c.output)
        #expect(out.dtype.rawValue == c.dtype, "\(c.name): dtype \(out.dtype), PyTorch's is \(c.dtype ?? "?")")
        #expect(out.shape == expected.shape, "\(c.name): shape \(out.shape), expected \(expected.shape)")
        // Int64 values compare as Doubles on both sides (the fixture's JSON numbers are Doubles).
        let m = mismatch(out.to(.float64), expected.tensor(.float64), rtol: 1e-6, atol: 0)
        #expect(m == nil, "\(c.name): \(m ?? "")")
    }
}
