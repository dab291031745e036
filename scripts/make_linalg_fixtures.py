#!/usr/bin/env python3
"""PyTorch's torch.linalg (inv, det, slogdet, solve, cholesky, eigh, eigvalsh, svd, svdvals) for
Tests/TensorTests/LinalgTests.swift: Tests/Fixtures/tensor/linalg.json.

Each case names a function of Float64 (or Float32) inputs that returns one tensor built from the
decomposition in a way that does not depend on the sign (gauge) of eigen- or singular vectors (V∘V,
reconstructions); the case stores PyTorch's output and the gradient of sum(output · w) with respect
to every input, for fixed weights w (1, 2, 3, … scaled). Symmetric or positive-definite matrices are
built inside the function from an unconstrained X, so the gradients are with respect to X. Cases whose
gradient PyTorch defines differently from Gradus (det at an exactly singular matrix) store no gradient.

    /tmp/torchenv/bin/python scripts/make_linalg_fixtures.py
"""
import json
import math
import os

import torch

torch.manual_seed(0)
g = torch.Generator().manual_seed(11)
LA = torch.linalg


def enc(t):
    return {"shape": list(t.shape), "dtype": {torch.float64: "float64", torch.float32: "float32"}[t.dtype],
            "data": [v if math.isfinite(v) else str(v) for v in (float(u) for u in t.detach().reshape(-1).tolist())]}


def randn(*shape, dtype=torch.float64):
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)


def well_conditioned(n, batch=(), dtype=torch.float64):
    return (randn(*batch, n, n) + 3 * torch.eye(n, dtype=torch.float64)).to(dtype)


CASES = []


def case(name, fn, *inputs, grad=True):
    CASES.append((name, fn, inputs, grad))


def spd(x):
    return x @ x.mT + 3 * torch.eye(x.shape[-1], dtype=x.dtype)


def sym(x):
    return x + x.mT


case("inv_3", LA.inv, well_conditioned(3))
case("inv_batch", LA.inv, well_conditioned(3, (2,)))
case("inv_1", LA.inv, randn(1, 1) + 2)
case("inv_float32", LA.inv, well_conditioned(4, dtype=torch.float32))
case("det_3", LA.det, randn(3, 3))
case("det_batch", LA.det, randn(2, 2, 4, 4))
case("det_negative", LA.det, torch.tensor([[0.0, 2.0], [3.0, 1.0]], dtype=torch.float64))
case("det_singular", LA.det, torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64), grad=False)
case("det_float32", LA.det, randn(3, 3, dtype=torch.float32))
case("slogdet_logabs", lambda a: LA.slogdet(a)[1], randn(2, 4, 4))
case("slogdet_sign", lambda a: LA.slogdet(a)[0], randn(3, 3, 3), grad=False)
case("slogdet_huge", lambda a: LA.slogdet(a)[1], torch.diag(torch.tensor([1e200, 1e200, 1e-10], dtype=torch.float64)))
case("solve_matrix", LA.solve, well_conditioned(3), randn(3, 2))
case("solve_vector", LA.solve, well_conditioned(3), randn(3))
case("solve_batch_vectors", LA.solve, well_conditioned(3, (2,)), randn(2, 3))
case("solve_broadcast", LA.solve, well_conditioned(3, (2, 1)), randn(4, 3, 2))
case("solve_shared_matrix", LA.solve, well_conditioned(3), randn(2, 3, 2))
case("solve_left_false", lambda a, b: LA.solve(a, b, left=False), well_conditioned(3), randn(2, 3))
case("cholesky_spd", lambda x: LA.cholesky(spd(x)), randn(3, 3))
case("cholesky_batch", lambda x: LA.cholesky(spd(x)), randn(2, 4, 4))
case("cholesky_upper", lambda x: LA.cholesky(spd(x), upper=True), randn(3, 3))
case("cholesky_reads_lower", lambda x: LA.cholesky(spd(x).tril()), randn(3, 3))
case("eigh_values_vectors", lambda x: (lambda r: torch.cat([r[0].reshape(-1), (r[1] * r[1]).reshape(-1)]))(LA.eigh(sym(x))),
     randn(4, 4))
case("eigh_batch", lambda x: (lambda r: torch.cat([r[0].reshape(-1), (r[1] * r[1]).reshape(-1)]))(LA.eigh(sym(x))),
     randn(2, 3, 3))
