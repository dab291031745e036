#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/edges.json: PyTorch's values and gradients at points that a
finite-difference check cannot cover, so they are compared with PyTorch only
(Tests/TensorTests/EdgeCaseTests.swift maps each case name to a Gradus call).

The points are exact boundaries (clamp at its bounds, pow at base 0), saturation (binary
cross-entropy at probabilities 0 and 1, through a saturated sigmoid), empty tensors (an inner size
of 0, a sum over an empty dimension) and large or tiny magnitudes (softmax of ±1e4, logits offset by
1000, exp near overflow and underflow, log of subnormal numbers). There a derivative is one-sided
or undefined, and the finite differences of GradCheck would either fail or check nothing; what is
checked is that Gradus follows PyTorch's convention.

The schema is that of ops.json: each case has a name, its inputs, the output, a fixed upstream
gradient and the gradient of sum(output * upstream) with respect to each input. An input gets a
gradient when it is floating point and not listed in the case's `const` indices (targets of a loss,
for example); the others have `null` in `grads`.

Every number must be finite: Tests/GradusTestSupport/Fixtures.swift decodes `data` as [Double], and
JSON has no inf or nan. The script stops when a case produces a non-finite value, so such a point
cannot be added by mistake (pow with base 0 and exponent 0.5, whose gradient PyTorch gives as inf,
is left out for this reason).

Float32 unless a case says otherwise. Run with a Python that has torch:

    /tmp/torchenv/bin/python scripts/make_edge_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

gen = torch.Generator().manual_seed(77)


def rn(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).float()


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


CASES = []


def case(name, fn, *inputs, const=()):
    """Adds a case: `fn` applied to `inputs`; inputs whose index is in `const` get no gradient."""
    CASES.append((name, fn, inputs, set(const)))


# Exact boundaries.
case("clamp_at_bounds", lambda x: x.clamp(-0.5, 0.7),
     f32([-1.0, -0.5, -0.4999, -0.2, 0.0, 0.3, 0.7, 0.7001, 1.5, -0.5001]))
# Tensor bounds: elements equal to lo, equal to hi, inside, outside, and one where lo > hi.
case("clamp_tensor_bounds", lambda x, lo, hi: torch.clamp(x, min=lo, max=hi),
     f32([-1.0, -0.5, 0.2, 0.6, 1.0, 2.0, 0.0, 0.3]),
     f32([-0.5, -0.5, -0.5, 0.1, 0.0, 0.0, 0.5, -1.0]),
     f32([0.5, 0.5, 0.5, 0.6, 1.0, 1.5, 0.2, 0.3]))
# Base 0 with exponents 0, 2, 1 and 3 (finite gradients both ways in PyTorch), then ordinary points
# including exponent 0 on a positive base. Base 0 with exponent 0.5 is left out: PyTorch's gradient
# with respect to the base is inf there.
case("pow_tensor_zero_base", lambda a, b: torch.pow(a, b),
     f32([0.0, 0.0, 0.0, 0.0, 1.5, 0.5, 2.0, 0.7]),
     f32([0.0, 2.0, 1.0, 3.0, 0.0, -1.0, 0.5, 2.5]))

# Saturation.
case("bce_saturated", lambda p, t: F.binary_cross_entropy(p, t),
     f32([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.3, 0.5]),
     f32([0.0, 1.0, 1.0, 0.0, 0.3, 0.3, 0.3, 1.0]), const=[1])
case("bce_sigmoid_saturated", lambda z, t: F.binary_cross_entropy(torch.sigmoid(z), t),
     f32([-20.0, -17.0, 0.0, 17.0, 20.0, 30.0]),
     f32([0.0, 1.0, 0.3, 1.0, 0.0, 1.0]), const=[1])

# Empty tensors.
case("matmul_empty_inner", lambda a, b: a @ b, torch.zeros(2, 0), torch.zeros(0, 3))
case("linear_empty_inner", lambda x, w, b: F.linear(x, w, b), torch.zeros(2, 0), torch.zeros(3, 0), rn(3))
case("sum_empty", lambda x: x.sum(0), torch.zeros(0, 3))

# Large and tiny magnitudes.
case("log_softmax_offset", lambda x: x.log_softmax(1), rn(3, 5) + 1000.0)
case("cross_entropy_offset", lambda x, t: F.cross_entropy(x, t), rn(4, 5) + 1000.0,
     torch.tensor([0, 3, 4, 1]), const=[1])
case("softmax_large", lambda x: x.softmax(1),
     f32([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4 + 1, 1e4 - 2], [0.0, 88.0, 89.0]]))
case("exp_huge_tiny", lambda x: x.exp(), f32([88.0, 88.7, -87.0, -100.0, -103.0, -110.0]))
# 1e-38 is subnormal in float32 (the smallest normal number is 1.18e-38); the gradient 1/x is then
# 1e38, near float32's largest value (smaller subnormals such as 1e-45 are left out: their gradient
# overflows to inf).
case("log_tiny", lambda x: x.log(), f32([1e-38, 1.2e-38, 2e-38, 1e-30, 1e-20]))

# Exact kinks that random inputs never hit: PyTorch's conventions for the gradient there.
case("margin_ranking_at_hinge", lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5, reduction="none"),
     f32([1.0, 0.5, 2.0, -1.0]), f32([0.5, 1.0, 0.0, -1.5]), f32([1.0, -1.0, 1.0, 1.0]), const=[2])
