#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/semantics.json: PyTorch's results, dtypes and refusals for integer
division, rounding of integer tensors, type promotion with numbers, logical operations, any/all
(empty reductions included), and reordering of integer tensors. Tests/TensorTests/SemanticsTests.swift
maps each case name to a Gradus call and checks the values, the dtype, and that a case PyTorch refuses
(`"error": true`) is an error Gradus records instead of a result.

Gradus has no bool dtype: where PyTorch answers with bool, Gradus answers 1/0 in the operands' promoted
dtype, which the case's `dtype` gives (its values are PyTorch's, as 1/0).

Run with a Python that has torch:

    /tmp/torchenv/bin/python scripts/make_semantics_fixtures.py
"""
import json
import os

import torch

from nonfinite_json import DTYPE_NAMES, encode

I64_MIN = -(2 ** 63)


def i64(values):
    return torch.tensor(values, dtype=torch.int64)


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


CASES = []


def case(name, fn, *inputs):
    CASES.append((name, fn, inputs))


A = i64([-7, 7, -7, 7, 0, I64_MIN, I64_MIN, 5])
B = i64([3, 3, -3, -3, 5, -1, 7, -2])
case("int_remainder", torch.remainder, A, B)
case("int_fmod", torch.fmod, A, B)
case("int_floor_divide", torch.floor_divide, A, B)
case("int_remainder_operator_scalar", lambda a: a % 5, i64([-3, 3, -10, 12]))
case("int_remainder_by_zero", torch.remainder, i64([1, 2]), i64([1, 0]))
case("int_fmod_by_zero", torch.fmod, i64([1, 2]), i64([0, 1]))
case("int_floor_divide_by_zero", torch.floor_divide, i64([1, 2]), i64([0, 0]))
case("int_remainder_float_scalar", lambda a: a % 2.5, i64([-7, 7, 5]))
case("int_floor_divide_float_scalar", lambda a: torch.floor_divide(a, 2.5), i64([-7, 7, 5]))
case("float_remainder_int_tensor", torch.remainder, f32([-7.5, 7.5]), i64([2, -2]))
case("int_floor", torch.floor, i64([-3, 4]))
case("int_ceil", torch.ceil, i64([-3, 4]))
case("int_round", torch.round, i64([-3, 4]))
case("int_trunc", torch.trunc, i64([-3, 4]))
case("int_round_decimals", lambda a: torch.round(a, decimals=1), i64([15, 25]))
case("int_frac", torch.frac, i64([1, 2]))
case("round_half_even", torch.round, f32([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998]))
case("round_decimals_float32", lambda a: torch.round(a, decimals=2), f32([0.125, 0.135, 2.675, -1.005]))
case("round_negative_decimals", lambda a: torch.round(a, decimals=-2), f32([1.25, 150.0, 250.0, -1234.5678, 1e30]))
case("int_reciprocal", torch.reciprocal, i64([0, 2, -4]))
case("int_rsqrt", torch.rsqrt, i64([0, 4, -4]))
case("int_nan_to_num", torch.nan_to_num, i64([1, -2]))
case("int_isnan", torch.isnan, i64([1, -2]))
case("int_isinf", torch.isinf, i64([1, -2]))
case("int_isfinite", torch.isfinite, i64([1, -2]))
L = f32([0.0, 2.0, NAN := float("nan"), -1.0, 0.0])
M = i64([1, 0, 0, 3, 0])
case("logical_not", torch.logical_not, L)
case("logical_and", torch.logical_and, L, M)
case("logical_or", torch.logical_or, L, M)
case("logical_xor", torch.logical_xor, L, M)
case("logical_and_broadcast", torch.logical_and, f32([[1.0], [0.0]]), i64([1, 0, 2]))
case("logical_and_bad_shapes", torch.logical_and, f32([1.0, 0.0]), i64([1, 0, 2]))
G = f32([[0.0, 0.0, 0.0], [0.0, NAN, 0.0], [1.0, 2.0, 3.0]])
case("any_all", lambda a: a.any(), G)
case("all_all", lambda a: a.all(), G)
case("any_rows", lambda a: a.any(dim=1), G)
case("all_rows", lambda a: a.all(dim=1), G)
case("all_columns_keepdim", lambda a: a.all(dim=0, keepdim=True), G)
case("any_empty", lambda a: a.any(), torch.zeros(0, 3))
case("all_empty", lambda a: a.all(), torch.zeros(0, 3))
case("any_empty_axis", lambda a: a.any(dim=0), torch.zeros(0, 3))
case("all_empty_axis", lambda a: a.all(dim=0), torch.zeros(0, 3))
case("any_int", lambda a: a.any(dim=1), i64([[0, 0], [0, 5]]))
case("all_scalar", lambda a: a.all(), torch.tensor(2.0))
case("int_flip", lambda a: a.flip(1), i64([[1, 2, 3], [4, 5, 6]]))
case("flip_repeated_axis", lambda a: a.flip(0, 0), i64([1, 2]))
case("flip_scalar", lambda a: a.flip(0), torch.tensor(5))
case("int_roll", lambda a: a.roll(-4), i64([1, 2, 3]))
case("roll_two_axes", lambda a: a.roll((1, 1), (0, 1)), i64([[1, 2], [3, 4]]))
case("roll_huge_shift", lambda a: a.roll(2 ** 62 + 1, 0), i64([1, 2, 3]))
case("roll_shifts_without_axes", lambda a: a.roll((1, 1)), i64([1, 2, 3]))
case("roll_empty", lambda a: a.roll(3, 0), torch.zeros(0, 2))
case("roll_scalar_with_axis", lambda a: a.roll(1, 0), torch.tensor(5))
case("roll_scalar_flat", lambda a: a.roll(1), torch.tensor(5))
case("int_remainder_empty_output", torch.remainder, i64([]), i64([0]))
case("int_repeat", lambda a: a.repeat(2, 2), i64([1, 2, 3]))
case("repeat_zero_count", lambda a: a.repeat(0, 2), i64([1, 2, 3]))
case("repeat_negative", lambda a: a.repeat(-1), i64([1, 2]))
case("repeat_too_few_counts", lambda a: a.repeat(2), i64([[1, 2]]))

# Reductions of empty tensors and of int64 tensors.
E = torch.zeros(0, 3)
case("sum_empty", lambda a: a.sum(), E)
case("mean_empty", lambda a: a.mean(), E)
case("prod_empty", lambda a: a.prod(), E)
case("amax_empty", lambda a: a.amax(), E)
case("amax_empty_axis0", lambda a: a.amax(0), E)
case("amax_empty_axis1", lambda a: a.amax(1), E)
case("argmax_empty", lambda a: a.argmax(), E)
case("max_empty", lambda a: a.max(), E)
case("logsumexp_empty", lambda a: a.logsumexp(0), E)
case("softmax_empty", lambda a: a.softmax(0), E)
case("var_one", lambda a: a.var(), f32([2.0]))
case("std_one", lambda a: a.std(), f32([2.0]))
case("var_empty_axis", lambda a: a.var(0), E)
case("std_empty", lambda a: a.std(), E)
case("norm_empty", lambda a: a.norm(), E)
case("cumsum_empty", lambda a: a.cumsum(0), E)
case("sort_empty", lambda a: a.sort(0).values, E)
case("topk_zero", lambda a: a.topk(0).values, f32([1.0, 2.0]))
case("topk_too_many", lambda a: a.topk(3).values, f32([1.0, 2.0]))
case("sum_int", lambda a: a.sum(), i64([1, 2, 3]))
# mean of an int64 tensor is left out: PyTorch refuses it, Gradus (which has no bool dtype) gives the
# float32 fraction that `(predicted .== labels).mean()` is written for (documented at `mean`).
case("prod_int", lambda a: a.prod(), i64([2, 3]))
case("cumsum_int", lambda a: a.cumsum(0), i64([1, 2]))
case("cumprod_int", lambda a: a.cumprod(0), i64([2, 3]))
case("amax_int", lambda a: a.amax(1), i64([[1, 5], [7, 2]]))
# Vector norms of empty and int64 tensors: ±inf and negative orders have no identity.
case("norm_inf_empty", lambda a: a.norm(p=float("inf")), E)
case("norm_neg_inf_empty_rows", lambda a: torch.linalg.vector_norm(a, ord=float("-inf"), dim=1), E)
case("norm_neg1_empty", lambda a: a.norm(p=-1), E)
case("norm_zero_empty", lambda a: a.norm(p=0), E)
case("norm_p3_empty", lambda a: a.norm(p=3), E)
case("norm_int", lambda a: torch.linalg.vector_norm(a), i64([3, 4]))
# hardtanh and relu6 keep int64, with the bounds truncated toward zero.
case("hardtanh_int", lambda a: F.hardtanh(a), i64([-5, -1, 0, 3, 7]))
case("hardtanh_int_fractional_bounds", lambda a: F.hardtanh(a, -0.5, 2.5), i64([-5, -1, 0, 3, 7]))
case("relu6_int", lambda a: F.relu6(a), i64([-5, 0, 3, 7]))
# Padding modes: amounts beyond what reflection and wrapping allow, dimensions they cannot take.
P = torch.arange(12.0).reshape(1, 3, 4)
case("pad_reflect_too_wide", lambda a: F.pad(a, (4, 0), mode="reflect"), P)
case("pad_circular_wraps_twice", lambda a: F.pad(a, (5, 0), mode="circular"), P)
case("pad_circular_full_turn", lambda a: F.pad(a, (4, 0), mode="circular"), P)
case("pad_replicate_far", lambda a: F.pad(a, (0, 9), mode="replicate"), P)
case("pad_reflect_1d_input", lambda a: F.pad(a, (1, 1), mode="reflect"), torch.arange(4.0))
case("pad_reflect_too_many_dims", lambda a: F.pad(a, (1, 1, 1, 1), mode="reflect"), torch.arange(4.0).reshape(2, 2))
case("pad_replicate_empty_dim", lambda a: F.pad(a, (1, 1), mode="replicate"), torch.zeros(1, 2, 0))
case("pad_replicate_empty_batch", lambda a: F.pad(a, (1, 1), mode="replicate"), torch.zeros(0, 2, 3))
# Resizing: modes that do not fit the rank, both or neither of size and factor, corners for nearest.
R4 = torch.arange(12.0).reshape(1, 1, 3, 4)
case("interp_bilinear_on_3d", lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"), torch.arange(6.0).reshape(1, 2, 3))
case("interp_size_and_factor", lambda a: F.interpolate(a, size=(2, 2), scale_factor=2), R4)
case("interp_neither", lambda a: F.interpolate(a), R4)
case("interp_nearest_align", lambda a: F.interpolate(a, scale_factor=2, align_corners=True), R4)
case("interp_2d_input", lambda a: F.interpolate(a, scale_factor=2), torch.arange(4.0).reshape(2, 2))
case("interp_empty_batch", lambda a: F.interpolate(a, size=(2, 3), mode="bilinear"), torch.zeros(0, 1, 3, 4))
case("interp_size_count", lambda a: F.interpolate(a, size=(2, 3, 4)), R4)
# unique (values, inverse, counts), int64 diagonals, and refusals of bmm, narrow, repeat_interleave.
U = torch.tensor([3.0, 1.0, float("nan"), 3.0, -0.0, 0.0, float("nan"), 1.0])
case("unique_values", lambda a: torch.unique(a), U)
case("unique_inverse", lambda a: torch.unique(a, return_inverse=True)[1], U)
case("unique_counts", lambda a: torch.unique(a, return_counts=True)[1], U)
case("unique_int", lambda a: torch.unique(a), i64([5, -1, 5, 2]))
case("unique_empty", lambda a: torch.unique(a), torch.zeros(0))
case("diag_int", lambda a: torch.diag(a, 1), i64([4, 5]))
case("bmm_ranks", lambda a, b: torch.bmm(a, b), torch.zeros(3, 4), torch.zeros(4, 5))
case("bmm_batches", lambda a, b: torch.bmm(a, b), torch.zeros(2, 3, 4), torch.zeros(3, 4, 5))
case("narrow_out_of_range", lambda a: a.narrow(0, 2, 3), torch.zeros(4))
case("narrow_negative_start", lambda a: a.narrow(0, -3, 2), torch.arange(4.0))
case("repeat_interleave_zero", lambda a: a.repeat_interleave(0), torch.arange(3.0))
case("trace_vector", lambda a: a.trace(), torch.arange(3.0))
case("diagonal_beyond", lambda a: a.diagonal(offset=5), torch.zeros(3, 4))
# Crops before padding (PyTorch crops first, then pads what is left), and sizes that do not change.
C5 = torch.arange(5.0).reshape(1, 1, 5)
case("pad_circular_crop_right", lambda a: F.pad(a, (-1, 1), mode="circular"), C5)
case("pad_circular_crop_left", lambda a: F.pad(a, (2, -1), mode="circular"), C5)
case("pad_reflect_crop_left", lambda a: F.pad(a, (2, -1), mode="reflect"), C5)
case("pad_replicate_crop_both", lambda a: F.pad(a, (-2, -1), mode="replicate"), C5)
case("interp_nearest_same_size_factor", lambda a: F.interpolate(a, scale_factor=1.1), C5)
case("interp_nearest_exact_same_size", lambda a: F.interpolate(a, scale_factor=1.1, mode="nearest-exact"), C5)
case("interp_linear_same_size_factor", lambda a: F.interpolate(a, scale_factor=1.1, mode="linear"), C5)
case("interp_nearest_float_rounding", lambda a: F.interpolate(a, size=22), torch.arange(26.0).reshape(1, 1, 26))
case("interp_nearest_exact_rounding", lambda a: F.interpolate(a, size=41, mode="nearest-exact"), torch.arange(4.0).reshape(1, 1, 4))
case("cdist_empty_rows_inf", lambda a, b: torch.cdist(a, b, p=float("inf")), torch.zeros(2, 0), torch.zeros(3, 0))
case("diagonal_far_below", lambda a: a.diagonal(offset=-(1 << 43)), torch.zeros(2, 3))
# Reflection over the uncropped input; nearest's CPU shortcuts; offsets and masks at the edges.
A4 = torch.arange(4.0).reshape(1, 1, 4)
case("pad_reflect_crop_wide", lambda a: F.pad(a, (-1, 3), mode="reflect"), A4)
case("pad_reflect_crop_most", lambda a: F.pad(a, (-4, 2), mode="reflect"), A4)
case("interp_nearest_exact_same_size_maps", lambda a: F.interpolate(a, scale_factor=1.09, mode="nearest-exact"), torch.arange(10.0).reshape(1, 1, 10))
case("interp_nearest_2d_shortcuts", lambda a: F.interpolate(a, scale_factor=(2.2, 1.09)), torch.arange(30.0).reshape(1, 1, 3, 10))
case("diagonal_int_min_offset", lambda a: a.diagonal(offset=-(2 ** 63)), torch.zeros(2, 3))
case("instance_norm_one_position", lambda a: F.instance_norm(a), torch.zeros(2, 3, 1))
# Cross-entropy with class probabilities over no sample: the mean of nothing.
case("cross_entropy_probs_empty", lambda a, t: F.cross_entropy(a, t), torch.zeros(0, 3), torch.zeros(0, 3))
case("var_int", lambda a: a.var(), i64([1, 2]))
case("argmax_ties", lambda a: a.argmax(), f32([1.0, 3.0, 3.0]))
case("argmin_ties", lambda a: a.argmin(), f32([1.0, 0.0, 0.0]))

# Promotion: rank-0 tensors, integer tensors in floating-point functions, mixed operands.
case("int_plus_f64_scalar_tensor", torch.add, i64([1, 2]), torch.tensor(0.5, dtype=torch.float64))
case("f32_plus_f64_scalar_tensor", torch.add, f32([1.0, 2.0]), torch.tensor(0.5, dtype=torch.float64))
case("int_div_int", torch.div, i64([7, -7]), i64([2, 2]))
case("int_lt_float", torch.lt, i64([1, 2]), f32([1.5, 1.5]))
case("maximum_int_float", torch.maximum, i64([1, 5]), f32([2.5, 2.5]))
case("where_int_float", lambda c, a, b: torch.where(c != 0, a, b), i64([1, 0]), i64([1, 2]), f32([0.5, 0.5]))
case("exp_int", torch.exp, i64([0, 1]))
case("log_int", torch.log, i64([1, 4]))
case("sqrt_int", torch.sqrt, i64([4, 9]))
case("sin_int", torch.sin, i64([0, 1]))
case("tanh_int", torch.tanh, i64([0, 1]))
case("sigmoid_int", torch.sigmoid, i64([0, 2]))
case("softmax_int", lambda a: a.softmax(0), i64([1, 2]))
case("relu_int", torch.relu, i64([-1, 2]))
case("abs_int", torch.abs, i64([-3, 3]))
case("neg_int_min", torch.neg, i64([I64_MIN]))
case("mul_int_overflow", lambda a: a * 4, i64([2 ** 62]))
case("clamp_int_float_bounds", lambda a: a.clamp(0.5, 2.5), i64([1, 5]))
case("clamp_int_int_bounds", lambda a: a.clamp(0, 2), i64([-1, 1, 5]))
case("pow_int_negative_scalar", lambda a: a.pow(-1), i64([2]))
case("pow_int_scalar", lambda a: a.pow(3), i64([2, -3]))
case("pow_int_float_scalar", lambda a: a.pow(0.5), i64([4, 9]))

# Shapes, joins and indexing.
case("squeeze_not_one", lambda a: a.squeeze(0), torch.zeros(2, 3))
case("cat_legacy_empty", lambda a, b: torch.cat([a, b]), torch.zeros(0), torch.ones(2, 3))
case("cat_legacy_empty_promotes", lambda a, b: torch.cat([a, b]), torch.zeros(0), i64([1, 2]))
case("prelu_vector_channels", lambda x, w: torch.nn.functional.prelu(x, w), f32([-1.0, -2.0, -3.0]), f32([0.1, 0.2, 0.3]))
case("prelu_dtypes_differ", lambda x, w: torch.nn.functional.prelu(x, w), f32([-1.0, 2.0]), torch.tensor([0.1], dtype=torch.float64))
case("softsign_int", torch.nn.functional.softsign, i64([-3, 0, 1]))
case("cat_empty_rows", lambda a, b: torch.cat([a, b]), torch.zeros(0, 3), torch.ones(2, 3))
case("stack_mismatch", lambda a, b: torch.stack([a, b]), torch.zeros(2), torch.zeros(3))
case("split_zero", lambda a: a.split(0)[0], torch.arange(4))
case("chunk_zero", lambda a: a.chunk(0)[0], torch.arange(4))
case("select_negative", lambda a: a.select(1, -1), torch.arange(6).reshape(2, 3))
case("slice_past_end", lambda a: a[4:9], torch.arange(6))
case("gather_negative", lambda a, i: a.gather(0, i), torch.arange(4.0), i64([-1]))
case("index_select_negative", lambda a, i: a.index_select(0, i), torch.arange(4.0), i64([-1]))
case("transpose_negative", lambda a: a.transpose(-1, 0), torch.arange(24.0).reshape(2, 3, 4))
case("topk_ties", lambda a: a.topk(2).indices, f32([1.0, 1.0, 1.0]))
case("sort_stable_descending", lambda a: a.sort(descending=True, stable=True).indices, f32([1.0, 2.0, 1.0, 2.0]))
case("one_hot_negative", lambda a: torch.nn.functional.one_hot(a, 3), i64([-1]))
case("matmul_vector_vector", torch.matmul, f32([1.0, 2.0]), f32([3.0, 4.0]))
case("matmul_vector_matrix", torch.matmul, f32([1.0, 2.0]), torch.arange(6.0).reshape(2, 3))
case("matmul_batch_broadcast", torch.matmul, torch.arange(24.0).reshape(2, 1, 3, 4), torch.arange(40.0).reshape(5, 4, 2))
case("matmul_int", torch.matmul, i64([[1, 2]]), i64([[3], [4]]))

# Losses over empty batches or ignored targets (NaN: a mean over nothing), and layers at their edges.
F = torch.nn.functional
case("cross_entropy_all_ignored", F.cross_entropy, f32([[1.0, 2.0, 3.0], [0.5, 0.0, 1.0]]), i64([-100, -100]))
case("cross_entropy_empty_batch", F.cross_entropy, torch.zeros(0, 3), i64([]))
case("mse_empty", F.mse_loss, torch.zeros(0), torch.zeros(0))
case("nll_some_ignored", F.nll_loss, f32([[-1.0, -2.0, -0.5], [-0.1, -3.0, -2.0]]), i64([1, -100]))
case("cross_entropy_smoothing_ignored", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
     f32([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), i64([2, -100]))
case("batch_norm_train_one_value", lambda x: F.batch_norm(x, None, None, training=True), f32([[1.0, 2.0, 3.0]]))
case("batch_norm_train_one_sample_spatial", lambda x: F.batch_norm(x, None, None, training=True),
     torch.arange(12.0).reshape(1, 3, 2, 2))
case("max_pool_ceil", lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True), torch.arange(16.0).reshape(1, 1, 4, 4))
case("max_pool_ceil_last_window_in_padding", lambda x: F.max_pool2d(x, 2, 2, padding=1, ceil_mode=True),
     torch.arange(25.0).reshape(1, 1, 5, 5))
case("avg_pool_ceil_padding", lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True), torch.arange(16.0).reshape(1, 1, 4, 4))
case("avg_pool_ceil_padding_not_counted", lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
     torch.arange(16.0).reshape(1, 1, 4, 4))
case("adaptive_avg_pool_5_to_3", lambda x: F.adaptive_avg_pool2d(x, 3), torch.arange(25.0).reshape(1, 1, 5, 5))
case("conv_same_even_kernel", lambda x, w: F.conv2d(x, w, padding="same"), torch.arange(16.0).reshape(1, 1, 4, 4),
     torch.ones(1, 1, 2, 2))
case("layer_norm_constant_row", lambda x: F.layer_norm(x, (3,)), f32([[1.0, 1.0, 1.0]]))
case("group_norm_groups_not_dividing", lambda x: F.group_norm(x, 3), torch.zeros(1, 4, 2))
case("linear_int", F.linear, i64([[1, 2]]), i64([[1, 1]]))


# Order statistics (median, nanmedian, kthvalue, quantile) and binary search (searchsorted, bucketize):
# NaN, ties, int64, empty inputs, the interpolation modes, and what PyTorch refuses.
N = float("nan")
OS = f32([[3.0, N, 1.0, 2.0], [4.0, 1.0, 2.0, 3.0], [N, N, N, N]])
case("median_all_odd", lambda a: a.median(), f32([5.0, -1.0, 3.0, 0.5, 2.0]))
case("median_all_even_lower", lambda a: a.median(), f32([4.0, 1.0, 3.0, 2.0]))
case("median_all_nan", lambda a: a.median(), f32([1.0, N, 3.0]))
case("median_all_empty", lambda a: a.median(), torch.zeros(0))
case("median_all_int", lambda a: a.median(), i64([7, -3, 5, 5, 2, 9]))
case("median_rows_nan", lambda a: a.median(dim=1).values, OS)
case("median_rows_nan_indices", lambda a: a.median(dim=1).indices, OS)
case("median_columns_keepdim", lambda a: a.median(dim=0, keepdim=True).values, f32([[3.0, 9.0], [1.0, 7.0], [2.0, 8.0], [0.0, 6.0]]))
case("median_columns_indices", lambda a: a.median(dim=0).indices, f32([[3.0, 9.0], [1.0, 7.0], [2.0, 8.0], [0.0, 6.0]]))
case("median_int_rows", lambda a: a.median(dim=1).values, i64([[5, 1, 3], [2, 8, 4]]))
case("median_scalar_dim", lambda a: a.median(dim=0).values, torch.tensor(2.5))
case("median_empty_dim", lambda a: a.median(dim=1).values, torch.zeros(2, 0))
case("median_other_dim_empty", lambda a: a.median(dim=1).values, torch.zeros(0, 3))
case("median_dim_out_of_range", lambda a: a.median(dim=2).values, f32([[1.0, 2.0]]))
case("nanmedian_all", lambda a: a.nanmedian(), f32([4.0, N, 1.0, N, 3.0, 2.0]))
case("nanmedian_all_nan", lambda a: a.nanmedian(), f32([N, N]))
case("nanmedian_rows", lambda a: a.nanmedian(dim=1).values, OS)
# An all-NaN line's index is whatever PyTorch's selection leaves there (2 here); Gradus gives 0.
case("nanmedian_rows_indices", lambda a: a.nanmedian(dim=1).indices, OS[:2])
case("nanmedian_int", lambda a: a.nanmedian(dim=0).values, i64([[3, 1], [1, 2], [2, 3]]))
case("kthvalue_rows", lambda a: a.kthvalue(2, dim=1).values, f32([[5.0, 1.0, 4.0], [0.0, -2.0, 9.0]]))
case("kthvalue_rows_indices", lambda a: a.kthvalue(3, dim=1).indices, f32([[5.0, 1.0, 4.0], [0.0, -2.0, 9.0]]))
case("kthvalue_nan_largest", lambda a: a.kthvalue(3, dim=0).values, f32([N, 2.0, 1.0, 0.5]))
case("kthvalue_last_is_nan", lambda a: a.kthvalue(4, dim=0).values, f32([N, 2.0, 1.0, 0.5]))
case("kthvalue_int_keepdim", lambda a: a.kthvalue(1, dim=0, keepdim=True).values, i64([[4, -1], [2, 6]]))
case("kthvalue_k_zero", lambda a: a.kthvalue(0, dim=0).values, f32([1.0, 2.0]))
case("kthvalue_k_too_large", lambda a: a.kthvalue(3, dim=0).values, f32([1.0, 2.0]))
case("kthvalue_scalar", lambda a: a.kthvalue(1).values, torch.tensor(4.0))
Q = f32([[0.5, 3.0, -1.0, 2.0, 7.0], [1.0, 1.0, 4.0, N, 0.0]])
case("quantile_linear_all", lambda a: torch.quantile(a, 0.3), f32([0.5, 3.0, -1.0, 2.0, 7.0, 1.5]))
case("quantile_rows_nan", lambda a: torch.quantile(a, 0.25, dim=1), Q)
case("quantile_vector_q", lambda a: torch.quantile(a, torch.tensor([0.0, 0.1, 0.5, 1.0]), dim=0),
     f32([[0.5, 3.0], [-1.0, 2.0], [7.0, 1.0], [4.0, 0.0]]))
case("quantile_vector_q_keepdim", lambda a: torch.quantile(a, torch.tensor([0.2, 0.8]), dim=1, keepdim=True),
     f32([[0.5, 3.0, -1.0, 2.0], [7.0, 1.0, 4.0, 0.0]]))
case("quantile_all_keepdim", lambda a: torch.quantile(a, 0.6, keepdim=True), f32([[0.5, 3.0], [-1.0, 2.0]]))
for mode in ["lower", "higher", "nearest", "midpoint"]:
    case(f"quantile_{mode}", lambda a, mode=mode: torch.quantile(a, torch.tensor([0.1, 0.375, 0.5, 0.625, 0.9]), dim=1, interpolation=mode),
         f32([[0.5, 3.0, -1.0, 2.0, 7.0], [1.0, 1.0, 4.0, 8.0, 0.0]]))
case("quantile_float64", lambda a: torch.quantile(a, 0.1), torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64))
case("quantile_scalar_input", lambda a: torch.quantile(a, 0.4, dim=0), torch.tensor(3.0))
case("quantile_one_element", lambda a: torch.quantile(a, 0.7, dim=0), f32([[2.0, 5.0]]))
case("quantile_empty", lambda a: torch.quantile(a, 0.5), torch.zeros(0))
case("quantile_q_above_one", lambda a: torch.quantile(a, 1.5), f32([1.0, 2.0]))
case("quantile_q_negative", lambda a: torch.quantile(a, torch.tensor([0.5, -0.1])), f32([1.0, 2.0]))
case("quantile_int", lambda a: torch.quantile(a, 0.5), i64([1, 2, 3]))
case("quantile_q_matrix", lambda a: torch.quantile(a, torch.tensor([[0.5]])), f32([1.0, 2.0]))
case("quantile_q_dtype", lambda a: torch.quantile(a, torch.tensor([0.5], dtype=torch.float64)), f32([1.0, 2.0]))
case("nanquantile_rows", lambda a: torch.nanquantile(a, 0.25, dim=1), Q)
# q = 0.1 is 0.10000000149 in float32: times 5 it is 0.5000000075 in Float64 (PyTorch's rank), which
# rounds up to 1; a Float32 rank is exactly 0.5 and rounds to even (0).
case("quantile_nearest_float64_rank", lambda a: torch.quantile(a, 0.1, interpolation="nearest"), torch.arange(6.0))
case("nanquantile_nearest_float64_rank", lambda a: torch.nanquantile(a, 0.1, interpolation="nearest"),
     f32([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, N]))
case("quantile_linear_large_values", lambda a: torch.quantile(a, 0.9316),
     torch.linspace(0, 1, 1000, dtype=torch.float64).pow(3).float() * 1e6 + 1e6)
case("searchsorted_scalar_float64_value", lambda s, v: torch.searchsorted(s, v, right=True), f32([0.1, 0.2]),
     torch.tensor(0.1, dtype=torch.float64))
case("searchsorted_sorter_huge_index", lambda s, o, v: torch.searchsorted(s, v, sorter=o), f32([1.0, 2.0, 3.0]),
     i64([0, 1, 2 ** 62]), f32([2.0]))
case("nanquantile_all_nan_row", lambda a: torch.nanquantile(a, torch.tensor([0.0, 0.5]), dim=1), OS)
case("nanquantile_all", lambda a: torch.nanquantile(a, 0.9), Q)
S = f32([1.0, 3.0, 3.0, 5.0, 7.0])
V = f32([[0.0, 3.0, 4.0], [7.0, 8.0, N]])
case("searchsorted_left", lambda s, v: torch.searchsorted(s, v), S, V)
case("searchsorted_right", lambda s, v: torch.searchsorted(s, v, right=True), S, V)
case("searchsorted_side_right", lambda s, v: torch.searchsorted(s, v, side="right"), S, V)
case("searchsorted_rows", lambda s, v: torch.searchsorted(s, v),
     f32([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), f32([[2.5, 0.0], [30.0, 31.0]]))
case("searchsorted_rows_right", lambda s, v: torch.searchsorted(s, v, right=True),
     f32([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), f32([[2.0, 3.0], [10.0, 30.0]]))
case("searchsorted_int", lambda s, v: torch.searchsorted(s, v), i64([-5, 0, 0, 9]), i64([0, 10, -6]))
case("searchsorted_mixed_dtypes", lambda s, v: torch.searchsorted(s, v), i64([1, 2, 3]), f32([1.5, 2.0]))
case("searchsorted_nan_in_sequence", lambda s, v: torch.searchsorted(s, v), f32([1.0, 2.0, N]), f32([1.5, 3.0, N]))
case("searchsorted_empty_sequence", lambda s, v: torch.searchsorted(s, v), torch.zeros(0), f32([1.0, 2.0]))
case("searchsorted_empty_values", lambda s, v: torch.searchsorted(s, v), S, torch.zeros(0))
case("searchsorted_scalar_value", lambda s, v: torch.searchsorted(s, v), S, torch.tensor(4.0))
case("searchsorted_sorter", lambda s, o, v: torch.searchsorted(s, v, sorter=o), f32([5.0, 1.0, 3.0]), i64([1, 2, 0]), f32([2.0, 5.0, 6.0]))
case("searchsorted_sorter_out_of_range", lambda s, o, v: torch.searchsorted(s, v, sorter=o), f32([5.0, 1.0]), i64([1, 2]), f32([2.0]))
case("searchsorted_leading_dims_differ", lambda s, v: torch.searchsorted(s, v), f32([[1.0, 2.0], [3.0, 4.0]]), f32([[1.0], [2.0], [3.0]]))
case("searchsorted_scalar_sequence", lambda s, v: torch.searchsorted(s, v), torch.tensor(1.0), f32([1.0]))
case("bucketize_left", lambda x, b: torch.bucketize(x, b), f32([[-1.0, 18.0, 20.0], [30.0, 64.9, 80.0]]), f32([18.0, 30.0, 65.0]))
case("bucketize_right", lambda x, b: torch.bucketize(x, b, right=True), f32([[-1.0, 18.0, 20.0], [30.0, 64.9, 80.0]]), f32([18.0, 30.0, 65.0]))
case("bucketize_int", lambda x, b: torch.bucketize(x, b), i64([0, 5, 10]), i64([5, 10]))
case("bucketize_boundaries_2d", lambda x, b: torch.bucketize(x, b), f32([1.0]), f32([[1.0, 2.0]]))

# torch.div with rounding modes: int64 stays int64, division by an integer 0 refused, floats round
# their quotient (inf and NaN pass), numbers as divisors.
DA = i64([-7, 7, -7, 7, 0, -1])
DB = i64([2, 2, -2, -2, 3, 3])
case("div_trunc_int", lambda a, b: torch.div(a, b, rounding_mode="trunc"), DA, DB)
case("div_floor_int", lambda a, b: torch.div(a, b, rounding_mode="floor"), DA, DB)
case("div_true_int", lambda a, b: torch.div(a, b), DA, DB)
case("div_trunc_int_by_zero", lambda a, b: torch.div(a, b, rounding_mode="trunc"), i64([1, 2]), i64([1, 0]))
case("div_trunc_float", lambda a, b: torch.div(a, b, rounding_mode="trunc"),
     f32([-7.5, 7.5, 1.0, -1.0, 0.0, float("inf"), float("nan")]), f32([2.0, 2.0, 0.0, 0.0, 0.0, 2.0, 1.0]))
case("div_floor_float", lambda a, b: torch.div(a, b, rounding_mode="floor"),
     f32([-7.5, 7.5, 1.0, -1.0, 0.0, float("inf"), float("nan")]), f32([2.0, 2.0, 0.0, 0.0, 0.0, 2.0, 1.0]))
case("div_trunc_int_by_float_scalar", lambda a: torch.div(a, 2.5, rounding_mode="trunc"), i64([-7, 7, 5]))
case("div_trunc_int_by_int_scalar", lambda a: torch.div(a, -2, rounding_mode="trunc"), i64([-7, 7, 5]))
case("div_floor_broadcast", lambda a, b: torch.div(a, b, rounding_mode="floor"), i64([[-5], [5]]), i64([2, -3]))

# Max pooling's indices (flat within each plane: ties go to the first, NaN wins, padding, dilation, ceil
# mode, one unbatched sample) and unpooling (output sizes, refusals).
PT = torch.tensor([[[[1.0, 3.0, 3.0, 0.0, 2.0], [3.0, 2.0, N, 1.0, 2.0], [0.0, 0.0, 1.0, 1.0, 5.0],
                     [4.0, 4.0, 0.0, 2.0, 2.0]]]])
case("max_pool_indices_ties_nan", lambda a: F.max_pool2d(a, 2, return_indices=True)[1], PT)
case("max_pool_indices_padding_ceil", lambda a: F.max_pool2d(a, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)[1], PT)
case("max_pool_indices_dilation", lambda a: F.max_pool2d(a, 2, stride=1, dilation=(2, 1), return_indices=True)[1], PT)
case("max_pool_indices_unbatched", lambda a: F.max_pool2d(a, 2, return_indices=True)[1], PT[0])
case("max_unpool_roundtrip", lambda a: F.max_unpool2d(*F.max_pool2d(a, 2, return_indices=True), 2, output_size=(4, 5)), PT.nan_to_num(7.0))
case("max_unpool_default_size", lambda a, i: F.max_unpool2d(a, i, 2), f32([[[[1.0, 2.0]]]]), i64([[[[1, 3]]]]))
case("max_unpool_stride_padding", lambda a, i: F.max_unpool2d(a, i, 3, stride=2, padding=1), f32([[[[1.0, 2.0], [3.0, 4.0]]]]),
     i64([[[[0, 2], [6, 8]]]]))
case("max_unpool_invalid_index", lambda a, i: F.max_unpool2d(a, i, 2), f32([[[[1.0, 2.0]]]]), i64([[[[1, 8]]]]))
case("max_unpool_negative_index", lambda a, i: F.max_unpool2d(a, i, 2), f32([[[[1.0, 2.0]]]]), i64([[[[-1, 3]]]]))
case("max_unpool_output_size_too_large", lambda a, i: F.max_unpool2d(a, i, 2, output_size=(4, 4)), f32([[[[1.0, 2.0]]]]),
     i64([[[[1, 3]]]]))
case("max_unpool_output_size_within", lambda a, i: F.max_unpool2d(a, i, 2, output_size=(3, 5)), f32([[[[1.0, 2.0]]]]),
     i64([[[[1, 3]]]]))
case("max_unpool_indices_shape", lambda a, i: F.max_unpool2d(a, i, 2), f32([[[[1.0, 2.0]]]]), i64([[[[1]]]]))

# Closeness and equality (PyTorch's tolerance test, infinities, NaN, integers compared through float32),
# counting non-zero elements, running extremes' indices (ties move to the later position, NaN takes
# each new one), differences (orders past the length, refusals), grids, tiling and rotation of integer
# tensors, addmm ignoring the added tensor with beta 0, contractions (a size-1 dimension broadcast against
# its partner, as PyTorch does) and picking along an axis. Not here: take_along_dim with an index past
# the axis, which PyTorch 2.15 answers from outside the tensor after broadcasting (Gradus refuses it,
# tested in TensorOpEdgeTests), and logaddexp/hypot of int64 tensors, which PyTorch refuses and Gradus
# computes in float32 (as atan2).
INF = float("inf")
CA = f32([1.0, 1.0, INF, INF, N, N, 0.0, 1e-9, 100.0])
CB = f32([1.0, 1.0 + 1e-6, INF, -INF, N, 1.0, 1e-9, 0.0, 100.001])
case("isclose_default", torch.isclose, CA, CB)
case("isclose_equal_nan", lambda a, b: torch.isclose(a, b, equal_nan=True), CA, CB)
case("isclose_zero_tolerances", lambda a, b: torch.isclose(a, b, rtol=0.0, atol=0.0), CA, CB)
case("isclose_int", lambda a, b: torch.isclose(a, b, rtol=0.01, atol=0.0), i64([1, 2, 100, -100, 2 ** 62]), i64([1, 3, 101, -101, 2 ** 62 + 1]))
case("isclose_broadcast", lambda a, b: torch.isclose(a, b, atol=0.5), f32([[0.0], [1.0]]), f32([0.2, 0.8, 1.6]))
case("isclose_negative_rtol", lambda a, b: torch.isclose(a, b, rtol=-1.0), f32([1.0]), f32([1.0]))
case("allclose_true", lambda a, b: torch.tensor(torch.allclose(a, b, atol=1e-3)), f32([1.0, 2.0]), f32([1.0005, 2.0]))
case("allclose_false", lambda a, b: torch.tensor(torch.allclose(a, b)), f32([1.0, 2.0]), f32([1.0005, 2.0]))
case("allclose_nan", lambda a, b: torch.tensor(torch.allclose(a, b, equal_nan=True)), f32([N, 2.0]), f32([N, 2.0]))
case("equal_true_promoted", lambda a, b: torch.tensor(torch.equal(a, b)), f32([1.0, 2.0]), i64([1, 2]))
case("equal_nan", lambda a, b: torch.tensor(torch.equal(a, b)), f32([N, 2.0]), f32([N, 2.0]))
case("equal_shapes", lambda a, b: torch.tensor(torch.equal(a, b)), f32([1.0, 1.0]), f32([[1.0, 1.0]]))
case("count_nonzero_all", torch.count_nonzero, f32([[0.0, N], [1.0, -0.0]]))
case("count_nonzero_axis0", lambda a: torch.count_nonzero(a, dim=0), f32([[0.0, N], [1.0, -0.0]]))
case("count_nonzero_int_axes", lambda a: torch.count_nonzero(a, dim=(0, 2)), i64([[[0, 3], [1, 0]], [[5, 0], [0, 0]]]))
case("count_nonzero_empty", lambda a: torch.count_nonzero(a, dim=1), torch.zeros(3, 0))
case("cummax_indices_ties_nan", lambda a: torch.cummax(a, 0).indices, f32([1.0, 1.0, N, 3.0, N, 0.0]))
case("cummin_indices_ties", lambda a: torch.cummin(a, 1).indices, f32([[3.0, 1.0, 1.0, 2.0, 1.0], [0.0, 0.0, -1.0, -1.0, 5.0]]))
case("cummax_int", lambda a: torch.cummax(a, 0).values, i64([2, 2, 1, 7, -3]))
case("cummax_int_indices", lambda a: torch.cummax(a, 0).indices, i64([2, 2, 1, 7, 7]))
case("cummax_scalar", lambda a: torch.cummax(a, 0).indices, f32(4.0))
case("cummax_empty", lambda a: torch.cummax(a, 1).values, torch.zeros(2, 0))
case("diff_int_n2", lambda a: torch.diff(a, n=2), i64([1, 4, 9, 16, 25]))
case("diff_order_past_length", lambda a: torch.diff(a, n=5), i64([1, 4, 9, 16]))
case("diff_order_zero", lambda a: torch.diff(a, n=0), f32([1.0, 4.0]))
case("diff_scalar", lambda a: torch.diff(a), f32(3.0))
case("diff_negative_order", lambda a: torch.diff(a, n=-1), f32([1.0, 4.0]))
case("diff_prepend_rank", lambda a, p: torch.diff(a, prepend=p), f32([1.0, 2.0]), f32(0.0))
case("diff_prepend_shape", lambda a, p: torch.diff(a, dim=0, prepend=p), f32([[1.0, 2.0]]), f32([[1.0, 2.0, 3.0]]))
case("diff_int_prepend_float", lambda a, p: torch.diff(a, prepend=p), i64([3, 5]), f32([0.5]))
case("meshgrid_scalar_xy", lambda a, b, c: torch.stack(torch.meshgrid(a, b, c, indexing="xy")), i64([1, 2]), i64(5), i64([7, 8, 9]))
case("meshgrid_matrix", lambda a: torch.meshgrid(a, indexing="ij")[0], f32([[1.0]]))
case("tile_int", lambda a: torch.tile(a, (2, 2)), i64([1, 2, 3]))
case("tile_empty_reps", lambda a: torch.tile(a, ()), i64([[1, 2]]))
case("rot90_int_k6", lambda a: torch.rot90(a, 6), i64([[1, 2, 3], [4, 5, 6]]))
case("rot90_k_minus3_axes", lambda a: torch.rot90(a, -3, [1, 0]), i64([[1, 2, 3], [4, 5, 6]]))
case("rot90_same_axes", lambda a: torch.rot90(a, 1, [1, 1]), i64([[1, 2], [3, 4]]))
case("rot90_vector", lambda a: torch.rot90(a), i64([1, 2]))
case("kron_int", torch.kron, i64([[1, 2], [3, 4]]), i64([[0, 1], [1, 0]]))
case("tensordot_size1_broadcast", lambda a, b: torch.tensordot(a, b, dims=1), f32([[1.0, 2.0]]), f32([[1.0, 2.0]]))
case("tensordot_mismatch", lambda a, b: torch.tensordot(a, b, dims=1), f32([[1.0, 2.0]]), f32([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
case("addmm_beta0_ignores_nan", lambda b, m, n: torch.addmm(b, m, n, beta=0.0), f32([[N, INF]]), f32([[1.0, 2.0]]), f32([[1.0, 0.0], [0.0, 1.0]]))
case("addmm_bad_bias", lambda b, m, n: torch.addmm(b, m, n), f32([1.0, 2.0, 3.0]), f32([[1.0, 2.0]]), f32([[1.0, 0.0], [0.0, 1.0]]))
case("take_along_dim_int", lambda a, i: torch.take_along_dim(a, i, dim=0), i64([[10, 20], [30, 40]]), i64([[1, 0], [1, 1]]))
case("take_along_dim_rank", lambda a, i: torch.take_along_dim(a, i, dim=0), f32([[1.0, 2.0]]), i64([0]))

# Refusals of the shrinking and gated activations: a negative softshrink lambda, GLU's odd or scalar
# input, integer inputs.
case("softshrink_negative_lambda", lambda a: F.softshrink(a, -0.1), f32([1.0]))
case("glu_odd", lambda a: F.glu(a, 0), f32([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
case("glu_scalar", lambda a: F.glu(a), f32(1.0))
case("hardshrink_int", lambda a: F.hardshrink(a), i64([1, 2]))
case("threshold_int", lambda a: F.threshold(a, 2.7, -1.5), i64([1, 5, 2, 3, -4]))
case("count_nonzero_empty_dims", lambda a: torch.count_nonzero(a, dim=()), f32([[0.0, 1.0], [2.0, 3.0]]))
case("take_along_dim_scalar", lambda a, i: torch.take_along_dim(a, i, dim=0), f32(5.0), i64(0))
case("tensordot_size1_against_larger", lambda a, b: torch.tensordot(a, b, dims=([0, 1], [1, 0])),
     f32([[1.0, 2.0, 3.0]]), f32([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
case("unfold_int_size0", lambda a: a.unfold(0, 0, 2), i64([1, 2, 3, 4, 5]))
case("unfold_int_whole", lambda a: a.unfold(1, 3, 5), i64([[1, 2, 3], [4, 5, 6]]))
case("unfold_size_too_large", lambda a: a.unfold(0, 4, 1), f32([1.0, 2.0, 3.0]))
case("unfold_step_zero", lambda a: a.unfold(0, 1, 0), f32([1.0, 2.0, 3.0]))
case("unfold_scalar", lambda a: a.unfold(0, 1, 1), f32(3.0))
case("bilinear_leading_mismatch", lambda a, b, w: F.bilinear(a, b, w), f32([[1.0, 2.0]]), f32([[1.0], [2.0]]), f32([[[1.0], [2.0]]]))

# An empty list of dimensions: the reductions read it as "every dimension" (sum, mean, amax, amin,
# var, std, var_mean, vector_norm, nansum, nanmean, count_nonzero), all/any and flip as "none".
E23 = f32([[0.0, -1.5, 2.0], [3.0, 4.0, -5.0]])
case("sum_empty_dims", lambda a: torch.sum(a, dim=()), E23)
case("sum_empty_dims_keepdim", lambda a: torch.sum(a, dim=(), keepdim=True), E23)
case("sum_empty_dims_int", lambda a: torch.sum(a, dim=()), i64([[1, 2], [3, 4]]))
case("mean_empty_dims_keepdim", lambda a: torch.mean(a, dim=(), keepdim=True), E23)
case("amax_empty_dims", lambda a: torch.amax(a, dim=()), E23)
case("amin_empty_dims_keepdim", lambda a: torch.amin(a, dim=(), keepdim=True), E23)
case("var_empty_dims", lambda a: torch.var(a, dim=()), E23)
case("std_empty_dims_population", lambda a: torch.std(a, dim=(), correction=0), E23)
case("var_mean_empty_dims", lambda a: torch.stack(torch.var_mean(a, dim=(), keepdim=True)), E23)
case("norm_empty_dims", lambda a: torch.linalg.vector_norm(a, dim=()), E23)
case("norm1_empty_dims", lambda a: torch.linalg.vector_norm(a, ord=1, dim=()), E23)
case("nansum_empty_dims", lambda a: torch.nansum(a, dim=()), f32([[N, 1.0], [2.0, N]]))
case("nanmean_empty_dims", lambda a: torch.nanmean(a, dim=()), f32([[N, 1.0], [2.0, N]]))
case("all_empty_dims", lambda a: torch.all(a, dim=()), f32([[0.0, 1.0], [N, -2.0]]))
case("any_empty_dims_keepdim", lambda a: torch.any(a, dim=(), keepdim=True), f32([[0.0, 1.0], [N, -2.0]]))
case("flip_empty_dims", lambda a: torch.flip(a, ()), i64([[1, 2], [3, 4]]))
case("sum_empty_dims_scalar", lambda a: torch.sum(a, dim=()), f32(3.5))

def dtype_name(dt):
    return DTYPE_NAMES[dt]


# Special functions at their poles, edges and extremes, and on int64 tensors (float32 results).
SPECIAL_EDGES = f32([0.0, -0.0, -1.0, -2.0, 1.0, 2.0, 1e-30, 1e30, float("inf"), float("-inf"), float("nan"), -2.5])
case("lgamma_edges", torch.lgamma, SPECIAL_EDGES)
case("digamma_edges", torch.digamma, SPECIAL_EDGES)
case("polygamma1_edges", lambda a: torch.polygamma(1, a), SPECIAL_EDGES)
case("polygamma2_edges", lambda a: torch.polygamma(2, a), SPECIAL_EDGES)
case("erfinv_edges", torch.erfinv, f32([1.0, -1.0, 1.5, -1.0000001, float("nan"), 0.0, -0.0, 1e-30, 0.9999999, -0.7]))
case("sinc_edges", torch.sinc, f32([0.0, -0.0, float("inf"), float("nan"), 1e-30, 1.0, -2.0, 0.5, 1e20]))
case("copysign_zeros", torch.copysign, f32([1.0, -2.0, 0.0, float("inf"), float("nan")]), f32([-0.0, 0.0, -1.0, -3.0, -1.0]))
case("lgamma_int", torch.lgamma, i64([0, 1, 5, -3]))
case("digamma_int", torch.digamma, i64([0, 1, 5, -3]))
case("polygamma_int", lambda a: torch.polygamma(2, a), i64([1, 5, 0]))
case("erfinv_int", torch.erfinv, i64([0, 1, -1, 2]))
case("sinc_int", torch.sinc, i64([0, 1, 3]))
case("copysign_int", torch.copysign, i64([3, -4, 0]), i64([-1, 2, -5]))
case("polygamma_negative_order", lambda a: torch.polygamma(-1, a), f32([1.0]))

# Index lists, bitwise operations and gcd/lcm of int64 tensors, scatter_reduce's integer mean and NaN,
# and the refusals of the NumPy-style splits and of diag_embed.
case("tril_indices_offset", lambda: torch.tril_indices(3, 4, 1))
case("triu_indices_negative_offset", lambda: torch.triu_indices(4, 3, -1))
case("tril_indices_empty", lambda: torch.tril_indices(0, 3))
case("argwhere", torch.argwhere, f32([[0.0, 1.5], [-2.0, 0.0]]))
case("bitwise_and", torch.bitwise_and, i64([12, -1, 0, 7]), i64([10, 5, 3, -8]))
case("bitwise_or_broadcast", torch.bitwise_or, i64([[1], [2]]), i64([4, 8]))
case("bitwise_xor", torch.bitwise_xor, i64([12, -1, I64_MIN]), i64([10, 5, -1]))
case("bitwise_not", torch.bitwise_not, i64([0, -1, 5, I64_MIN]))
case("bitwise_left_shift", torch.bitwise_left_shift, i64([1, -3, 5, 1, 1, 3]), i64([3, 2, 0, 63, 64, -1]))
case("bitwise_right_shift", torch.bitwise_right_shift, i64([-16, 16, -1, 5, -5, 7]), i64([2, 3, 70, 64, 64, -2]))
case("bitwise_and_float", torch.bitwise_and, f32([1.0]), f32([1.0]))
case("gcd", torch.gcd, i64([12, -18, 0, 0, 7]), i64([18, 12, 5, 0, -21]))
case("lcm", torch.lcm, i64([4, -6, 0, 3]), i64([6, 4, 5, -7]))
case("scatter_reduce_int_mean", lambda s, i, src: s.scatter_reduce(0, i, src, "mean"), i64([10, -7, 3]), i64([0, 1, 1, 0]),
     i64([1, 2, -4, 4]))
case("scatter_reduce_int_prod_exclude", lambda s, i, src: s.scatter_reduce(0, i, src, "prod", include_self=False),
     i64([10, -7, 3]), i64([0, 1, 1, 0]), i64([1, 2, -4, 4]))
case("scatter_reduce_amax_nan", lambda s, i, src: s.scatter_reduce(0, i, src, "amax"), f32([1.0, float("nan"), 3.0]),
     i64([0, 0, 1]), f32([float("nan"), 2.0, 5.0]))
case("scatter_reduce_amin_exclude_untouched", lambda s, i, src: s.scatter_reduce(0, i, src, "amin", include_self=False),
     f32([1.0, 2.0, 3.0]), i64([2, 2]), f32([4.0, -1.0]))
case("scatter_reduce_index_smaller", lambda s, i, src: s.scatter_reduce(0, i, src, "amax"), f32([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
     i64([[2, 0], [2, 1]]), f32([[7.0, -1.0, 9.0], [0.5, 8.0, 9.0], [100.0, 100.0, 100.0], [100.0, 100.0, 100.0]]))
case("scatter_reduce_index_out_of_range", lambda s, i, src: s.scatter_reduce(0, i, src, "sum"), f32([1.0, 2.0]), i64([2]), f32([1.0]))
case("hsplit_uneven", lambda a: torch.hsplit(a, 3)[0], f32([[1.0, 2.0], [3.0, 4.0]]))
case("vsplit_vector", lambda a: torch.vsplit(a, 1)[0], f32([1.0, 2.0]))
case("tensor_split_negative_index", lambda a: torch.tensor_split(a, [-1])[1], f32([1.0, 2.0, 3.0]))
case("diag_embed_same_axes", lambda a: torch.diag_embed(a, 0, 1, 1), f32([1.0]))
case("atleast_3d_matrix", torch.atleast_3d, f32([[1.0, 2.0]]))
case("atleast_2d_scalar", torch.atleast_2d, f32(3.0))

# Decreasing split indices, polygamma of high orders and trigamma's series in float32, erfinv next to ±1
# in float64, gcd/lcm with INT64_MIN, and diag_embed of a scalar.
case("tensor_split_decreasing", lambda a: torch.cat(torch.tensor_split(a, [4, 1])), f32([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
case("tensor_split_beyond", lambda a: torch.cat(torch.tensor_split(a, [10, 2])), f32([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
case("polygamma35_float32", lambda a: torch.polygamma(35, a), f32([10.0, 40.0, 2.5]))
case("polygamma5_float32", lambda a: torch.polygamma(5, a), f32([0.7, 3.3, 12.0]))
case("trigamma_float32_series", lambda a: torch.polygamma(1, a), f32([0.6, 1.7, 5.3, 9.9, 33.0]))
case("erfinv_near_one_float64", torch.erfinv, torch.tensor([1 - 2 ** -53, -(1 - 1e-10), 0.999999, 0.75], dtype=torch.float64))
case("gcd_int64_min", torch.gcd, i64([I64_MIN, I64_MIN, I64_MIN]), i64([0, 6, I64_MIN]))
case("lcm_int64_min", torch.lcm, i64([I64_MIN, I64_MIN, 3]), i64([I64_MIN, 1, -1]))
case("diag_embed_scalar", torch.diag_embed, f32(3.0))

# unique_consecutive (NaN never equal) and histc (its own range, the data's range, values on edges).
case("unique_consecutive_values", lambda a: torch.unique_consecutive(a, return_inverse=True, return_counts=True)[0],
     f32([1.0, 1.0, float("nan"), float("nan"), 2.0, 2.0, 1.0]))
case("unique_consecutive_inverse", lambda a: torch.unique_consecutive(a, return_inverse=True, return_counts=True)[1],
     i64([[3, 3, 1], [1, 1, 3]]))
case("unique_consecutive_counts", lambda a: torch.unique_consecutive(a, return_inverse=True, return_counts=True)[2],
     f32([float("nan"), float("nan"), 0.5, 0.5, -0.0, 0.0]))
case("unique_consecutive_empty", lambda a: torch.unique_consecutive(a), f32([]))
case("histc_range", lambda a: torch.histc(a, bins=4, min=0, max=3), f32([1.0, 2.0, 1.0, 3.0, -0.5, 3.5, float("nan"), 0.0, 0.75, 2.25]))
case("histc_data_range", lambda a: torch.histc(a, bins=5), f32([0.1, 0.3, 0.7, 0.9, 0.1, 0.5]))
case("histc_one_value", lambda a: torch.histc(a, bins=3), torch.tensor([2.0, 2.0], dtype=torch.float64))
case("histc_edges_float32", lambda a: torch.histc(a, bins=10, min=-1, max=1), f32([-1.0, -0.8, -0.6, -0.2, 0.2, 0.6, 0.8, 1.0, 0.1, -0.1]))
case("histc_empty", lambda a: torch.histc(a, bins=3), f32([]))
case("histc_int", lambda a: torch.histc(a, bins=3), i64([1, 2, 3]))
case("histc_bad_range", lambda a: torch.histc(a, bins=3, min=2, max=1), f32([1.0]))
case("histc_nan_range", lambda a: torch.histc(a, bins=3), f32([1.0, float("nan")]))

# 3-D max pooling's indices (flat within each volume): ties across depth and within a slice go to the
# first in (d, h, w) order, NaN wins (the last one), padding with ceil mode, dilation, one unbatched
# sample; unpooling back; and the refusals of the 3-D convolutions and pools.
P3 = torch.tensor([[[[[1.0, 3.0, 2.0], [3.0, 0.0, 1.0], [2.0, 2.0, 2.0]],
                     [[3.0, 1.0, 2.0], [0.0, 3.0, N], [2.0, 2.0, 1.0]],
                     [[0.0, 0.0, 4.0], [4.0, 1.0, N], [1.0, 1.0, 1.0]],
                     [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]]])
case("max_pool3d_indices_ties_nan", lambda a: F.max_pool3d(a, 2, return_indices=True)[1], P3)
case("max_pool3d_values_ties_nan", lambda a: F.max_pool3d(a, 2, stride=1), P3)
case("max_pool3d_indices_padding_ceil", lambda a: F.max_pool3d(a, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)[1], P3)
case("max_pool3d_indices_dilation", lambda a: F.max_pool3d(a, 2, stride=1, dilation=(2, 1, 1), return_indices=True)[1], P3)
case("max_pool3d_indices_unbatched", lambda a: F.max_pool3d(a, (2, 1, 2), return_indices=True)[1], P3[0])
case("max_unpool3d_roundtrip", lambda a: F.max_unpool3d(*F.max_pool3d(a, 2, return_indices=True), 2, output_size=(4, 3, 3)),
     P3.nan_to_num(7.0))
case("max_unpool3d_invalid_index", lambda a, i: F.max_unpool3d(a, i, 2), f32([[[[[1.0, 2.0]]]]]), i64([[[[[1, 16]]]]]))
case("adaptive_max_pool3d_ties_nan", lambda a: F.adaptive_max_pool3d(a, (2, 2, 1)), P3)
case("max_pool3d_padding_refused", lambda a: F.max_pool3d(a, 2, padding=(0, 2, 0)), P3)
case("avg_pool3d_kernel_too_large", lambda a: F.avg_pool3d(a, (5, 1, 1)), P3.nan_to_num(0.0))
case("conv3d_group_mismatch", lambda a, w: F.conv3d(a, w, groups=2), torch.zeros(1, 3, 2, 2, 2), torch.zeros(2, 1, 1, 1, 1))
case("conv3d_kernel_too_large", lambda a, w: F.conv3d(a, w), torch.zeros(1, 1, 2, 4, 4), torch.zeros(1, 1, 3, 1, 1))
case("conv3d_empty_batch", lambda a, w: F.conv3d(a, w, padding=1), torch.zeros(0, 2, 3, 3, 3), torch.ones(1, 2, 3, 3, 3))
case("conv_transpose3d_output_padding_refused", lambda a, w: F.conv_transpose3d(a, w, stride=2, output_padding=(2, 0, 0)),
     torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 2, 2, 2))
case("conv_transpose3d_dilated_output_padding", lambda a, w: F.conv_transpose3d(a, w, stride=1, output_padding=(1, 0, 0), dilation=(2, 1, 1)),
     torch.arange(8.0).reshape(1, 1, 2, 2, 2), torch.ones(1, 1, 2, 1, 1))

# Max pooling of int64 tensors (PyTorch pools integers exactly; ties go to the first).
QI = i64([[[[1, 7, 7, -3], [7, 2, 0, 5], [-9, 7, 4, 4]]]])
case("max_pool2d_int", lambda a: F.max_pool2d(a, 2, stride=1, padding=1), QI)
case("max_pool2d_int_indices", lambda a: F.max_pool2d(a, (2, 3), stride=1, dilation=(1, 1), return_indices=True)[1], QI)
case("max_pool1d_int_ceil", lambda a: F.max_pool1d(a, 2, ceil_mode=True), QI[0])
case("max_pool3d_int", lambda a: F.max_pool3d(a, 2), i64([[[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]]))

# Mode (ties: the smallest of the most frequent values, at its last occurrence), set membership, the
# Heaviside step, logspace, block-diagonal matrices, aminmax, combinations, trapezoids, Vandermonde
# matrices and erfc at its edges.
T = f32([[3, 1, 3, 1, 2], [5, 5, 5, 2, 2]])
case("mode_ties_values", lambda a: torch.mode(a, 1).values, T)
case("mode_ties_indices", lambda a: torch.mode(a, 1).indices, T)
case("mode_int_axis0_keepdim", lambda a: torch.mode(a, 0, keepdim=True).indices, i64([[1, 2], [1, 3], [2, 3], [2, 2]]))
case("mode_scalar", lambda a: torch.mode(a, 0).values, f32(4.0))
case("mode_empty_axis", lambda a: torch.mode(a, 1).values, torch.zeros(2, 0))
case("isin_int", torch.isin, i64([[1, 2], [3, 4]]), i64([2, 4, 9]))
case("isin_float_nan", torch.isin, f32([1.0, float("nan"), 2.5, -0.0]), f32([float("nan"), 0.0, 2.5]))
case("isin_invert", lambda a, b: torch.isin(a, b, invert=True), i64([1, 2, 3]), i64([[2], [3]]))
case("heaviside", torch.heaviside, f32([-1.0, 0.0, 2.0, float("nan"), -0.0]), f32([0.5]))
case("heaviside_broadcast", torch.heaviside, f32([[0.0], [-3.0]]), f32([7.0, 8.0]))
case("logspace", lambda: torch.logspace(-1, 2, 7))
case("logspace_base2_float64", lambda: torch.logspace(0, 10, 11, base=2, dtype=torch.float64))
case("logspace_int64", lambda: torch.logspace(0, 2, 5, dtype=torch.int64))
case("logspace_one", lambda: torch.logspace(3, 5, 1))
case("logspace_int64_fractional_ends", lambda: torch.logspace(0.5, 2.5, 3, dtype=torch.int64))
case("trapezoid_x_fewer_dims", lambda a, x: torch.trapezoid(a, x, dim=1), torch.arange(24.0).reshape(2, 3, 4), f32([[0.0], [1.0], [3.0]]))
case("block_diag_promoted", lambda a, b: torch.block_diag(a, b), i64([[1, 2]]), f32([3.0]))
case("block_diag_none", lambda: torch.block_diag())
case("block_diag_three_dims", lambda a: torch.block_diag(a), torch.ones(1, 1, 1))
case("aminmax_nan_keepdim", lambda a: torch.aminmax(a, dim=0, keepdim=True).max, f32([[1.0, float("nan")], [3.0, 2.0]]))
case("aminmax_int", lambda a: torch.aminmax(a).min, i64([[4, -2], [7, 0]]))
case("combinations_too_many", lambda a: torch.combinations(a, 4), f32([1.0, 2.0, 3.0]))
case("combinations_int_replacement", lambda a: torch.combinations(a, 2, with_replacement=True), i64([5, 6, 7]))
case("trapezoid_int", lambda a: torch.trapezoid(a), i64([1, 2, 4]))
case("trapezoid_one_sample", lambda a: torch.trapezoid(a, dim=0), f32([[2.0, 3.0]]))
case("trapezoid_empty", lambda a: torch.trapezoid(a), torch.zeros(3, 0))
case("trapezoid_bad_x", lambda a, x: torch.trapezoid(a, x), f32([1.0, 2.0, 3.0]), f32([0.0, 1.0]))
case("vander_int", lambda a: torch.vander(a), i64([2, -3, 0]))
case("vander_no_columns", lambda a: torch.vander(a, N=0), f32([1.0, 2.0]))
case("vander_matrix", lambda a: torch.vander(a), torch.ones(2, 2))
case("erfc_edges", torch.erfc, torch.tensor([10.0, -10.0, 0.0, 30.0, float("inf"), -float("inf")], dtype=torch.float64))
case("erfc_int", torch.erfc, i64([0, 1, -2]))

enc = encode


out_cases = []
for name, fn, inputs in CASES:
    c = {"name": name, "inputs": [enc(t) for t in inputs]}
    try:
        y = fn(*inputs)
    except (RuntimeError, NotImplementedError, ZeroDivisionError, IndexError, ValueError) as e:
        c["error"] = True
        c["message"] = str(e).splitlines()[0][:200]
        out_cases.append(c)
        continue
    c["error"] = False
    c["output"] = enc(y)
    if y.dtype == torch.bool:
        # Gradus's 1/0 answer comes in the operands' promoted dtype.
        dt = inputs[0].dtype
        for t in inputs[1:]:
            dt = torch.result_type(torch.empty(1, dtype=dt), t)
        c["dtype"] = dtype_name(dt)
    else:
        c["dtype"] = dtype_name(y.dtype)
    out_cases.append(c)

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "semantics.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out_cases}, f, allow_nan=False)
print(f"wrote {len(out_cases)} cases to {os.path.normpath(path)}")
