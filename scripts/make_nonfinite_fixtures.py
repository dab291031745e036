#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/nonfinite.json: PyTorch's values and gradients where inputs hold NaN,
+inf and -inf, or where a finite input makes an infinite or undefined result (log of a negative
number, 0 * inf, inf - inf, 1 / 0). Tests/TensorTests/NonFiniteTests.swift maps each case name to a
Gradus call.

Random inputs never hold these values, and finite differences cannot check them; what is checked is
that Gradus follows PyTorch's conventions: NaN propagates through maximum, minimum, max, amax,
argmax, pooling, clamp and ReLU; sort and topk put NaN above every number; a softmax row whose
entries are all -inf is NaN; logsumexp of such a row is -inf; and gradients at these points are what
PyTorch's backward formulas give.

The schema is that of ops.json and edges.json, except that a non-finite number is written as the
string "nan", "inf" or "-inf" (JSON has no such numbers); the test decodes them with Foundation's
non-conforming float strategy. Integer outputs (argmax, sort's indices) are int64; comparisons'
boolean outputs are written as float32 0/1 by the case itself.

Float32 unless a case says otherwise. Run with a Python that has torch:

    /tmp/torchenv/bin/python scripts/make_nonfinite_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

from nonfinite_json import encode

gen = torch.Generator().manual_seed(2026)
NAN, INF = float("nan"), float("inf")


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


# The points every unary case sees: NaN, both infinities, zero, ordinary numbers of both signs, and
# magnitudes where float32 results overflow.
X = f32([NAN, INF, -INF, 0.0, 1.5, -2.0, 1e30, -1e30])
# Pairs for binary operations: NaN on either side and both, infinities against each other and
# against numbers, ties.
A = f32([NAN, 1.0, NAN, INF, -INF, INF, 2.0, -INF, 0.0])
B = f32([1.0, NAN, NAN, -INF, INF, INF, 2.0, 3.0, INF])

CASES = []


def case(name, fn, *inputs, const=(), upstream=None):
    """Adds a case: `fn` applied to `inputs`; inputs whose index is in `const` get no gradient;
    `upstream` replaces the random upstream gradient (to send an infinite one back)."""
    CASES.append((name, fn, inputs, set(const), upstream))


# Elementwise functions of one input.
case("relu", F.relu, X)
case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), X)
case("elu", F.elu, X)
case("sigmoid", torch.sigmoid, X)
case("tanh", torch.tanh, X)
case("softplus", F.softplus, X)
case("exp", torch.exp, X)
case("log", torch.log, X)
case("log1p", torch.log1p, X)
case("sqrt", torch.sqrt, X)
case("abs", torch.abs, X)
case("square", torch.square, X)
case("neg", torch.neg, X)
case("sin", torch.sin, X)
case("cos", torch.cos, X)
case("erf", torch.erf, X)
case("sign", torch.sign, X)
case("clamp", lambda x: x.clamp(-1.0, 1.0), X)
case("clamp_min", lambda x: x.clamp(min=0.5), X)
case("pow_scalar_2", lambda x: x.pow(2), X)
case("pow_scalar_half", lambda x: x.pow(0.5), X)
case("pow_scalar_minus_half", lambda x: x.pow(-0.5), X)
case("pow_scalar_minus_2", lambda x: x.pow(-2), X)
case("pow_scalar_3", lambda x: x.pow(3), X)
# GELU and SiLU at ±inf are left out: PyTorch's vectorized kernels give NaN there (gelu(inf),
# silu(-inf)) where the functions' limits are inf and 0; Gradus gives the limits.
X_SMOOTH = f32([NAN, 0.0, 1.5, -2.0, 30.0, -30.0, 1e30, -1e30])
case("gelu", F.gelu, X_SMOOTH)
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), X_SMOOTH)
case("silu", F.silu, X_SMOOTH)
case("relu_f64", F.relu, X.double())
case("mul_scalar", lambda x: x * 3.0, X)
case("add_scalar_inf", lambda x: x + INF, X)
case("floor", torch.floor, X)
case("ceil", torch.ceil, X)
case("round", torch.round, X)
case("trunc", torch.trunc, X)
case("frac", torch.frac, X)
case("reciprocal", torch.reciprocal, X)
case("rsqrt", torch.rsqrt, X)
case("nan_to_num", torch.nan_to_num, X)
case("nan_to_num_values", lambda x: torch.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0), X)
case("hardtanh", F.hardtanh, X)
case("relu6", F.relu6, X)
case("hardsigmoid", F.hardsigmoid, X)
case("hardswish", F.hardswish, X)
case("mish", F.mish, X)
case("selu", F.selu, X)
case("celu", lambda x: F.celu(x, alpha=0.5), X)
case("logsigmoid", F.logsigmoid, X)
case("softsign", F.softsign, X)
case("isnan", lambda x: torch.isnan(x).float(), X, const=[0])
case("isinf", lambda x: torch.isinf(x).float(), X, const=[0])
case("isfinite", lambda x: torch.isfinite(x).float(), X, const=[0])

