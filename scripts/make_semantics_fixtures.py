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
import math
import os

import torch

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
case("int_repeat", lambda a: a.repeat(2, 2), i64([1, 2, 3]))
case("repeat_zero_count", lambda a: a.repeat(0, 2), i64([1, 2, 3]))
case("repeat_negative", lambda a: a.repeat(-1), i64([1, 2]))
case("repeat_too_few_counts", lambda a: a.repeat(2), i64([[1, 2]]))


def dtype_name(dt):
    return {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}[dt]


def enc(t):
    def value(v):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return {"shape": list(t.shape), "dtype": dtype_name(t.dtype),
            "data": [value(v) for v in t.detach().reshape(-1).tolist()]}


out_cases = []
for name, fn, inputs in CASES:
    c = {"name": name, "inputs": [enc(t) for t in inputs]}
    try:
        y = fn(*inputs)
    except (RuntimeError, NotImplementedError, ZeroDivisionError) as e:
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