case("eigh_reconstruction", lambda x: (lambda r: (r[1] * r[0].unsqueeze(-2)) @ r[1].mT)(LA.eigh(sym(x))), randn(3, 3))
case("eigh_direct", lambda a: (lambda r: torch.cat([r[0].reshape(-1), (r[1] * r[1]).reshape(-1)]))(LA.eigh(a)),
     sym(randn(3, 3)))
case("eigvalsh", lambda x: LA.eigvalsh(sym(x)), randn(5, 5))
case("svdvals_tall", LA.svdvals, randn(4, 2))
case("svdvals_wide", LA.svdvals, randn(2, 5))
case("svdvals_batch", LA.svdvals, randn(2, 3, 3))
case("svd_reduced_tall", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0] * r[0]).reshape(-1), (r[2] * r[2]).reshape(-1)]))(
    LA.svd(a, full_matrices=False)), randn(4, 3))
case("svd_reduced_wide", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0] * r[0]).reshape(-1), (r[2] * r[2]).reshape(-1)]))(
    LA.svd(a, full_matrices=False)), randn(2, 4))
case("svd_reduced_square", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0] * r[0]).reshape(-1), (r[2] * r[2]).reshape(-1)]))(
    LA.svd(a, full_matrices=False)), randn(2, 3, 3))
case("svd_full_tall", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0][..., :2] * r[0][..., :2]).reshape(-1),
                                                     (r[2] * r[2]).reshape(-1)]))(LA.svd(a)), randn(4, 2))
case("svd_reconstruction", lambda a: (lambda r: (r[0] * r[1].unsqueeze(-2)) @ r[2])(LA.svd(a, full_matrices=False)), randn(3, 5))

# QR: Q and R directly (LAPACK's Householder signs, as Gradus's), reduced and complete, tall and wide.
case("qr_reduced_tall", lambda a: (lambda r: torch.cat([r[0].reshape(-1), r[1].reshape(-1)]))(LA.qr(a)), randn(4, 3))
case("qr_reduced_wide", lambda a: (lambda r: torch.cat([r[0].reshape(-1), r[1].reshape(-1)]))(LA.qr(a)), randn(2, 4))
case("qr_square_batch", lambda a: (lambda r: torch.cat([r[0].reshape(-1), r[1].reshape(-1)]))(LA.qr(a)), randn(2, 3, 3))
case("qr_complete_wide", lambda a: (lambda r: torch.cat([r[0].reshape(-1), r[1].reshape(-1)]))(LA.qr(a, mode="complete")),
     randn(3, 4))
case("qr_complete_tall", lambda a: (lambda r: torch.cat([r[0].reshape(-1), r[1].reshape(-1)]))(LA.qr(a, mode="complete")),
     randn(4, 2), grad=False)
case("qr_r_only", lambda a: LA.qr(a, mode="r")[1], randn(4, 3), grad=False)
case("qr_r_only_gradient_free", lambda a: LA.qr(a)[1], randn(3, 5))
case("pinv_tall", LA.pinv, randn(4, 2))
case("pinv_wide", LA.pinv, randn(2, 3))
case("pinv_batch", LA.pinv, randn(2, 3, 3))
case("pinv_rank_deficient", LA.pinv, torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], dtype=torch.float64), grad=False)
case("pinv_rtol", lambda a: LA.pinv(a, rtol=0.5), torch.diag(torch.tensor([4.0, 3.0, 1.0], dtype=torch.float64)), grad=False)
case("lstsq_tall", lambda a, b: LA.lstsq(a, b, driver="gelsd").solution, randn(5, 2), randn(5, 3))
case("lstsq_vector", lambda a, b: LA.lstsq(a, b.unsqueeze(-1), driver="gelsd").solution.squeeze(-1), randn(4, 3), randn(4))
case("matrix_norm_fro", LA.matrix_norm, randn(2, 3, 4))
case("matrix_norm_nuc", lambda a: LA.matrix_norm(a, "nuc"), randn(3, 4))
case("matrix_norm_2", lambda a: LA.matrix_norm(a, 2), randn(4, 3))
case("matrix_norm_m2", lambda a: LA.matrix_norm(a, -2), randn(3, 3))
case("matrix_norm_1", lambda a: LA.matrix_norm(a, 1), randn(3, 4))
case("matrix_norm_m1", lambda a: LA.matrix_norm(a, -1), randn(3, 4))
case("matrix_norm_inf_keepdim", lambda a: LA.matrix_norm(a, float("inf"), keepdim=True), randn(2, 3, 4))
case("matrix_norm_minf", lambda a: LA.matrix_norm(a, -float("inf")), randn(3, 4))
case("matrix_rank", lambda a: LA.matrix_rank(a).to(torch.float64),
     torch.stack([torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64), torch.eye(2, dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64)]),
     grad=False)