# Elementwise functions of two inputs.
case("maximum", torch.maximum, A, B)
case("minimum", torch.minimum, A, B)
case("add", torch.add, A, B)
case("sub", torch.sub, A, B)
case("mul", torch.mul, A, B)
case("div", torch.div, A, B)
case("div_by_zero", torch.div, f32([1.0, -1.0, 0.0, NAN, INF]), f32([0.0, 0.0, 0.0, 0.0, 0.0]))
case("remainder", torch.remainder, A, B)
case("fmod", torch.fmod, A, B)
case("floor_divide", lambda a, b: torch.floor_divide(a, b), A, B, const=[0, 1])
case("remainder_by_zero", torch.remainder, f32([1.0, -1.0, 0.0, 5.5]), f32([0.0, 0.0, 0.0, -0.0]))
case("floor_divide_by_zero", lambda a, b: torch.floor_divide(a, b), f32([1.0, -1.0, 0.0, 5.5]), f32([0.0, 0.0, 0.0, -0.0]),
     const=[0, 1])
case("pow_tensor", torch.pow, f32([INF, 0.0, 2.0, -INF, 1.0, NAN, 4.0]), f32([2.0, -1.0, INF, 3.0, NAN, 0.0, -INF]))
case("clamp_tensor_bounds", lambda x, lo, hi: torch.clamp(x, min=lo, max=hi),
     f32([NAN, 1.0, -INF, INF, 0.5]), f32([0.0, NAN, 0.0, 0.0, -INF]), f32([1.0, 2.0, 1.0, 1.0, INF]))
case("lt", lambda a, b: (a < b).float(), A, B, const=[0, 1])
case("eq", lambda a, b: (a == b).float(), A, B, const=[0, 1])
case("ne", lambda a, b: (a != b).float(), A, B, const=[0, 1])
case("ge", lambda a, b: (a >= b).float(), A, B, const=[0, 1])

# Reductions along the last axis of rows that hold NaN, infinities of both signs, or only -inf.
R = f32([[1.0, NAN, 3.0, 2.0],
         [1.0, INF, 3.0, 2.0],
         [-INF, -INF, -INF, -INF],
         [INF, -INF, 0.0, 1.0],
         [0.5, -1.0, 3.0, 3.0],
         [NAN, INF, -INF, NAN]])
case("sum_rows", lambda x: x.sum(1), R)
case("mean_rows", lambda x: x.mean(1), R)
case("amax_rows", lambda x: x.amax(1), R)
case("amin_rows", lambda x: x.amin(1), R)
case("max_rows_values", lambda x: x.max(1).values, R)
case("max_rows_indices", lambda x: x.max(1).indices, R, const=[0])
case("min_rows_indices", lambda x: x.min(1).indices, R, const=[0])
case("argmax_rows", lambda x: x.argmax(1), R, const=[0])
case("argmin_rows", lambda x: x.argmin(1), R, const=[0])
case("max_all", lambda x: x.max(), f32([1.0, NAN, 3.0]))
case("logsumexp_rows", lambda x: x.logsumexp(1), R)
case("softmax_rows", lambda x: x.softmax(1), R)
case("log_softmax_rows", lambda x: x.log_softmax(1), R)
case("softmax_rows_f64", lambda x: x.softmax(1), R.double())
case("log_softmax_rows_f64", lambda x: x.log_softmax(1), R.double())
case("softmax_masked", lambda x: x.softmax(1), f32([[0.0, -INF, -INF], [1.0, 2.0, -INF], [-INF, -INF, 5.0]]))
case("cumsum_rows", lambda x: x.cumsum(1), R)
case("var_rows", lambda x: x.var(1), R)
case("norm_rows", lambda x: x.norm(dim=1), f32([[3.0, INF], [NAN, 1.0], [1e30, 1e30], [0.0, 0.0]]))