case("relu_at_zero", lambda x: F.relu(x), f32([0.0, -0.0, 1.0, -1.0]))
case("leaky_relu_at_zero", lambda x: F.leaky_relu(x, 0.1), f32([0.0, -0.0, 1.0, -1.0]))
case("abs_at_zero", lambda x: x.abs(), f32([0.0, -0.0, 2.0, -2.0]))
case("amax_ties", lambda x: x.amax(1), f32([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0]]))
case("maximum_ties", lambda a, b: torch.maximum(a, b), f32([1.0, 2.0, 3.0]), f32([1.0, 1.0, 3.0]))
case("minimum_ties", lambda a, b: torch.minimum(a, b), f32([1.0, 2.0, 3.0]), f32([1.0, 1.0, 3.0]))
# The corners of the piecewise-linear activations: exactly at the bounds and at ±3.
case("hardtanh_at_bounds", lambda x: F.hardtanh(x, -1.5, 2.0), f32([-1.5, 2.0, -1.6, 2.1, 0.0, 1.9]))
case("relu6_at_corners", lambda x: F.relu6(x), f32([0.0, 6.0, -0.0, 5.9, 6.1, 3.0]))
case("hardsigmoid_at_corners", lambda x: F.hardsigmoid(x), f32([-3.0, 3.0, -3.1, 3.1, 0.0, 2.9]))
case("hardswish_at_corners", lambda x: F.hardswish(x), f32([-3.0, 3.0, -3.1, 3.1, 0.0, 2.9]))
case("prelu_at_zero", lambda x, w: F.prelu(x, w), f32([[0.0, -0.0, 1.0], [-1.0, 0.0, 2.0]]), f32([0.25]))
# Vector norms at ties of the extremum, at zero elements and at zero vectors (PyTorch's norm_backward).
case("norm_inf_ties", lambda x: torch.linalg.vector_norm(x, ord=float("inf"), dim=1),
     f32([[1.0, -3.0, 3.0, 0.5], [2.0, 0.0, -2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]))
case("norm_neg_inf_at_zero", lambda x: torch.linalg.vector_norm(x, ord=float("-inf"), dim=1),
     f32([[1.0, 0.0, -3.0], [2.0, -0.5, 0.5]]))
case("norm_fractional_with_zeros", lambda x: torch.linalg.vector_norm(x, ord=0.5, dim=1),
     f32([[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]]))
case("norm_p3_zero_vector", lambda x: torch.linalg.vector_norm(x, ord=3, dim=1), f32([[0.0, 0.0], [1.0, -2.0]]))
case("norm_neg1_with_zero", lambda x: torch.linalg.vector_norm(x, ord=-1, dim=1), f32([[0.0, 1.0], [0.5, -2.0]]))
# Zero vectors and equal vectors, where the epsilons of normalize, cosine similarity and the distances act.
case("normalize_zero_vector", lambda x: F.normalize(x), f32([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]]))
case("cosine_similarity_zero_vector", lambda a, b: F.cosine_similarity(a, b), f32([[0.0, 0.0], [1.0, 2.0]]), f32([[1.0, 1.0], [0.0, 0.0]]))
case("cdist_equal_rows", lambda a, b: torch.cdist(a, b), f32([[1.0, 2.0], [0.0, 0.0]]), f32([[1.0, 2.0], [3.0, -1.0]]))
case("pairwise_distance_equal", lambda a, b: F.pairwise_distance(a, b), f32([[1.0, 2.0], [0.5, 0.5]]), f32([[1.0, 2.0], [0.5, 0.5]]))
# Grid sampling at its boundaries: grid points exactly at ±1 and 0, at pixel centres, at the clipping
# and reflection edges (where PyTorch's coordinate gradient is one-sided), and far outside the input.
GRID_IMAGE = f32([[[[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.75, 3.0], [-2.0, 1.0, 0.5, -0.5]]]])
GRID_EDGES = f32([[[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0], [-1.0, 1.0]],
                   [[0.5, -0.3333333], [-0.75, 0.0], [1.0, -1.0], [0.25, 1.0]],
                   [[3.0, 0.5], [-10.0, -2.5], [1.25, 1.0], [-1.5, 0.2]]]])
for mode in ("bilinear", "nearest"):
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            case(f"grid_sample_edges_{mode}_{padding}_{'align' if align else 'noalign'}",
                 lambda a, g, mode=mode, padding=padding, align=align: F.grid_sample(a, g, mode=mode, padding_mode=padding, align_corners=align),
                 GRID_IMAGE, GRID_EDGES)
case("grid_sample_one_pixel_reflection", lambda a, g: F.grid_sample(a, g, padding_mode="reflection", align_corners=True),
     f32([[[[2.5]]]]), f32([[[[0.3, -0.7], [1.0, 1.0]]]]))


def enc(t):
    dt = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dt, "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def check_finite(name, what, encoded):
    for v in encoded["data"]:
        if not math.isfinite(v):
            raise SystemExit(f"{name}: {what} holds {v}; JSON fixtures cannot hold non-finite numbers, "
                             "change or drop the case")


out_cases = []
for name, fn, inputs, const in CASES:
    ins = [t.clone().requires_grad_(t.is_floating_point() and i not in const) for i, t in enumerate(inputs)]
    y = fn(*ins)
    up = torch.randn(y.shape, generator=gen, dtype=torch.float64).float()
    (y * up).sum().backward()
    c = {
        "name": name,
        "inputs": [enc(t) for t in inputs],
        "output": enc(y),
        "upstream": enc(up),
        "grads": [enc(t.grad) if t.requires_grad and t.grad is not None else
                  (enc(torch.zeros_like(t)) if t.requires_grad else None) for t in ins],
    }
    for what, e in [("an input", x) for x in c["inputs"]] + [("the output", c["output"])] + \
                   [("a gradient", x) for x in c["grads"] if x is not None]:
        check_finite(name, what, e)
    out_cases.append(c)

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "edges.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": out_cases}, f)
print(f"wrote {len(out_cases)} cases to {os.path.normpath(path)}")
