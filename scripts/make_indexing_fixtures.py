#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/indexing.json: PyTorch's results of multi-dimensional subscripts
(x[i, j, ...]) — basic indexing (integers, slices, None, ...), advanced indexing (int64 index tensors,
boolean masks) and where its dimensions go — with the gradient of sum(x[...] * upstream), and of
assignments x[...] = v. Tests/TensorTests/SubscriptTests.swift maps each case name to a Gradus
subscript; a case PyTorch refuses has "error": true.

The input of every case is a float64 tensor of distinct values (arange, reshaped) or an int64 one, so
that a value names the element it came from. Run with a Python that has torch:

    /tmp/torchenv/bin/python scripts/make_indexing_fixtures.py
"""
import json
import os

import torch

gen = torch.Generator().manual_seed(4711)
X = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) - 7.5
Y = torch.arange(120, dtype=torch.float64).reshape(2, 3, 4, 5) * 0.25
I = torch.arange(12, dtype=torch.int64).reshape(3, 4) * (2 ** 60)  # beyond 2^53: exact only as int64
L = lambda *v: torch.tensor(v, dtype=torch.int64)

GETS = []
SETS = []


def get(name, x, fn):
    GETS.append((name, x, fn))


def put(name, x, fn):
    SETS.append((name, x, fn))


# Basic indexing: views.
get("int", X, lambda x: x[1])
get("negative_int", X, lambda x: x[-1, -2])
get("ints_all_dims", X, lambda x: x[1, 2, 3])
get("range", X, lambda x: x[:, 1:3])
get("step", X, lambda x: x[..., ::2])
get("start_step", X, lambda x: x[:, 1::2, 1:])
get("negative_bounds", X, lambda x: x[:, -2:, :-1])
get("clipped_bounds", X, lambda x: x[0, 1:100, -100:2])
get("empty_range", X, lambda x: x[:, 2:1])
get("new_axis", X, lambda x: x[:, None, 1])
get("new_axis_end", X, lambda x: x[..., None])
get("ellipsis_middle", Y, lambda x: x[0, ..., 1])
get("ellipsis_nothing", X, lambda x: x[1, 2, ..., 3])
# Advanced indexing: copies, and where the broadcast index dimensions go.
get("index_first", X, lambda x: x[L(1, 0, 1)])
get("index_middle", X, lambda x: x[:, L(2, 0)])
get("index_2d", X, lambda x: x[:, L(2, 0, 1, 1).reshape(2, 2)])
get("index_negative", X, lambda x: x[:, :, L(-1, 0)])
get("index_repeated", X, lambda x: x[:, L(1, 1, 1)])
get("two_adjacent", Y, lambda x: x[:, L(0, 2), L(1, 3)])
get("two_broadcast", Y, lambda x: x[:, L(0, 2).reshape(2, 1), L(1, 2, 3)])
get("two_separated", Y, lambda x: x[L(0, 1), :, L(1, 2)])
get("int_then_index", Y, lambda x: x[0, :, L(1, 2)])
get("index_then_int", Y, lambda x: x[:, L(0, 1), :, 0])
get("separated_by_new_axis", Y, lambda x: x[L(0, 1), None, L(1, 2)])
get("adjacent_after_new_axis", Y, lambda x: x[:, None, L(0, 1), L(1, 2)])
get("index_with_slice_after", Y, lambda x: x[L(1, 0), 1:, ::2])
get("index_empty", X, lambda x: x[:, L()])
get("mask", X, lambda x: x[x > 2])
get("mask_rows", X, lambda x: x[:, torch.tensor([True, False, True])])
get("mask_2d_leading", X, lambda x: x[torch.tensor([[True, False, True], [False, False, True]])])
get("mask_none", X, lambda x: x[x > 100])
get("int64_index", I, lambda x: x[L(2, 0), 1:3])
get("scalar_mask_false", X, lambda x: x[torch.tensor(False)])
get("scalar_mask_true_then_int", X, lambda x: x[torch.tensor(True), 0])
get("scalar_mask_false_then_int", X, lambda x: x[torch.tensor(False), 0])
get("closed_range_to_last", X, lambda x: x[:, :, -3:])
# Refusals.
get("too_many", X, lambda x: x[0, 0, 0, 0])
get("int_out_of_range", X, lambda x: x[2])
get("index_out_of_range", X, lambda x: x[:, L(0, 3)])
get("index_negative_out_of_range", X, lambda x: x[:, L(-4)])
get("indices_do_not_broadcast", Y, lambda x: x[L(0, 1), L(0, 1, 2)])
get("mask_wrong_shape", X, lambda x: x[:, torch.tensor([True, False])])

# Assignments.
put("set_int", X, lambda x: x.__setitem__(1, 0.5))
put("set_range_broadcast", X, lambda x: x.__setitem__((slice(None), 1), torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)))
put("set_step", X, lambda x: x.__setitem__((..., slice(None, None, 2)), -1.0))
put("set_index", X, lambda x: x.__setitem__((slice(None), L(2, 0)), torch.tensor([[9.0], [8.0]], dtype=torch.float64)))
put("set_two_indices", Y, lambda x: x.__setitem__((L(0, 1), L(2, 0), L(3, 1)), torch.tensor([[-1.0] * 5, [-2.0] * 5], dtype=torch.float64)))
put("set_mask", X, lambda x: x.__setitem__(x > 2, 0.0))
put("set_int64_exact", I, lambda x: x.__setitem__((L(1), 2), 2 ** 62 + 1))
put("set_leading_ones", X, lambda x: x.__setitem__(0, torch.ones(1, 1, 3, 4, dtype=torch.float64)))
put("set_index_leading_ones", X, lambda x: x.__setitem__((slice(None), L(2, 0)), torch.full((1, 2, 1, 4), 3.0, dtype=torch.float64)))
put("set_shape_mismatch", X, lambda x: x.__setitem__((slice(None), 1), torch.ones(3, dtype=torch.float64)))


def enc(t):
    dt = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    # int64 values as strings: JSON numbers become doubles, which cannot hold them all.
    data = [str(v) for v in t.reshape(-1).tolist()] if t.dtype == torch.int64 else [float(v) for v in t.detach().reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": dt, "data": data}


cases = []
for name, x, fn in GETS:
    c = {"name": name, "kind": "get", "input": enc(x)}
    inp = x.clone().requires_grad_(x.is_floating_point())
    try:
        y = fn(inp)
    except (IndexError, RuntimeError, ValueError) as e:
        c["error"] = True
        c["message"] = str(e).splitlines()[0][:200]
        cases.append(c)
        continue
    c["error"] = False
    c["output"] = enc(y)
    if x.is_floating_point():
        up = torch.randn(y.shape, generator=gen, dtype=torch.float64)
        (y * up).sum().backward()
        c["upstream"] = enc(up)
        c["grad"] = enc(inp.grad)
    cases.append(c)

for name, x, fn in SETS:
    c = {"name": name, "kind": "set", "input": enc(x)}
    y = x.clone()
    try:
        fn(y)
    except (IndexError, RuntimeError, ValueError) as e:
        c["error"] = True
        c["message"] = str(e).splitlines()[0][:200]
        cases.append(c)
        continue
    c["error"] = False
    c["output"] = enc(y)
    cases.append(c)

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor", "indexing.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