# Sorting: NaN counts as larger than every number, in either direction.
S = f32([[3.0, NAN, -INF, 1.0, INF, NAN, 0.0], [2.0, 1.0, NAN, -1.0, -INF, 5.0, INF]])
case("sort_values", lambda x: x.sort(1).values, S)
case("sort_indices", lambda x: x.sort(dim=1, stable=True).indices, S, const=[0])
case("sort_descending_values", lambda x: x.sort(1, descending=True).values, S)
case("sort_descending_indices", lambda x: x.sort(dim=1, descending=True, stable=True).indices, S, const=[0])
case("topk_values", lambda x: x.topk(3, 1).values, S)
case("topk_smallest_values", lambda x: x.topk(3, 1, largest=False).values, S)

# Layers and losses over non-finite inputs.
P = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
P[0, 0, 0, 1] = NAN
P[0, 0, 2, 2] = INF
P[0, 0, 3, 0] = -INF
case("max_pool2d", lambda x: F.max_pool2d(x, 2), P)
case("avg_pool2d", lambda x: F.avg_pool2d(x, 2), P)
case("layer_norm", lambda x: F.layer_norm(x, (4,)), f32([[1.0, INF, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [NAN, 0.0, 1.0, 2.0]]))
# The weight's gradient is not compared: Gradus's stride-1 products run over "wide" rows whose extra
# columns (dropped from the output) carry a zero output gradient, and 0 · inf makes a weight gradient
# NaN where PyTorch's is ±inf. Both are non-finite; the input's gradient and the output match.
case("conv2d", lambda x, w: F.conv2d(x, w, padding=1), P,
     torch.randn(2, 1, 3, 3, generator=gen, dtype=torch.float64).float(), const=[1])
case("matmul", lambda a, b: a @ b, f32([[INF, 0.0], [1.0, 2.0], [NAN, 1.0]]), f32([[0.0, 1.0], [1.0, 1.0]]))
case("cross_entropy_masked_logits", lambda x, t: F.cross_entropy(x, t),
     f32([[0.0, -INF, 1.0], [-INF, 2.0, -INF]]), torch.tensor([0, 1]), const=[1])
case("cross_entropy_inf_target_logit", lambda x, t: F.cross_entropy(x, t, reduction="none"),
     f32([[-INF, 0.0, 1.0], [INF, 0.0, 0.0]]), torch.tensor([0, 1]), const=[1])
case("mse_inf", lambda x, t: F.mse_loss(x, t, reduction="none"), f32([INF, 1.0, NAN, 2.0]), f32([1.0, INF, 0.0, 2.0]),
     const=[1])
case("l1_inf", lambda x, t: F.l1_loss(x, t, reduction="none"), f32([INF, 1.0, NAN, -INF]), f32([1.0, INF, 0.0, 0.0]),
     const=[1])
case("bce_with_logits_inf", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
     f32([INF, -INF, INF, -INF, NAN]), f32([1.0, 0.0, 0.0, 1.0, 1.0]), const=[1])

# Infinite upstream gradients: the losing side of maximum/minimum and the other elements of max() get an
# exact 0 (PyTorch fills with zeros rather than multiplying by a 0/1 mask, which would give NaN).
case("maximum_infinite_upstream", torch.maximum, f32([1.0, 3.0, 2.0]), f32([2.0, 1.0, 2.0]),
     upstream=f32([INF, -INF, INF]))
case("minimum_infinite_upstream", torch.minimum, f32([1.0, 3.0, 2.0]), f32([2.0, 1.0, 2.0]),
     upstream=f32([INF, -INF, INF]))
case("max_all_infinite_upstream", lambda x: x.max(), f32([1.0, 3.0, 2.0]), upstream=torch.tensor(INF))
case("hardtanh_infinite_upstream", F.hardtanh, f32([5.0, -5.0, 0.5]), upstream=f32([INF, -INF, 1.0]))
case("hardswish_infinite_upstream", F.hardswish, f32([-5.0, 5.0, 1.0]), upstream=f32([INF, INF, 1.0]))
case("hardsigmoid_infinite_upstream", F.hardsigmoid, f32([-5.0, 5.0, 1.0]), upstream=f32([INF, INF, 1.0]))
# PReLU's slope gradient Σ x·g over x ≤ 0: an exact 0 from x = +inf.
case("prelu", lambda x, w: F.prelu(x, w), f32([INF, -1.0, NAN, -INF, 2.0]), f32([0.25]))
# The standard deviation of equal elements is 0 and its gradient 0, not g / 0.
case("std_constant_rows", lambda x: x.std(1), f32([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]))
case("std_all_constant", lambda x: x.std(), f32([5.0, 5.0]))
# An ignored row holding -inf adds nothing (0 · inf would be NaN); xlogy of a negative target is NaN.
case("nll_ignored_inf_row", lambda x, t: F.nll_loss(x, t), f32([[-INF, 0.0], [0.0, -1.0], [NAN, 2.0]]),
     torch.tensor([-100, 1, -100]), const=[1])
case("kl_div_negative_target", lambda x, t: F.kl_div(x, t, reduction="none"), f32([0.1, 0.2, 0.3]), f32([-0.5, 0.0, 0.4]),
     const=[1])
# The maximum norm with a NaN element: NaN, and the gradient goes to the NaN.
case("norm_inf_nan", lambda x: x.norm(p=float("inf")), f32([NAN, 1.0, -3.0]))
# Domain edges of the trigonometric, hyperbolic and logarithmic functions.
EDGE = f32([-1.0, 1.0, -1.5, 1.5, 0.0, INF, -INF, NAN])
case("asin_edges", torch.asin, EDGE)
case("acos_edges", torch.acos, EDGE)
case("atan_edges", torch.atan, EDGE)
case("atanh_edges", torch.atanh, EDGE)
case("acosh_edges", torch.acosh, f32([1.0, 0.5, 2.0, INF, NAN]))
case("tan_edges", torch.tan, f32([INF, -INF, NAN, 0.0, 1.5707964]))
case("sinh_edges", torch.sinh, f32([INF, -INF, NAN, 100.0, 0.0]))
case("cosh_edges", torch.cosh, f32([INF, -INF, NAN, 100.0, 0.0]))
case("log2_edges", torch.log2, f32([0.0, -1.0, INF, NAN, 1.0]))
case("log10_edges", torch.log10, f32([0.0, -1.0, INF, NAN, 1.0]))
case("exp2_edges", torch.exp2, f32([INF, -INF, NAN, 200.0, -200.0]))
case("expm1_edges", torch.expm1, f32([INF, -INF, NAN, 100.0, -100.0, 0.0]))
case("logit_edges", torch.logit, f32([0.0, 1.0, -0.5, 1.5, NAN, 0.5]))
case("logit_eps_edges", lambda x: torch.logit(x, eps=0.1), f32([0.0, 1.0, -0.5, 1.5, NAN, 0.05, 0.5]))
case("atan2_edges", torch.atan2, f32([0.0, 0.0, -0.0, 1.0, INF, -INF, NAN, 1.0]), f32([0.0, -0.0, -1.0, INF, INF, -INF, 1.0, 0.0]))
case("xlogy_edges", torch.xlogy, f32([0.0, 0.0, 0.0, 1.0, 2.0, NAN, 0.0, -1.0]), f32([0.0, NAN, INF, 0.0, -1.0, 1.0, 3.0, INF]))

# Max pooling's winner in a window: the first largest element, or the last NaN (PyTorch's kernels);
# adaptive windows overlap here (3 → 2), so an element can win two cells.
W = f32([[[[1.0, NAN, 0.0, NAN], [2.0, 2.0, 1.0, 5.0], [2.0, 0.0, 2.0, 5.0]]]])
case("adaptive_max_pool2d_winners", lambda x: F.adaptive_max_pool2d(x, (2, 3)), W)
case("max_pool2d_winners", lambda x: F.max_pool2d(x, (2, 2), stride=1), W)
case("adaptive_max_pool1d_winners", lambda x: F.adaptive_max_pool1d(x, 2), W[0])

# NaN-ignoring maximum/minimum and sums: the other side where one is NaN, ties split, NaN rows of nanmean.
FA = f32([1.0, NAN, NAN, 2.0, 3.0, -INF, INF, 0.0])
FB = f32([2.0, 3.0, NAN, 2.0, 1.0, NAN, 5.0, -0.0])
case("fmax_edges", torch.fmax, FA, FB)
case("fmin_edges", torch.fmin, FA, FB)
N2 = f32([[1.0, NAN, 3.0], [NAN, NAN, NAN], [INF, 2.0, NAN]])
case("nansum_all", torch.nansum, N2)
case("nansum_axis1", lambda x: torch.nansum(x, dim=1), f32([[1.0, NAN], [NAN, 4.0], [INF, 2.0]]))
case("nanmean_axis0", lambda x: torch.nanmean(x, dim=0), f32([[1.0, NAN, 3.0], [5.0, NAN, NAN]]))

# Order statistics: a NaN median's gradient shared among the NaN elements, ties sharing it, NaN-ignoring
# medians and quantiles, infinities selected.
case("median_all_nan_shared", lambda x: x.median(), f32([1.0, NAN, 3.0, NAN]))
case("median_all_ties_shared", lambda x: x.median(), f32([2.0, 1.0, 2.0, 3.0, 2.0]))
case("nanmedian_all_ties", lambda x: x.nanmedian(), f32([NAN, 1.0, 1.0, 5.0]))
case("median_rows_first_nan", lambda x: x.median(dim=1).values, f32([[3.0, NAN, 1.0, 2.0], [4.0, 1.0, 2.0, 3.0]]))
case("nanmedian_rows", lambda x: x.nanmedian(dim=1).values, f32([[3.0, NAN, 1.0, 2.0], [NAN, 1.0, NAN, 3.0]]))
case("kthvalue_infinities", lambda x: x.kthvalue(2, dim=1).values, f32([[INF, -INF, 0.0], [NAN, 1.0, -INF]]))
case("quantile_rows_nan", lambda x: torch.quantile(x, 0.4, dim=1), f32([[0.5, 3.0, -1.0, 2.0], [1.0, NAN, 4.0, 0.0]]))
case("nanquantile_rows", lambda x: torch.nanquantile(x, torch.tensor([0.25, 0.9]), dim=1),
     f32([[0.5, 3.0, -1.0, 2.0], [1.0, NAN, 4.0, 0.0]]))
case("quantile_infinite_ends", lambda x: torch.quantile(x, 0.5), f32([-INF, 1.0, 2.0, INF]))

# Log-space sums and hypot at their edges: equal infinities (value kept, PyTorch's gradient NaN),
# opposite infinities, NaN, hypot at the origin (gradient NaN) and of infinities; running maxima with NaN.
case("logaddexp_edges", torch.logaddexp, f32([INF, -INF, INF, NAN, -1000.0, 0.0]), f32([INF, -INF, -INF, 1.0, -1000.0, -INF]))
case("logaddexp2_edges", torch.logaddexp2, f32([INF, -INF, 3.0, NAN]), f32([INF, -INF, -INF, 2.0]))
case("logcumsumexp_infinities", lambda x: torch.logcumsumexp(x, 1), f32([[-INF, -INF, 0.0, 1.0], [INF, 2.0, INF, NAN]]))
case("hypot_edges", torch.hypot, f32([0.0, INF, NAN, 3e-30, -0.0]), f32([0.0, NAN, 2.0, 4e-30, 5.0]))
case("cummax_nan", lambda x: torch.cummax(x, 1).values, f32([[1.0, NAN, 3.0, NAN, 0.0], [2.0, 1.0, INF, -INF, 5.0]]))
case("cummin_nan", lambda x: torch.cummin(x, 0).values, f32([[1.0, 2.0], [NAN, -INF], [0.0, -INF]]))
# Not differentiable where they are (so not in ops.json, whose cases are also checked by finite
# differences): ties of running extremes (the later element takes the gradient) and hypot of legs
# near 1e30 and 1e-30, whose squares overflow and underflow float32.
T = f32([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [-1.0, 2.0, 0.0], [1.0, -2.0, 0.0]])
case("cummax_axis0_ties", lambda x: torch.cummax(x, 0).values, T)
case("cummin_axis0_ties", lambda x: torch.cummin(x, 0).values, T)
case("hypot_huge_and_tiny", torch.hypot, f32([3e30, -1e30, 3e-30, 1e-38]), f32([4e30, 1e30, -4e-30, 1e-38]))

# Shrinking and thresholding at the band's ends (inside: value and gradient 0), NaN and infinities.
SH = f32([-0.5, 0.5, -0.50001, 0.50001, NAN, INF, -INF, 0.0])
case("hardshrink_corners", lambda x: F.hardshrink(x, 0.5), SH)
case("softshrink_corners", lambda x: F.softshrink(x, 0.5), SH)
case("threshold_corners", lambda x: F.threshold(x, 0.5, -7.0), SH)

enc = encode


out_cases = []
for name, fn, inputs, const, fixed_upstream in CASES:
    ins = [t.clone().requires_grad_(t.is_floating_point() and i not in const) for i, t in enumerate(inputs)]
    y = fn(*ins)
    up = torch.randn(y.shape, generator=gen, dtype=torch.float64).float()
    if fixed_upstream is not None:
        up = fixed_upstream
    differentiable = y.requires_grad
    if differentiable:
        (y * up).sum().backward()
    grads = []
    for t in ins:
        if not (t.requires_grad and differentiable):
            grads.append(None)
        else:
            grads.append(enc(t.grad if t.grad is not None else torch.zeros_like(t)))
    out_cases.append({"name": name, "inputs": [enc(t) for t in inputs], "output": enc(y),
                      "upstream": enc(up), "grads": grads})

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "nonfinite.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out_cases}, f, allow_nan=False)
print(f"wrote {len(out_cases)} cases to {os.path.normpath(path)}")
