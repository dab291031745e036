#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/ops.json: PyTorch's values and gradients for every differentiable tensor op.

Each case names an op (the same name is mapped to the Gradus call in Tests/TensorTests/OpTable.swift),
its inputs, the output, a fixed upstream gradient, and the gradient of sum(output * upstream) with
respect to each floating-point input. Run with a Python that has torch:

    /tmp/torchenv/bin/python scripts/make_tensor_fixtures.py
"""
import json, os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
g = torch.Generator().manual_seed(1234)
# Inputs are drawn from `inputs_gen`; upstream gradients always from `g`, after all inputs. Later groups
# of cases switch `inputs_gen` to a generator of their own (see below), so that adding cases leaves the
# inputs and upstream gradients of the earlier ones as they were.
inputs_gen = g

def rn(*shape):
    return torch.randn(*shape, generator=inputs_gen, dtype=torch.float64).float()

def pos(*shape):
    return (torch.rand(*shape, generator=inputs_gen, dtype=torch.float64) * 2 + 0.2).float()

def idx(high, *shape):
    return torch.randint(0, high, shape, generator=inputs_gen)

def distinct(*shape):
    """Values spread over [-2, 2) with gaps of at least 4/n, in random order: no ties for sorting and
    selection ops, even after a finite-difference step."""
    n = 1
    for d in shape:
        n *= d
    perm = torch.randperm(n, generator=inputs_gen).double()
    return (perm * (4.0 / n) - 2.0 + 1.0 / (3 * n)).reshape(shape).float()

def with_zeros(t, *positions):
    """`t` with exact zeros at the given index tuples."""
    t = t.clone()
    for p in positions:
        t[p] = 0.0
    return t

CASES = []
def case(name, fn, *inputs):
    CASES.append((name, fn, inputs))

# Unary
x = lambda: rn(3, 4)
case("neg", lambda a: -a, x())
case("abs", lambda a: a.abs(), x())
case("exp", lambda a: a.exp(), x())
case("log", lambda a: a.log(), pos(3, 4))
case("log1p", lambda a: a.log1p(), pos(3, 4))
case("sqrt", lambda a: a.sqrt(), pos(3, 4))
case("square", lambda a: a.square(), x())
case("pow2", lambda a: a.pow(2), x())
case("pow3", lambda a: a.pow(3), x())
case("pow_half", lambda a: a.pow(0.5), pos(3, 4))
case("pow_m1", lambda a: a.pow(-1), pos(3, 4))
case("pow_1_7", lambda a: a.pow(1.7), pos(3, 4))
case("sin", lambda a: a.sin(), x())
case("cos", lambda a: a.cos(), x())
case("erf", lambda a: torch.erf(a), x())
case("tanh", lambda a: a.tanh(), x())
case("sigmoid", lambda a: a.sigmoid(), rn(3, 4) * 4)
case("relu", lambda a: a.relu(), x())
case("leaky_relu", lambda a: F.leaky_relu(a, 0.1), x())
case("elu", lambda a: F.elu(a, 1.5), x())
case("gelu", lambda a: F.gelu(a), x())
case("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), x())
case("softplus", lambda a: F.softplus(a), x())
case("softplus_beta", lambda a: F.softplus(a, beta=2, threshold=3), rn(3, 4) * 3)
case("silu", lambda a: F.silu(a), x())
case("clamp", lambda a: a.clamp(-0.5, 0.7), x())
case("clamp_min", lambda a: a.clamp(min=0.1), x())

# Binary with broadcasting, and scalars
case("add", lambda a, b: a + b, rn(3, 4), rn(4))
case("sub", lambda a, b: a - b, rn(2, 1, 3), rn(4, 3))
case("mul", lambda a, b: a * b, rn(3, 4), rn(3, 1))
case("div", lambda a, b: a / b, rn(3, 4), pos(4))
case("pow_tensor", lambda a, b: a.pow(b), pos(3, 4), rn(3, 4))
case("minimum", lambda a, b: torch.minimum(a, b), rn(3, 4), rn(4))
case("maximum", lambda a, b: torch.maximum(a, b), rn(3, 4), rn(3, 1))
case("where", lambda c, a, b: torch.where(c > 0, a, b), rn(3, 4), rn(3, 4), rn(4))
case("add_scalar", lambda a: a + 2.5, x())
case("rsub_scalar", lambda a: 2.5 - a, x())
case("mul_scalar", lambda a: a * -1.5, x())
case("div_scalar", lambda a: a / 3.0, x())
case("rdiv_scalar", lambda a: 3.0 / a, pos(3, 4))

# Reductions
case("sum_all", lambda a: a.sum(), rn(3, 4))
case("sum_axis1", lambda a: a.sum(1), rn(3, 4))
case("sum_axes02_keep", lambda a: a.sum((0, 2), keepdim=True), rn(2, 3, 4))
case("mean_all", lambda a: a.mean(), rn(3, 4))
case("mean_axis0", lambda a: a.mean(0), rn(3, 4))
case("max_axis1", lambda a: a.max(1).values, rn(3, 4))
case("min_axis0_keep", lambda a: a.min(0, keepdim=True).values, rn(3, 4))
case("amax_all", lambda a: a.max(), rn(3, 4))
case("amin_axis1", lambda a: a.amin(1), rn(3, 4))
case("var_axis1", lambda a: a.var(1), rn(3, 4))
case("var_biased", lambda a: a.var(unbiased=False), rn(3, 4))
case("std_axis0", lambda a: a.std(0), rn(3, 4))
case("logsumexp_axis1", lambda a: a.logsumexp(1), rn(3, 4) * 3)
case("norm_all", lambda a: a.norm(), rn(3, 4))
case("norm_axis1", lambda a: a.norm(dim=1), rn(3, 4))
case("norm_p3", lambda a: a.norm(p=3), rn(3, 4))

# Shape and indexing
case("reshape", lambda a: a.reshape(4, -1) * torch.arange(1., 4.), rn(2, 6))
case("flatten", lambda a: a.flatten(1), rn(2, 3, 4))
case("unsqueeze_squeeze", lambda a: a.unsqueeze(1).squeeze(), rn(3, 4))
case("permute", lambda a: a.permute(2, 0, 1), rn(2, 3, 4))
case("transpose", lambda a: a.transpose(0, 1), rn(3, 4))
case("expand", lambda a: a.expand(2, 3, 4), rn(3, 1))
case("concatenate", lambda a, b: torch.cat([a, b], 1), rn(2, 3), rn(2, 2))
case("stack", lambda a, b: torch.stack([a, b], 1), rn(2, 3), rn(2, 3))
case("split", lambda a: a.split([1, 3], 1)[1], rn(2, 4))
case("chunk", lambda a: a.chunk(2, 0)[1], rn(5, 2))
case("slice_step", lambda a: a[:, 1:6:2], rn(3, 7))
case("select", lambda a: a[:, 2], rn(3, 4))
case("gather", lambda a, i: a.gather(1, i), rn(3, 4), idx(4, 3, 5))
case("index_select", lambda a, i: a.index_select(0, i), rn(4, 3), torch.tensor([2, 0, 2, 3]))
case("scatter_add", lambda a, i, s: a.scatter_add(1, i, s), rn(3, 4), idx(4, 3, 2), rn(3, 2))
case("pad", lambda a: F.pad(a, (1, 2, 0, 1)), rn(2, 3))
case("pad_crop", lambda a: F.pad(a, (-1, 1)), rn(2, 3))

# Matrix products, softmax
case("matmul_2d", lambda a, b: a @ b, rn(3, 4), rn(4, 5))
case("matmul_dot", lambda a, b: a @ b, rn(4), rn(4))
case("matmul_vec_mat", lambda a, b: a @ b, rn(4), rn(4, 3))
case("matmul_mat_vec", lambda a, b: a @ b, rn(3, 4), rn(4))
case("matmul_batch_2d", lambda a, b: a @ b, rn(2, 3, 4), rn(4, 5))
case("matmul_broadcast", lambda a, b: a @ b, rn(2, 1, 3, 4), rn(3, 4, 2))
case("matmul_2d_batch", lambda a, b: a @ b, rn(3, 4), rn(2, 4, 2))
case("linear", lambda x, w, b: F.linear(x, w, b), rn(5, 4), rn(3, 4), rn(3))
case("linear_3d", lambda x, w, b: F.linear(x, w, b), rn(2, 5, 4), rn(3, 4), rn(3))
case("linear_no_bias", lambda x, w: F.linear(x, w), rn(5, 4), rn(3, 4))
case("softmax_axis1", lambda a: a.softmax(1), rn(3, 4) * 2)
case("softmax_3d_axis1", lambda a: a.softmax(1), rn(2, 3, 4))
case("log_softmax_axis0", lambda a: a.log_softmax(0), rn(3, 4) * 2)

# Sorting, cumulative ops, products, triangles, einsum. Inputs from their own generator (see the top).
inputs_gen = torch.Generator().manual_seed(2024)
case("topk_largest", lambda a: a.topk(2, dim=1).values, distinct(3, 5))
case("topk_smallest", lambda a: a.topk(3, dim=0, largest=False).values, distinct(4, 3))
case("sort_axis1", lambda a: a.sort(dim=1).values, distinct(3, 5))
case("sort_descending", lambda a: a.sort(dim=0, descending=True).values, distinct(4, 3))
case("cumsum_axis1", lambda a: a.cumsum(1), rn(3, 4))
case("cumsum_axis0_3d", lambda a: a.cumsum(0), rn(2, 3, 4))
case("cumprod_axis1", lambda a: a.cumprod(1), rn(3, 4))
# One zero per row, first in row 0 and inside row 1: the gradient of the zero is the product of the
# other factors, and every element after the zero gets 0.
case("cumprod_zero", lambda a: a.cumprod(1), with_zeros(rn(2, 4), (0, 0), (1, 2)))
# Two zeros per row: nothing reaches the elements after the first zero, and the first zero's gradient
# only sums the outputs up to the second.
case("cumprod_two_zeros", lambda a: a.cumprod(1), with_zeros(rn(2, 5), (0, 1), (0, 3), (1, 0), (1, 4)))
case("prod_all", lambda a: a.prod(), rn(3, 4))
case("prod_all_one_zero", lambda a: a.prod(), with_zeros(rn(2, 3), (1, 1)))
case("prod_axis1", lambda a: a.prod(1), rn(3, 4))
# Row 0 has exactly one zero (its gradient is the product of the others; the others get 0).
case("prod_one_zero", lambda a: a.prod(1), with_zeros(rn(2, 4), (0, 2)))
# Row 0 has two zeros (every gradient of the row is 0); row 1 has none.
case("prod_two_zeros", lambda a: a.prod(1), with_zeros(rn(2, 4), (0, 0), (0, 3)))
case("triu", lambda a: a.triu(), rn(4, 5))
case("triu_k1", lambda a: a.triu(diagonal=1), rn(4, 5))
case("tril_km1", lambda a: a.tril(diagonal=-1), rn(4, 5))
case("tril_batched", lambda a: a.tril(), rn(2, 3, 3))
case("einsum_ij_jk", lambda a, b: torch.einsum("ij,jk->ik", a, b), rn(3, 4), rn(4, 2))
case("einsum_bij_bjk", lambda a, b: torch.einsum("bij,bjk->bik", a, b), rn(2, 3, 4), rn(2, 4, 5))
case("einsum_ij_ij_to_i", lambda a, b: torch.einsum("ij,ij->i", a, b), rn(3, 4), rn(3, 4))
case("einsum_i_j_outer", lambda a, b: torch.einsum("i,j->ij", a, b), rn(3), rn(4))
# Clamp with tensor bounds (broadcast), values kept away from the bounds so the Float64 check applies;
# the ties are in make_edge_fixtures.py.
case("clamp_tensor", lambda x, lo, hi: torch.clamp(x, min=lo, max=hi),
     torch.tensor([[-2.0, -0.3, 0.4, 2.0], [0.1, -1.7, 1.3, -0.05], [0.8, 0.25, -0.6, 1.9]]),
     torch.tensor([-1.0, -0.5, 0.0, 0.5]), torch.tensor([[1.0], [0.6], [0.7]]))

# Strided views feeding ops: transposed operands of products (BLAS flags), views of views, a reshape that
# must copy, an expanded view, slices with steps into a kernel. Inputs from their own generator.
inputs_gen = torch.Generator().manual_seed(77)
case("view_t_matmul", lambda a, b: a.t() @ b, rn(4, 3), rn(4, 2))
case("view_matmul_t", lambda a, b: a @ b.t(), rn(3, 4), rn(5, 4))
case("view_t_matmul_t", lambda a, b: a.t() @ b.t(), rn(4, 3), rn(2, 4))
case("view_bmm_transposed", lambda a, b: a.transpose(1, 2) @ b, rn(2, 4, 3), rn(2, 4, 5))
case("view_linear_transposed_weight", lambda x, w, b: F.linear(x, w.t(), b), rn(5, 4), rn(4, 3), rn(3))
case("view_permute_slice_mul", lambda a, b: a.permute(2, 0, 1)[:, :, ::2] * b, rn(2, 3, 4), rn(4, 2, 2))
case("view_select_expand_mul", lambda a, b: a.select(1, 1).unsqueeze(0).expand(3, 2, 4) * b, rn(2, 3, 4), rn(3, 2, 4))
case("view_transpose_reshape_tanh", lambda a: a.t().reshape(-1).tanh(), rn(3, 4))
case("view_column_slice_softmax", lambda a: a[:, 1:6:2].softmax(-1), rn(3, 7))
case("view_transpose_sum_axis0", lambda a: a.transpose(0, 1).sum(0), rn(3, 4))

# Rounding, remainders, reciprocals and reordering (the eighteenth session's ops). Their own generator,
# so that the inputs of the cases above stay as they were. Inputs of the rounding and remainder cases stay
# away from the jumps (finite differences there would see a step).
inputs_gen = torch.Generator().manual_seed(1918)
def away_from_integers(*shape):
    return (torch.randint(-4, 4, shape, generator=inputs_gen).double()
            + 0.1 + 0.8 * torch.rand(*shape, generator=inputs_gen, dtype=torch.float64)).float()
case("floor", lambda a: a.floor(), away_from_integers(3, 4))
case("ceil", lambda a: a.ceil(), away_from_integers(3, 4))
case("trunc", lambda a: a.trunc(), away_from_integers(3, 4))
case("round", lambda a: a.round(), away_from_integers(3, 4) + 0.05)
case("round_decimals", lambda a: a.round(decimals=1), away_from_integers(3, 4) / 10 + 0.003)
case("frac", lambda a: a.frac(), away_from_integers(3, 4))
# Divisors of both signs, dividends whose quotients are not near integers.
case("remainder", lambda a, b: torch.remainder(a, b), away_from_integers(3, 4) * 2.0,
     torch.tensor([1.5, -1.5, 2.5, -0.7]).float().expand(3, 4).contiguous())
case("remainder_broadcast", lambda a, b: torch.remainder(a, b), away_from_integers(3, 4) * 2.0,
     torch.tensor([[1.5], [-2.5], [0.7]]).float())
case("fmod", lambda a, b: torch.fmod(a, b), away_from_integers(3, 4) * 2.0,
     torch.tensor([1.5, -1.5, 2.5, -0.7]).float().expand(3, 4).contiguous())
case("remainder_scalar", lambda a: a % 1.5, away_from_integers(3, 4))
case("reciprocal", lambda a: a.reciprocal(), pos(3, 4))
case("rsqrt", lambda a: a.rsqrt(), pos(3, 4))
case("nan_to_num", lambda a: torch.nan_to_num(a), rn(3, 4))
case("flip", lambda a: a.flip(0, 2), rn(2, 3, 4))
case("roll", lambda a: a.roll((1, -5), (1, 2)), rn(2, 3, 4))
case("roll_flat", lambda a: a.roll(3), rn(3, 4))
case("repeat", lambda a: a.repeat(2, 1, 3), rn(3, 4))
case("repeat_zero", lambda a: a.repeat(1, 0), rn(3, 4))

# More activations (hardtanh to PReLU). Inputs away from the corners at ±3, 0, 6 and the bounds.
inputs_gen = torch.Generator().manual_seed(2612)
def spread(*shape):
    return away_from_integers(*shape) * 1.7
case("hardtanh", lambda a: F.hardtanh(a, -1.5, 2.0), spread(3, 4))
case("relu6", lambda a: F.relu6(a * 2), spread(3, 4))
case("hardsigmoid", lambda a: F.hardsigmoid(a), spread(3, 4))
case("hardswish", lambda a: F.hardswish(a), spread(3, 4))
case("mish", lambda a: F.mish(a), spread(3, 4))
case("selu", lambda a: F.selu(a), spread(3, 4))
case("celu", lambda a: F.celu(a, alpha=0.5), spread(3, 4))
case("logsigmoid", lambda a: F.logsigmoid(a), spread(3, 4))
case("softsign", lambda a: F.softsign(a), spread(3, 4))
case("prelu_channels", lambda a, w: F.prelu(a, w), spread(2, 3, 4), pos(3) * 0.3)
case("prelu_shared", lambda a, w: F.prelu(a, w), spread(2, 3), pos(1) * 0.3)

# Vector norms of every order (torch.linalg.vector_norm's): ±inf, 0, fractional, negative. Distinct
# magnitudes away from zero, so that the extremum is unique and finite differences apply.
inputs_gen = torch.Generator().manual_seed(3141)
def magnitudes(*shape):
    return distinct(*shape).abs().add(0.3) * torch.where(rn(*shape) > 0, 1.0, -1.0)
case("norm_inf", lambda a: a.norm(p=float("inf")), magnitudes(3, 4))
case("norm_neg_inf_rows", lambda a: torch.linalg.vector_norm(a, ord=float("-inf"), dim=1), magnitudes(3, 4))
case("norm_zero", lambda a: a.norm(p=0), magnitudes(3, 4))
case("norm_half_rows", lambda a: torch.linalg.vector_norm(a, ord=0.5, dim=1, keepdim=True), magnitudes(3, 4))
case("norm_p1_5", lambda a: a.norm(p=1.5), magnitudes(3, 4))
case("norm_neg1_cols", lambda a: torch.linalg.vector_norm(a, ord=-1, dim=0), magnitudes(3, 4))

# Trigonometric, hyperbolic and logarithmic functions, and pointwise combinations, inside their domains.
inputs_gen = torch.Generator().manual_seed(5050)
def unit(*shape):
    return (torch.rand(*shape, generator=inputs_gen, dtype=torch.float64) * 1.6 - 0.8).float()
def prob(*shape):
    return (torch.rand(*shape, generator=inputs_gen, dtype=torch.float64) * 0.8 + 0.1).float()
case("tan", lambda a: a.tan(), unit(3, 4))
case("asin", lambda a: a.asin(), unit(3, 4))
case("acos", lambda a: a.acos(), unit(3, 4))
case("atan", lambda a: a.atan(), rn(3, 4))
case("atan2", lambda a, b: torch.atan2(a, b), rn(3, 4), rn(3, 4))
case("atan2_broadcast", lambda a, b: torch.atan2(a, b), rn(3, 1), rn(4))
case("sinh", lambda a: a.sinh(), rn(3, 4))
case("cosh", lambda a: a.cosh(), rn(3, 4))
case("asinh", lambda a: a.asinh(), rn(3, 4))
case("acosh", lambda a: a.acosh(), pos(3, 4) + 1)
case("atanh", lambda a: a.atanh(), unit(3, 4))
case("log2", lambda a: a.log2(), pos(3, 4))
case("log10", lambda a: a.log10(), pos(3, 4))
case("exp2", lambda a: a.exp2(), rn(3, 4))
case("expm1", lambda a: a.expm1(), rn(3, 4))
case("logit", lambda a: a.logit(), prob(3, 4))
case("logit_eps", lambda a: a.logit(eps=0.05), prob(3, 4))
case("xlogy", lambda a, b: torch.xlogy(a, b), rn(3, 4), pos(3, 4))
case("xlogy_broadcast", lambda a, b: torch.xlogy(a, b), rn(3, 1), pos(4))
case("lerp_tensor_weight", lambda a, b, w: torch.lerp(a, b, w), rn(3, 4), rn(3, 4), prob(4))
case("lerp_scalar_weight", lambda a, b: torch.lerp(a, b, 0.3), rn(3, 4), rn(1, 4))
case("addcmul", lambda a, b, c: torch.addcmul(a, b, c, value=0.5), rn(3, 4), rn(3, 4), rn(4))
case("addcdiv", lambda a, b, c: torch.addcdiv(a, b, c, value=-2.0), rn(3, 4), rn(3, 1), pos(3, 4))

# Normalization, similarities, distances and the losses built on them.
inputs_gen = torch.Generator().manual_seed(6060)
signs = lambda *v: torch.tensor(v, dtype=torch.int64)
case("normalize", lambda a: F.normalize(a), rn(3, 4))
case("normalize_p1_last", lambda a: F.normalize(a, p=1, dim=-1), rn(2, 3, 4))
case("cosine_similarity", lambda a, b: F.cosine_similarity(a, b), rn(3, 4), rn(3, 4))
case("cosine_similarity_broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1), rn(3, 4), rn(1, 4))
case("pairwise_distance", lambda a, b: F.pairwise_distance(a, b), rn(3, 4), rn(3, 4))
case("pairwise_distance_p1_keepdim", lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True), rn(3, 4), rn(3, 4))
case("cdist", lambda a, b: torch.cdist(a, b), rn(3, 4), rn(5, 4))
case("cdist_p1", lambda a, b: torch.cdist(a, b, p=1), rn(3, 4), rn(2, 4))
case("cdist_batched", lambda a, b: torch.cdist(a, b), rn(2, 3, 4), rn(2, 2, 4))
case("cosine_embedding_loss", lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1), rn(3, 4), rn(3, 4), signs(1, -1, -1))
case("triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=0.5), rn(3, 4), rn(3, 4), rn(3, 4))
case("triplet_margin_swap", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, swap=True, reduction="sum"),
     rn(3, 4), rn(3, 4), rn(3, 4))

# Padding by reflection, replication and wrapping (F.pad's modes), crops included.
inputs_gen = torch.Generator().manual_seed(7070)
case("pad_reflect_1d", lambda a: F.pad(a, (2, 1), mode="reflect"), rn(2, 3, 4))
case("pad_reflect_2d", lambda a: F.pad(a, (1, 2, 2, 0), mode="reflect"), rn(1, 2, 3, 4))
case("pad_reflect_crop", lambda a: F.pad(a, (-1, 2), mode="reflect"), rn(3, 4))
case("pad_replicate_1d", lambda a: F.pad(a, (3, 5), mode="replicate"), rn(2, 3, 2))
case("pad_replicate_2d", lambda a: F.pad(a, (2, 2, 1, 3), mode="replicate"), rn(2, 3, 4))
case("pad_circular_1d", lambda a: F.pad(a, (3, 4), mode="circular"), rn(2, 3, 4))
case("pad_circular_2d", lambda a: F.pad(a, (1, 1, 2, 1), mode="circular"), rn(1, 1, 3, 4))
case("pad_reflect_3d", lambda a: F.pad(a, (1, 1, 1, 0, 0, 1), mode="reflect"), rn(1, 2, 2, 3, 3))

# Resizing (F.interpolate): nearest and linear modes, sizes and factors, aligned corners, shrinking.
inputs_gen = torch.Generator().manual_seed(8080)
case("interp_nearest_x2", lambda a: F.interpolate(a, scale_factor=2), rn(1, 2, 3, 4))
case("interp_nearest_size", lambda a: F.interpolate(a, size=(7, 3)), rn(1, 2, 5, 4))
case("interp_nearest_factor_1_5", lambda a: F.interpolate(a, scale_factor=1.5), rn(1, 1, 5, 5))
case("interp_nearest_exact", lambda a: F.interpolate(a, size=(7, 3), mode="nearest-exact"), rn(1, 2, 5, 4))
case("interp_linear_x2", lambda a: F.interpolate(a, scale_factor=2, mode="linear"), rn(2, 3, 4))
case("interp_linear_align", lambda a: F.interpolate(a, size=7, mode="linear", align_corners=True), rn(2, 3, 4))
case("interp_bilinear_size", lambda a: F.interpolate(a, size=(5, 4), mode="bilinear"), rn(1, 2, 3, 5))
case("interp_bilinear_align", lambda a: F.interpolate(a, size=(5, 7), mode="bilinear", align_corners=True), rn(1, 2, 3, 4))
case("interp_bilinear_shrink", lambda a: F.interpolate(a, size=(4, 3), mode="bilinear"), rn(1, 2, 6, 7))
case("interp_bilinear_factor", lambda a: F.interpolate(a, scale_factor=(1.5, 0.5), mode="bilinear"), rn(1, 1, 4, 6))
case("interp_trilinear", lambda a: F.interpolate(a, size=(3, 4, 2), mode="trilinear"), rn(1, 1, 2, 3, 4))
case("upsample_layer", lambda a: torch.nn.Upsample(scale_factor=3, mode="bilinear", align_corners=True)(a), rn(1, 1, 2, 3))

# Scatter, diagonals, batched/outer/cross products, repeat_interleave, unbind, narrow, movedim.
inputs_gen = torch.Generator().manual_seed(9090)
I = lambda *v: torch.tensor(v, dtype=torch.int64)
case("scatter_rows", lambda a, i, s: a.scatter(1, i, s), rn(3, 4), I(3, 0, 1, 2, 2, 0).reshape(3, 2), rn(3, 2))
case("scatter_axis0", lambda a, i, s: a.scatter(0, i, s), rn(3, 4), I(2, 0, 1, 1).reshape(1, 4), rn(1, 4))
case("scatter_value", lambda a, i: a.scatter(1, i, -2.5), rn(3, 4), I(1, 3, 0).reshape(3, 1))
case("diagonal", lambda a: a.diagonal(), rn(3, 4))
case("diagonal_offset", lambda a: torch.diagonal(a, offset=1, dim1=-2, dim2=-1), rn(2, 3, 4))
case("diagonal_below", lambda a: a.diagonal(offset=-1), rn(4, 3))
case("diag_vector", lambda a: torch.diag(a), rn(3))
case("diag_vector_offset", lambda a: torch.diag(a, -2), rn(3))
case("diag_matrix", lambda a: torch.diag(a, 1), rn(3, 4))
case("trace", lambda a: a.trace(), rn(3, 4))
case("bmm", lambda a, b: torch.bmm(a, b), rn(2, 3, 4), rn(2, 4, 5))
case("outer", lambda a, b: torch.outer(a, b), rn(3), rn(4))
case("cross", lambda a, b: torch.linalg.cross(a, b), rn(4, 3), rn(4, 3))
case("cross_axis0_broadcast", lambda a, b: torch.linalg.cross(a, b, dim=0), rn(3, 2), rn(3, 1))
case("repeat_interleave", lambda a: a.repeat_interleave(2, dim=1), rn(2, 3))
case("repeat_interleave_flat", lambda a: a.repeat_interleave(3), rn(2, 2))
case("repeat_interleave_counts", lambda a: a.repeat_interleave(torch.tensor([2, 0, 1]), dim=0), rn(3, 2))
case("unbind", lambda a: a.unbind(1)[2], rn(3, 4))
case("narrow", lambda a: a.narrow(1, 1, 2), rn(3, 4))
case("movedim", lambda a: a.movedim(1, -1), rn(2, 3, 4))

# Instance normalization, 1-D pooling and adaptive max pooling.
inputs_gen = torch.Generator().manual_seed(10101)
case("instance_norm_2d", lambda a, w, b: F.instance_norm(a, weight=w, bias=b), rn(2, 3, 4, 4), pos(3), rn(3))
case("instance_norm_1d", lambda a: F.instance_norm(a), rn(2, 3, 5))
case("max_pool1d", lambda a: F.max_pool1d(a, 2), distinct(2, 3, 7))
case("max_pool1d_ceil", lambda a: F.max_pool1d(a, 3, stride=2, padding=1, ceil_mode=True), distinct(1, 2, 8))
case("avg_pool1d", lambda a: F.avg_pool1d(a, 3, stride=1, padding=1, count_include_pad=False), rn(2, 3, 5))
case("adaptive_avg_pool1d", lambda a: F.adaptive_avg_pool1d(a, 3), rn(2, 3, 7))
case("adaptive_max_pool2d", lambda a: F.adaptive_max_pool2d(a, (2, 3)), distinct(1, 2, 5, 7))

# The 1-D pooling arguments of the layers (dilation, ceil mode) and 1-D adaptive max pooling.
case("max_pool1d_dilation", lambda a: F.max_pool1d(a, 2, stride=1, dilation=3), distinct(2, 2, 9))
case("avg_pool1d_ceil", lambda a: F.avg_pool1d(a, 3, stride=2, padding=1, ceil_mode=True), rn(2, 2, 8))
case("adaptive_max_pool1d", lambda a: F.adaptive_max_pool1d(a, 3), distinct(2, 2, 7))

# einsum beyond two operands: chains, ellipses (broadcast), diagonals and size-1 broadcasting. Their own
# generator, so that the inputs of the cases above stay as they were.
inputs_gen = torch.Generator().manual_seed(4321)
case("einsum_chain3", lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), rn(2, 3), rn(3, 4), rn(4, 2))
case("einsum_bilinear", lambda x, w, y: torch.einsum("bn,anm,bm->ba", x, w, y), rn(3, 2), rn(4, 2, 5), rn(3, 5))
case("einsum_ellipsis_broadcast", lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), rn(2, 1, 2, 3), rn(3, 3, 2))
case("einsum_batch_diagonal", lambda a: torch.einsum("bii->bi", a), rn(2, 3, 3))
case("einsum_trace_implicit", lambda a: torch.einsum("ii", a), rn(3, 3))
case("einsum_size1_broadcast", lambda a, b: torch.einsum("ij,jk->ik", a, b), rn(2, 1), rn(3, 4))

# Variance and standard deviation with PyTorch 2's `correction`. Their own generator.
inputs_gen = torch.Generator().manual_seed(5150)
case("var_correction0_axis1", lambda a: torch.var(a, dim=1, correction=0), rn(3, 5))
case("var_correction2_all", lambda a: torch.var(a, correction=2), rn(3, 4))
case("std_correction0_axis0_keepdim", lambda a: torch.std(a, dim=0, correction=0, keepdim=True), rn(4, 3))
case("std_correction_half", lambda a: torch.std(a, dim=1, correction=0.5), rn(2, 6))
# Order statistics: medians, k-th values and quantiles (every interpolation), on values without ties so
# that the gradient's destination is defined. Their own generator.
inputs_gen = torch.Generator().manual_seed(6174)
case("median_axis1", lambda a: a.median(dim=1).values, distinct(3, 5))
case("median_axis0_even_keepdim", lambda a: a.median(dim=0, keepdim=True).values, distinct(4, 3))
case("median_all", lambda a: a.median(), distinct(3, 4))
case("nanmedian_axis0", lambda a: a.nanmedian(dim=0).values, distinct(5, 2))
case("kthvalue_axis1", lambda a: a.kthvalue(2, dim=1).values, distinct(3, 5))
case("kthvalue_axis0_keepdim", lambda a: a.kthvalue(4, dim=0, keepdim=True).values, distinct(4, 3))
case("quantile_linear_axis1", lambda a: torch.quantile(a, 0.3, dim=1), distinct(3, 6))
case("quantile_vector_all", lambda a: torch.quantile(a, torch.tensor([0.1, 0.5, 0.95])), distinct(3, 4))
case("quantile_midpoint_axis0_keepdim", lambda a: torch.quantile(a, 0.4, dim=0, keepdim=True, interpolation="midpoint"), distinct(5, 3))
case("quantile_nearest_axis1", lambda a: torch.quantile(a, torch.tensor([0.2, 0.7]), dim=1, interpolation="nearest"), distinct(2, 7))
case("quantile_lower_axis0", lambda a: torch.quantile(a, 0.55, dim=0, interpolation="lower"), distinct(6, 2))
case("quantile_higher_axis0", lambda a: torch.quantile(a, 0.55, dim=0, interpolation="higher"), distinct(6, 2))
case("nanquantile_axis1", lambda a: torch.nanquantile(a, 0.8, dim=1), distinct(3, 4))


# Unpooling with the indices of max pooling (an int64 input, passed through), and the pooled values of
# the pooling that returns indices. Their own generator.
inputs_gen = torch.Generator().manual_seed(2718)
_pool_source = distinct(1, 2, 4, 6)
case("max_unpool2d", lambda a, i: F.max_unpool2d(a, i, 2), rn(1, 2, 2, 3), F.max_pool2d(_pool_source, 2, return_indices=True)[1])
case("max_unpool2d_output_size", lambda a, i: F.max_unpool2d(a, i, 2, output_size=(5, 7)), rn(1, 2, 2, 3),
     F.max_pool2d(distinct(1, 2, 5, 7), 2, return_indices=True)[1])
case("max_pool2d_with_indices_values", lambda a: F.max_pool2d(a, 3, stride=2, padding=1, return_indices=True)[0], distinct(2, 2, 5, 6))

# Log-space sums, hypot, running extremes, differences, grids, tiling and rotation, moments, products
# added to a tensor, contractions, Kronecker products and picking along an axis. Their own generator.
inputs_gen = torch.Generator().manual_seed(1202)
case("hypot", torch.hypot, rn(3, 4), rn(3, 4))
case("hypot_broadcast", torch.hypot, rn(2, 3), rn(3))
case("logaddexp", torch.logaddexp, rn(3, 4) * 3, rn(3, 4) * 3)
case("logaddexp_broadcast_far", torch.logaddexp, rn(2, 1) * 500, rn(3) * 500)
case("logaddexp2", torch.logaddexp2, rn(3, 4) * 3, rn(3, 4) * 3)
case("logcumsumexp_axis1", lambda a: torch.logcumsumexp(a, 1), rn(3, 5) * 3)
case("logcumsumexp_axis0_large", lambda a: torch.logcumsumexp(a, 0), rn(6, 2) * 60)
case("cummax_axis1", lambda a: torch.cummax(a, 1).values, distinct(3, 5))
case("diff", lambda a: torch.diff(a), rn(3, 5))
case("diff_n2_axis0_prepend_append", lambda a, p, q: torch.diff(a, n=2, dim=0, prepend=p, append=q), rn(4, 3), rn(1, 3), rn(2, 3))
case("meshgrid_ij", lambda a, b, c: torch.stack(torch.meshgrid(a, b, c, indexing="ij")), rn(2), rn(3), rn(4))
case("meshgrid_xy", lambda a, b: torch.stack(torch.meshgrid(a, b, indexing="xy")), rn(2), rn(3))
case("tile_fewer_reps", lambda a: torch.tile(a, (2,)), rn(2, 3))
case("tile_more_reps", lambda a: torch.tile(a, (2, 1, 2)), rn(2, 3))
case("rot90", lambda a: torch.rot90(a, 1, [1, 2]), rn(2, 3, 4))
case("rot90_minus1", lambda a: torch.rot90(a, -1), rn(3, 4))
case("rot90_twice", lambda a: torch.rot90(a, 2, [0, 2]), rn(2, 3, 4))
case("var_mean_axis1", lambda a: torch.stack(torch.var_mean(a, dim=1)), rn(3, 5))
case("std_mean_axis0_correction0_keepdim", lambda a: torch.cat(torch.std_mean(a, dim=0, correction=0, keepdim=True)), rn(4, 3))
case("addmm", lambda b, m, n: torch.addmm(b, m, n, beta=0.5, alpha=2.0), rn(4), rn(3, 5), rn(5, 4))
case("addmm_beta0", lambda b, m, n: torch.addmm(b, m, n, beta=0.0), rn(3, 4), rn(3, 5), rn(5, 4))
case("addmv", lambda b, m, v: torch.addmv(b, m, v, beta=2.0, alpha=-1.0), rn(3), rn(3, 4), rn(4))
case("baddbmm", lambda b, m, n: torch.baddbmm(b, m, n, alpha=0.25), rn(1, 3, 2), rn(2, 3, 4), rn(2, 4, 2))
case("tensordot_dims2", lambda a, b: torch.tensordot(a, b, dims=2), rn(2, 3, 4), rn(3, 4, 5))
case("tensordot_axes", lambda a, b: torch.tensordot(a, b, dims=([1, 2], [1, 0])), rn(2, 3, 4), rn(4, 3, 5))
case("tensordot_dims0", lambda a, b: torch.tensordot(a, b, dims=0), rn(2), rn(3))
case("kron", torch.kron, rn(2, 3), rn(2, 2))
case("kron_ranks", torch.kron, rn(2), rn(2, 3))
case("take_along_dim_argsort", lambda a, i: torch.take_along_dim(a, i, dim=1), rn(3, 4), torch.argsort(rn(3, 4), dim=1))
case("take_along_dim_broadcast", lambda a, i: torch.take_along_dim(a, i, dim=1), rn(1, 4), idx(4, 3, 2))
case("take_along_dim_flat", lambda a, i: torch.take_along_dim(a, i), rn(3, 4), idx(12, 5))

# Shrinking, thresholding, gated and reversed-softmax activations, and the bilinear form. Their own
# generator.
inputs_gen = torch.Generator().manual_seed(1203)
case("hardshrink", lambda a: F.hardshrink(a), rn(3, 4))
case("softshrink_lambda", lambda a: F.softshrink(a, 0.3), rn(3, 4))
case("tanhshrink", F.tanhshrink, rn(3, 4))
case("threshold", lambda a: F.threshold(a, 0.1, 20.0), rn(3, 4))
case("glu_axis1", lambda a: F.glu(a, 1), rn(3, 6))
case("glu_last", lambda a: F.glu(a), rn(2, 3, 4))
case("softmin_axis0", lambda a: F.softmin(a, 0), rn(3, 4))
case("bilinear", F.bilinear, rn(3, 4), rn(3, 5), rn(2, 4, 5), rn(2))
case("bilinear_nobias_batched", lambda a, b, w: F.bilinear(a, b, w), rn(2, 3, 4), rn(2, 3, 2), rn(3, 4, 2))
# Sliding windows (Tensor.unfold), overlapping and of a transposed view.
case("unfold_windows", lambda a: a.unfold(1, 3, 2), rn(3, 7))
case("unfold_overlapping_first_axis", lambda a: a.unfold(0, 2, 1), rn(5, 2))
case("unfold_view_of_transpose", lambda a: a.t().unfold(-1, 2, 3), rn(8, 3))

# Special functions (lgamma, digamma, polygamma, erfinv, sinc, copysign). Their own generator; values
# on both sides of the recurrences' and series' switch points (0.5, 10), negative non-integers, erfinv
# on both sides of its central range (|y| = 0.7) and an exact 0 for sinc.
inputs_gen = torch.Generator().manual_seed(1205)
GAMMA_POINTS = torch.tensor([[0.3, 1.0, 2.5, 4.2], [7.9, 9.99, 10.5, 23.0], [-0.5, -1.7, -2.3, 0.45]])
case("lgamma", torch.lgamma, GAMMA_POINTS.clone())
case("digamma", torch.digamma, GAMMA_POINTS.clone())
case("polygamma1", lambda a: torch.polygamma(1, a), GAMMA_POINTS.clone())
case("polygamma2", lambda a: torch.polygamma(2, a), torch.tensor([[0.3, 1.0, 2.5], [7.9, 12.0, -0.5]]))
case("polygamma3", lambda a: torch.polygamma(3, a), pos(2, 3))
case("erfinv", torch.erfinv, torch.tensor([[0.0, 0.3, -0.65, 0.69], [0.71, -0.8, 0.95, -0.99]]))
case("sinc", torch.sinc, with_zeros(rn(3, 4), (1, 2)))
case("copysign_broadcast", torch.copysign, with_zeros(rn(3, 4), (0, 1)), torch.tensor([-0.7, 1.2, -2.0, 0.4]))

# Scatter with reductions (distinct values where a maximum or minimum must be unique for finite
# differences; a zero among the factors of a product), NumPy-style stacking and splitting (parts scaled
# apart so that each one's gradient is its own), diag_embed and cartesian_prod. Their own generator.
inputs_gen = torch.Generator().manual_seed(1207)
SR_INDEX = torch.tensor([[0, 2, 0, 1], [1, 1, 2, 0]])
case("scatter_reduce_sum", lambda s, src, i: s.scatter_reduce(1, i, src, "sum"), rn(2, 3), rn(2, 4), SR_INDEX)
case("scatter_reduce_mean", lambda s, src, i: s.scatter_reduce(1, i, src, "mean"), rn(2, 3), rn(2, 4), SR_INDEX)
case("scatter_reduce_mean_exclude", lambda s, src, i: s.scatter_reduce(1, i, src, "mean", include_self=False),
     rn(2, 3), rn(2, 4), torch.tensor([[0, 2, 0, 0], [1, 1, 1, 0]]))
case("scatter_reduce_prod", lambda s, src, i: s.scatter_reduce(1, i, src, "prod"), rn(2, 3),
     with_zeros(rn(2, 4), (0, 1)), SR_INDEX)
case("scatter_reduce_prod_exclude", lambda s, src, i: s.scatter_reduce(1, i, src, "prod", include_self=False),
     with_zeros(rn(2, 3), (1, 1)), rn(2, 4), SR_INDEX)
case("scatter_reduce_amax", lambda s, src, i: s.scatter_reduce(1, i, src, "amax"), distinct(2, 3), distinct(2, 4), SR_INDEX)
case("scatter_reduce_amin_exclude", lambda s, src, i: s.scatter_reduce(1, i, src, "amin", include_self=False),
     distinct(2, 3), distinct(2, 4), SR_INDEX)
# (An index smaller than the source is in semantics.json: PyTorch 2.15's backward fails on it.)
case("hstack_vectors", lambda a, b: torch.hstack([a, b]), rn(3), rn(2))
case("hstack_matrices", lambda a, b: torch.hstack([a, b]), rn(2, 3), rn(2, 1))
case("vstack_vector_matrix", lambda a, b: torch.vstack([a, b]), rn(3), rn(2, 3))
case("dstack_matrices", lambda a, b: torch.dstack([a, b]), rn(2, 3), rn(2, 3))
case("column_stack", lambda a, b: torch.column_stack([a, b]), rn(3), rn(3, 2))
case("tensor_split_sections", lambda a: torch.cat([p * (k + 1) for k, p in enumerate(torch.tensor_split(a, 3, dim=1))], 1), rn(2, 7))
case("tensor_split_indices", lambda a: torch.cat([p * (k + 1) for k, p in enumerate(torch.tensor_split(a, [1, 1, 4, 9], dim=0))], 0), rn(5, 2))
case("hsplit_matrix", lambda a: torch.cat([p * (k + 1) for k, p in enumerate(torch.hsplit(a, 2))], 1), rn(3, 4))
case("diag_embed", torch.diag_embed, rn(2, 3))
case("diag_embed_offset_axes", lambda a: torch.diag_embed(a, offset=-1, dim1=0, dim2=2), rn(2, 3))
case("diag_embed_reversed_axes", lambda a: torch.diag_embed(a, offset=2, dim1=-1, dim2=0), rn(3))
case("cartesian_prod", lambda a, b, c: torch.cartesian_prod(a, b, c), rn(2), rn(3), rn(2))

# 3-D convolutions and pools of volumes [N, C, D, H, W] (composed in Gradus of the 2-D ones): strides,
# paddings, dilations, groups, `same`, transposed output padding (also at least the stride, which a
# larger dilation allows), ceil mode, padding excluded from averages, adaptive bins that overlap. Their
# own generator.
inputs_gen = torch.Generator().manual_seed(31415)
case("conv3d", lambda a, w, b: F.conv3d(a, w, b, stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1)),
     rn(2, 3, 5, 6, 4), rn(4, 3, 3, 2, 2), rn(4))
case("conv3d_groups", lambda a, w: F.conv3d(a, w, stride=(1, 2, 1), padding=(0, 1, 1), dilation=(2, 1, 1), groups=2),
     rn(1, 4, 6, 5, 5), rn(6, 2, 2, 3, 2))
case("conv3d_same", lambda a, w, b: F.conv3d(a, w, b, padding="same", dilation=(1, 1, 2)), rn(2, 2, 4, 5, 4), rn(3, 2, 2, 3, 2), rn(3))
case("conv3d_unbatched", lambda a, w: F.conv3d(a, w, padding=1), rn(2, 3, 3, 4), rn(2, 2, 3, 3, 3))
case("conv_transpose3d", lambda a, w, b: F.conv_transpose3d(a, w, b, stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 1)),
     rn(2, 3, 3, 4, 3), rn(3, 2, 3, 2, 3), rn(2))
case("conv_transpose3d_groups_dilation", lambda a, w: F.conv_transpose3d(a, w, stride=(1, 2, 1), padding=(2, 1, 0), output_padding=(1, 1, 0),
                                                                          groups=2, dilation=(3, 1, 2)),
     rn(1, 4, 3, 3, 4), rn(4, 3, 2, 3, 2))
case("max_pool3d", lambda a: F.max_pool3d(a, (2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0)), distinct(2, 2, 5, 6, 4))
case("max_pool3d_dilation_ceil", lambda a: F.max_pool3d(a, 2, stride=2, dilation=(2, 1, 1), ceil_mode=True), distinct(1, 2, 6, 5, 5))
case("max_pool3d_unbatched", lambda a: F.max_pool3d(a, 2), distinct(2, 4, 4, 5))
case("avg_pool3d", lambda a: F.avg_pool3d(a, (3, 2, 2), stride=(2, 1, 2), padding=(1, 1, 0)), rn(2, 2, 5, 4, 4))
case("avg_pool3d_exclude_pad_ceil", lambda a: F.avg_pool3d(a, 3, stride=2, padding=1, count_include_pad=False, ceil_mode=True), rn(1, 2, 6, 5, 4))
case("adaptive_avg_pool3d", lambda a: F.adaptive_avg_pool3d(a, (2, 3, 2)), rn(2, 2, 5, 7, 3))
case("adaptive_max_pool3d", lambda a: F.adaptive_max_pool3d(a, (3, 2, 2)), distinct(2, 2, 5, 5, 3))
case("max_unpool3d", lambda a, i: F.max_unpool3d(a, i, 2, output_size=(5, 4, 5)), rn(1, 2, 2, 2, 2),
     F.max_pool3d(distinct(1, 2, 5, 4, 5), 2, return_indices=True)[1])
case("max_pool3d_with_indices_values", lambda a: F.max_pool3d(a, 3, stride=2, padding=1, return_indices=True)[0], distinct(1, 2, 5, 4, 6))

# Covariance, correlation and padded sequences (torch.cov, torch.corrcoef, nn.utils.rnn.pad_sequence):
# Bessel's correction and none, one variable, both padding sides. Their own generator.
inputs_gen = torch.Generator().manual_seed(2718)
case("cov", lambda a: torch.cov(a), rn(3, 6))
case("cov_correction0_one_variable", lambda a: torch.cov(a, correction=0), rn(7))
case("cov_correction2", lambda a: torch.cov(a, correction=2), rn(2, 5))
case("corrcoef", lambda a: torch.corrcoef(a), rn(3, 8))
case("pad_sequence_batch_first", lambda a, b, c: torch.nn.utils.rnn.pad_sequence([a, b, c], batch_first=True, padding_value=-1.5),
     rn(3, 2), rn(1, 2), rn(4, 2))
case("pad_sequence_left_time_major", lambda a, b: torch.nn.utils.rnn.pad_sequence([a, b], padding_side="left"), rn(2, 3, 2), rn(5, 3, 2))

# Complementary error function, block-diagonal matrices, mode and aminmax, trapezoidal integration,
# Vandermonde matrices, combinations and the evaluation form of the randomized leaky ReLU. Their own
# generator.
inputs_gen = torch.Generator().manual_seed(31415)
case("erfc", lambda a: torch.erfc(a), rn(3, 4) * 2)
case("block_diag", lambda a, b, c, d: torch.block_diag(a, b, c, d), rn(2, 3), rn(1).reshape(()), rn(3), rn(2, 2))
case("mode_distinct", lambda a: torch.mode(a, 1).values, distinct(3, 5))
case("aminmax_min", lambda a: torch.aminmax(a, dim=1).min, distinct(3, 4))
case("aminmax_max_all", lambda a: torch.aminmax(a).max, distinct(3, 4))
case("trapezoid_dx", lambda a: torch.trapezoid(a, dx=0.5, dim=1), rn(3, 5))
case("trapezoid_x", lambda a, x: torch.trapezoid(a, x), rn(2, 5), rn(5))
case("trapezoid_x_broadcast", lambda a, x: torch.trapezoid(a, x, dim=0), rn(4, 3), rn(4, 1))
case("cumulative_trapezoid", lambda a: torch.cumulative_trapezoid(a, dx=2, dim=0), rn(4, 3))
case("cumulative_trapezoid_x", lambda a, x: torch.cumulative_trapezoid(a, x), rn(2, 4), rn(4))
# torch.vander has no working backward (an in-place cumprod inside); the same columns as scalar powers do.
def vander(a, n, increasing=False):
    powers = range(n) if increasing else range(n - 1, -1, -1)
    y = torch.stack([a ** k for k in powers], dim=1)
    assert torch.allclose(y, torch.vander(a.detach(), N=n, increasing=increasing))
    return y
case("vander", lambda a: vander(a, 3), rn(4))
case("vander_increasing_zero", lambda a: vander(a, 5, increasing=True), with_zeros(rn(3), (1,)))
case("combinations", lambda a: torch.combinations(a, 2), rn(4))
case("combinations_replacement", lambda a: torch.combinations(a, 3, with_replacement=True), rn(3))
case("rrelu_eval", lambda a: F.rrelu(a, 0.1, 0.3, training=False), rn(3, 4))

# Sampling at grid points and affine grids (F.grid_sample, F.affine_grid): every mode and padding, both
# corner conventions, points beyond the borders (the grid spans [-1.6, 1.6]), images and volumes. Their
# own generator.
inputs_gen = torch.Generator().manual_seed(27182)
def grid(*shape):
    return (torch.rand(*shape, generator=inputs_gen, dtype=torch.float64) * 3.2 - 1.6).float()
for mode in ("bilinear", "nearest"):
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            case(f"grid_sample_{mode}_{padding}_{'align' if align else 'noalign'}",
                 lambda a, g, mode=mode, padding=padding, align=align: F.grid_sample(a, g, mode=mode, padding_mode=padding, align_corners=align),
                 rn(2, 3, 4, 5), grid(2, 3, 4, 2))
case("grid_sample_3d_bilinear_zeros", lambda a, g: F.grid_sample(a, g, align_corners=False), rn(1, 2, 3, 4, 3), grid(1, 2, 3, 2, 3))
case("grid_sample_3d_reflection_align", lambda a, g: F.grid_sample(a, g, padding_mode="reflection", align_corners=True),
     rn(2, 1, 3, 3, 4), grid(2, 2, 2, 3, 3))
case("affine_grid", lambda t: F.affine_grid(t, [2, 3, 4, 5], align_corners=False), rn(2, 2, 3))
case("affine_grid_align_single_row", lambda t: F.affine_grid(t, [1, 1, 1, 4], align_corners=True), rn(1, 2, 3))
case("affine_grid_3d", lambda t: F.affine_grid(t, [1, 2, 2, 3, 4], align_corners=False), rn(1, 3, 4))
case("spatial_transformer", lambda a, t: F.grid_sample(a, F.affine_grid(t, [2, 3, 3, 4], align_corners=False), padding_mode="border"),
     rn(2, 3, 5, 6), rn(2, 2, 3) * 0.5)

# The triplet margin loss with a distance function (F.triplet_margin_with_distance_loss): the default
# Euclidean distance, cosine distance with the swap and no reduction, an L1 distance summed, a positive
# broadcast against the anchors, and margins that every triplet or none exceeds.
inputs_gen = torch.Generator().manual_seed(8181)
cosine_distance = lambda x, y: 1 - F.cosine_similarity(x, y)
case("triplet_margin_with_distance", lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n), rn(4, 5), rn(4, 5), rn(4, 5))
case("triplet_margin_with_distance_cosine_swap",
     lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=cosine_distance, margin=0.4, swap=True,
                                                         reduction="none"), rn(4, 5), rn(4, 5), rn(4, 5))
case("triplet_margin_with_distance_l1_sum",
     lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=lambda x, y: (x - y).abs().sum(-1),
                                                         margin=0.3, reduction="sum"), rn(3, 6), rn(3, 6), rn(3, 6))
case("triplet_margin_with_distance_broadcast", lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
     rn(4, 5), rn(1, 5), rn(4, 5))
case("triplet_margin_with_distance_huge_margin",
     lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=1e3, reduction="none"), rn(3, 4), rn(3, 4), rn(3, 4))
case("triplet_margin_with_distance_tiny_margin",
     lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=1e-6, reduction="none"), rn(3, 4), rn(3, 4) * 0.1, rn(3, 4) * 10)

# Grouped 2-D convolutions as MobileNet and ResNeXt have them (oneDNN's depthwise and grouped kernels,
# or per-group unfolding where oneDNN offers only its matrix-product kernel): depthwise with stride and
# bias, a depth multiplier of 2 with dilation, 5x5 depthwise, 3 groups of 2 channels, 2 groups of 16, an
# unbatched sample, a 1-D depthwise convolution, and windows that give one output position. Their own
# generator.
inputs_gen = torch.Generator().manual_seed(2718)
case("conv2d_depthwise", lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1, groups=6), rn(2, 6, 7, 9), rn(6, 1, 3, 3), rn(6))
case("conv2d_depth_multiplier", lambda a, w: F.conv2d(a, w, padding=(2, 1), dilation=(2, 1), groups=5), rn(2, 5, 6, 5), rn(10, 1, 3, 3))
case("conv2d_depthwise_5x5", lambda a, w, b: F.conv2d(a, w, b, padding=2, groups=16), rn(3, 16, 9, 8), rn(16, 1, 5, 5), rn(16))
case("conv2d_groups3", lambda a, w, b: F.conv2d(a, w, b, stride=(1, 2), padding=(0, 1), groups=3), rn(2, 6, 5, 7), rn(9, 2, 2, 3), rn(9))
case("conv2d_groups_wide", lambda a, w: F.conv2d(a, w, padding=1, groups=2), rn(1, 32, 5, 5), rn(32, 16, 3, 3))
case("conv2d_depthwise_unbatched", lambda a, w: F.conv2d(a, w, padding=1, groups=4), rn(4, 5, 5), rn(4, 1, 3, 3))
case("conv1d_depthwise", lambda a, w, b: F.conv1d(a, w, b, stride=2, padding=3, dilation=2, groups=8), rn(2, 8, 20), rn(8, 1, 4), rn(8))
case("conv2d_depthwise_one_position", lambda a, w: F.conv2d(a, w, groups=3), rn(2, 3, 4, 5), rn(6, 1, 4, 5))

# Transposed 2-D convolutions (the input gradient of a convolution: oneDNN's backward-data kernels or
# unfolding): stride 2 with output padding and bias, groups with dilation, 16 channels over 288
# positions (oneDNN), depthwise, an output padding of at least the stride (a larger dilation allows it:
# composed of products and fold), unbatched. Their own generator.
inputs_gen = torch.Generator().manual_seed(1618)
case("conv_transpose2d", lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2, padding=1, output_padding=1),
     rn(2, 3, 4, 5), rn(3, 4, 3, 3), rn(4))
case("conv_transpose2d_groups_dilation", lambda a, w: F.conv_transpose2d(a, w, stride=(2, 1), padding=(1, 2), groups=2, dilation=(1, 2)),
     rn(2, 4, 3, 4), rn(4, 3, 2, 3))
case("conv_transpose2d_wide", lambda a, w, b: F.conv_transpose2d(a, w, b, stride=1, padding=1), rn(2, 16, 12, 12), rn(16, 16, 3, 3), rn(16))
case("conv_transpose2d_depthwise", lambda a, w: F.conv_transpose2d(a, w, stride=2, padding=1, groups=8), rn(2, 8, 6, 6), rn(8, 1, 4, 4))
case("conv_transpose2d_output_padding_dilation", lambda a, w: F.conv_transpose2d(a, w, stride=1, output_padding=1, dilation=2),
     rn(1, 2, 4, 4), rn(2, 3, 3, 3))
case("conv_transpose2d_unbatched", lambda a, w: F.conv_transpose2d(a, w, stride=(1, 2), padding=(0, 1), output_padding=(0, 1)),
     rn(3, 4, 4), rn(3, 2, 2, 3))

# Batch normalization followed by ReLU (Functional.batchNormReLU, the one operation Sequential runs for a
# BatchNorm layer and a ReLU): training statistics on [N, C, H, W], [N, C] and [N, C, L]; evaluation with
# fixed running statistics; a constant channel (variance 0) whose bias is negative, so that all its
# outputs are 0 and its gradient is masked everywhere (a bias of exactly 0 would put every output on the
# ReLU's kink, where finite differences cannot check it: the fused tests compare that case with the two
# separate operations); no affine parameters. Their own generator.
inputs_gen = torch.Generator().manual_seed(4242)
def bn_running(c):
    return torch.linspace(-0.5, 0.5, c), torch.linspace(0.5, 2.0, c)
case("batch_norm_relu_train", lambda a, w, b: F.relu(F.batch_norm(a, None, None, w, b, training=True)),
     rn(4, 3, 5, 6), rn(3), rn(3))
case("batch_norm_relu_train_2d", lambda a, w, b: F.relu(F.batch_norm(a, None, None, w, b, training=True)), rn(8, 4), rn(4), rn(4))
case("batch_norm_relu_train_1d", lambda a, w: F.relu(F.batch_norm(a, None, None, w, None, training=True)), rn(3, 2, 7), rn(2))
case("batch_norm_relu_eval", lambda a, w, b: F.relu(F.batch_norm(a, *bn_running(3), w, b, training=False)),
     rn(2, 3, 4, 4), rn(3), rn(3))
case("batch_norm_relu_constant_channel",
     lambda a, w: F.relu(F.batch_norm(a, None, None, w, torch.tensor([-0.5, 0.5]), training=True)),
     torch.cat([torch.full((4, 1, 3), 0.25), rn(4, 1, 3)], 1), rn(2))
case("batch_norm_relu_no_affine", lambda a: F.relu(F.batch_norm(a, None, None, training=True, eps=1e-3)), rn(5, 2, 3, 3))

# Batch normalization, ReLU and 2x2 max pooling (Functional.batchNormReLUMaxPool2x2, the one operation
# Sequential runs for a BatchNorm layer, a ReLU and a MaxPool2d(2)): training statistics, odd sizes (an odd
# last row and column belong to no window), evaluation with fixed running statistics, no affine
# parameters. Their own generator.
inputs_gen = torch.Generator().manual_seed(4343)
def bn_relu_pool(a, mean, var, w, b, training, eps=1e-5):
    return F.max_pool2d(F.relu(F.batch_norm(a, mean, var, w, b, training=training, eps=eps)), 2)
case("batch_norm_relu_max_pool_train", lambda a, w, b: bn_relu_pool(a, None, None, w, b, True), rn(4, 3, 6, 8), rn(3), rn(3))
case("batch_norm_relu_max_pool_odd", lambda a, w, b: bn_relu_pool(a, None, None, w, b, True), rn(3, 2, 5, 7), rn(2), rn(2))
case("batch_norm_relu_max_pool_eval", lambda a, w, b: bn_relu_pool(a, *bn_running(3), w, b, False), rn(2, 3, 4, 6), rn(3), rn(3))
case("batch_norm_relu_max_pool_no_affine", lambda a: bn_relu_pool(a, None, None, None, None, True, eps=1e-3), rn(5, 2, 4, 4))

def enc(t):
    dt = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dt, "data": [float(v) for v in t.detach().reshape(-1).tolist()]}

out_cases = []
for name, fn, inputs in CASES:
    ins = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    y = fn(*ins)
    up = torch.randn(y.shape, generator=g, dtype=torch.float64).float()
    (y * up).sum().backward()
    out_cases.append({
        "name": name,
        "inputs": [enc(t) for t in inputs],
        "output": enc(y),
        "upstream": enc(up),
        "grads": [enc(t.grad) if t.grad is not None else None for t in ins],
    })

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "ops.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out_cases}, f)
print(f"wrote {len(out_cases)} cases to {os.path.normpath(path)}")
