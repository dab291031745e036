#!/usr/bin/env python3
"""PyTorch's F.embedding_bag for Tests/NNTests/EmbeddingBagTests.swift: Tests/Fixtures/nn/embedding_bag.json.

Each case: a Float64 table, int64 input (2-D bags, or 1-D with offsets), the mode, per-sample weights,
include_last_offset and padding_idx; PyTorch's output and the gradients of sum(output · w) with respect
to the table and the per-sample weights, for fixed weights w.

    /tmp/torchenv/bin/python scripts/make_embedding_bag_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

g = torch.Generator().manual_seed(5)


def enc(t):
    return {"shape": list(t.shape), "dtype": {torch.float64: "float64", torch.int64: "int64"}[t.dtype],
            "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


CASES = []


def case(name, input, offsets=None, mode="mean", psw=False, include_last_offset=False, padding_idx=None, rows=7, dim=3):
    weight = torch.randn(rows, dim, generator=g, dtype=torch.float64)
    if padding_idx is not None:
        weight[padding_idx] = 0
    input = torch.tensor(input, dtype=torch.int64)
    offsets = None if offsets is None else torch.tensor(offsets, dtype=torch.int64)
    weights = (torch.rand(input.shape, generator=g, dtype=torch.float64) + 0.5) if psw else None
    w = weight.clone().requires_grad_()
    p = weights.clone().requires_grad_() if psw else None
    y = F.embedding_bag(input, w, offsets, mode=mode, per_sample_weights=p, include_last_offset=include_last_offset,
                        padding_idx=padding_idx)
    up = (torch.arange(y.numel(), dtype=torch.float64).reshape(y.shape) % 5 + 1) / 3
    (y * up).sum().backward()
    c = {"name": name, "weight": enc(weight), "input": enc(input), "mode": mode, "includeLastOffset": include_last_offset,
         "output": enc(y), "gradWeight": enc(w.grad)}
    if offsets is not None:
        c["offsets"] = enc(offsets)
    if psw:
        c["perSampleWeights"] = enc(weights)
        c["gradPerSampleWeights"] = enc(p.grad)
    if padding_idx is not None:
        c["paddingIdx"] = padding_idx
    CASES.append(c)


case("bags_2d_mean", [[1, 2, 4], [4, 3, 2]])
case("bags_2d_sum", [[1, 2, 4], [4, 3, 2]], mode="sum")
case("bags_2d_max", [[1, 2, 4], [4, 3, 2]], mode="max")
case("offsets_mean", [1, 2, 4, 5, 4, 3, 2, 0], offsets=[0, 3, 4], mode="mean")
case("offsets_sum_weights", [1, 2, 4, 5, 4, 3, 2, 0], offsets=[0, 3, 4], mode="sum", psw=True)
case("offsets_max_empty_bag", [1, 2, 4, 5, 4, 3], offsets=[0, 2, 2, 5], mode="max")
case("offsets_mean_empty_bag", [1, 2, 4, 5, 4, 3], offsets=[0, 2, 2, 5], mode="mean")
case("include_last_offset", [1, 2, 4, 5, 4, 3, 6], offsets=[0, 2, 5, 7], mode="sum", include_last_offset=True)
case("padding_mean", [[1, 0, 4], [0, 0, 0], [2, 2, 0]], mode="mean", padding_idx=0)
case("padding_max", [[1, 0, 4], [0, 0, 0], [2, 2, 0]], mode="max", padding_idx=0)
case("padding_sum_offsets_weights", [1, 0, 4, 0, 3], offsets=[0, 3], mode="sum", psw=True, padding_idx=0)
case("negative_padding", [[1, 6, 4], [6, 3, 2]], mode="mean", padding_idx=-1)

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "nn", "embedding_bag.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": CASES}, f)
print(f"wrote {len(CASES)} cases to {os.path.normpath(path)}")
