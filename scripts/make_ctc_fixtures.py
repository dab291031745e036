#!/usr/bin/env python3
"""PyTorch's CTC loss (F.ctc_loss) for Tests/LossTests/CTCLossTests.swift: Tests/Fixtures/losses/ctc.json.

Each case: logits x (Float64) whose log-softmax over the classes is the loss's input, the targets
(padded [N, S], concatenated, or one sequence), lengths, blank, reduction and zero_infinity; PyTorch's
loss, the gradient with respect to x through the log-softmax, and the gradient with respect to the
log-probabilities themselves (PyTorch's exp(log p) − γ), for an upstream gradient of ones (or a given
vector for reduction 'none').

    /tmp/torchenv/bin/python scripts/make_ctc_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

g = torch.Generator().manual_seed(7)


def enc(t):
    return {"shape": list(t.shape), "dtype": {torch.float64: "float64", torch.float32: "float32", torch.int64: "int64"}[t.dtype],
            "data": [v if math.isfinite(v) else str(v) for v in (float(u) for u in t.detach().reshape(-1).tolist())]}


def case(name, shape, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False,
         dtype=torch.float64):
    x = torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
    xs = x.clone().requires_grad_()
    lp = xs.log_softmax(-1)
    loss = F.ctc_loss(lp, targets, input_lengths, target_lengths, blank=blank, reduction=reduction,
                      zero_infinity=zero_infinity)
    up = (torch.rand(loss.shape, generator=g, dtype=torch.float64) + 0.5 if reduction == "none"
          else torch.ones((), dtype=torch.float64)).to(dtype)
    (loss * up).sum().backward()
    leaf = x.log_softmax(-1).detach().requires_grad_()
    loss2 = F.ctc_loss(leaf, targets, input_lengths, target_lengths, blank=blank, reduction=reduction,
                       zero_infinity=zero_infinity)
    (loss2 * up).sum().backward()
    return {"name": name, "dtype": str(dtype).replace("torch.", ""), "x": enc(x), "targets": enc(targets), "inputLengths": list(input_lengths),
            "targetLengths": list(target_lengths), "blank": blank, "reduction": reduction, "zeroInfinity": zero_infinity,
            "upstream": enc(up), "loss": enc(loss), "gradX": enc(xs.grad), "gradLogProbs": enc(leaf.grad)}


L = lambda v: torch.tensor(v, dtype=torch.int64)
cases = [
    case("padded_mean", (6, 2, 4), L([[1, 2, 2], [3, 1, 0]]), [6, 5], [3, 2]),
    case("concatenated_sum_blank_last", (7, 3, 5), L([0, 1, 2, 2, 1, 3, 0]), [7, 6, 7], [3, 1, 3], blank=4, reduction="sum"),
    case("repeats_and_impossible_none", (5, 2, 3), L([[1, 1, 1], [2, 2, 2]]), [5, 4], [3, 3], reduction="none"),
    case("zero_infinity_mean", (4, 2, 3), L([[1, 2, 1], [2, 2, 0]]), [4, 3], [3, 2], zero_infinity=True),
    case("unbatched", (5, 4), L([3, 1]), [5], [2]),
    case("empty_target_and_short_input", (4, 3, 3), L([[1, 0], [0, 0], [2, 2]]), [4, 2, 1], [1, 0, 0], reduction="none"),
    case("zero_infinity_impossible_sum", (3, 2, 3), L([[1, 1, 2], [2, 1, 0]]), [3, 3], [3, 2], reduction="sum",
         zero_infinity=True),
    case("input_length_zero_none", (3, 3, 3), L([[1], [0], [2]]), [0, 0, 3], [1, 0, 1], reduction="none"),
    case("float32_mean", (8, 2, 5), L([[1, 2, 3], [4, 4, 0]]), [8, 7], [3, 2], dtype=torch.float32),
    case("long_sequence", (40, 2, 6), L([[1, 2, 3, 4, 5, 1, 2, 3], [5, 5, 4, 4, 3, 3, 0, 0]]), [40, 33], [8, 6]),
]
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "losses", "ctc.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print("wrote", len(cases), "cases to", os.path.normpath(path))
for c in cases:
    print(c["name"], c["loss"]["data"][:4])