case("cond", LA.cond, randn(2, 3, 3))
case("cond_tall", LA.cond, randn(4, 2))

# Review additions: a rank-deficient matrix whose Vh alone reaches the loss (finite gradient), Float32
# factorizations, transposed (non-contiguous) inputs, solve with left=False and broadcasting.
case("svd_rank_deficient_vh_only", lambda a: (lambda r: r[2][..., 0, :] * r[2][..., 0, :])(LA.svd(a, full_matrices=False)),
     torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], dtype=torch.float64))
case("eigh_float32", lambda x: (lambda r: torch.cat([r[0].reshape(-1), (r[1] * r[1]).reshape(-1)]))(LA.eigh(sym(x))),
     randn(3, 3, dtype=torch.float32))
case("svd_float32", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0] * r[0]).reshape(-1), (r[2] * r[2]).reshape(-1)]))(
    LA.svd(a, full_matrices=False)), randn(3, 2, dtype=torch.float32))
case("cholesky_float32", lambda x: LA.cholesky(spd(x)), randn(3, 3, dtype=torch.float32))
case("solve_float32", LA.solve, well_conditioned(3, dtype=torch.float32), randn(3, 2, dtype=torch.float32))
case("inv_transposed", lambda a: LA.inv(a.mT), well_conditioned(3, (2,)))
case("svd_transposed_full_wide", lambda a: (lambda r: torch.cat([r[1].reshape(-1), (r[0] * r[0]).reshape(-1),
                                                              (r[2][..., :2, :] * r[2][..., :2, :]).reshape(-1)]))(LA.svd(a.mT)), randn(4, 2))
case("solve_left_false_broadcast", lambda a, b: LA.solve(a, b, left=False), well_conditioned(3, (2,)), randn(4, 1, 2, 3))

# Products and triangular solves.
case("matrix_power_3", lambda a: LA.matrix_power(a, 3), randn(2, 3, 3))
case("matrix_power_minus2", lambda a: LA.matrix_power(a, -2), well_conditioned(3))
case("matrix_power_0", lambda a: LA.matrix_power(a, 0), randn(2, 2, 2), grad=False)
case("matrix_power_1", lambda a: LA.matrix_power(a, 1), randn(3, 3))
case("multi_dot_vectors", lambda a, b, c, d: LA.multi_dot([a, b, c, d]), randn(4), randn(4, 6), randn(6, 2), randn(2))
case("multi_dot_matrices", lambda a, b, c: LA.multi_dot([a, b, c]), randn(5, 2), randn(2, 7), randn(7, 3))
case("solve_triangular_upper", lambda a, b: LA.solve_triangular(a, b, upper=True), well_conditioned(3), randn(3, 2))
case("solve_triangular_lower_right", lambda a, b: LA.solve_triangular(a, b, upper=False, left=False), well_conditioned(3, (2,)), randn(2, 4, 3))
case("solve_triangular_unit", lambda a, b: LA.solve_triangular(a, b, upper=False, unitriangular=True), randn(3, 3), randn(3, 2))
case("vector_norm_3", lambda a: LA.vector_norm(a, ord=3, dim=(0, 2)), randn(2, 3, 4))


out = []
for name, fn, inputs, grad in CASES:
    xs = [t.clone().requires_grad_() for t in inputs]
    y = fn(*xs)
    c = {"name": name, "inputs": [enc(t) for t in inputs], "output": enc(y)}
    if grad:
        w = (torch.arange(y.numel(), dtype=torch.float64).reshape(y.shape) % 7 + 1).to(y.dtype) / 4
        (y * w).sum().backward()
        c["gradients"] = [enc(x.grad) for x in xs]
    out.append(c)

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "linalg.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out}, f)
print(f"wrote {len(out)} cases to {os.path.normpath(path)}")
