#!/usr/bin/env python3
"""PyTorch's weight averaging (torch.optim.swa_utils) on a small model with batch normalization, for
Tests/OptimTests/AveragedModelTests.swift: Tests/Fixtures/optim/averaging.json.

A Float64 model Linear(3, 5) -> BatchNorm1d(5) -> ReLU -> Linear(5, 2) trains 6 SGD steps (momentum 0.9)
on fixed data with MSE. From step 2 on, after each optimizer step, an equal-weight average (SWA), an
exponential average (decay 0.8) and an exponential average of the buffers too are updated, and SWALR
(0.05, 2 anneal epochs) steps. At the end, update_bn recomputes the SWA copy's statistics over two
batches. Recorded: the initial state, the data, the learning rates, and each average's state.

    /tmp/torchenv/bin/python scripts/make_averaging_fixtures.py
"""
import copy
import json
import os

import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn

torch.manual_seed(11)
model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)).double()
x = torch.randn(8, 3, dtype=torch.float64)
y = torch.randn(8, 2, dtype=torch.float64)


def enc(t):
    return {"shape": list(t.shape), "dtype": {torch.float64: "float64", torch.int64: "int64"}[t.dtype],
            "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def state(m):
    return {k: enc(v) for k, v in m.state_dict().items()}


initial = state(model)
swa = AveragedModel(model)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.8))
ema_buffers = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.8), use_buffers=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
swa_schedule = SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
lrs = [optimizer.param_groups[0]["lr"]]
for step in range(6):
    optimizer.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    optimizer.step()
    if step >= 2:
        for average in (swa, ema, ema_buffers):
            average.update_parameters(model)
        swa_schedule.step()
    lrs.append(optimizer.param_groups[0]["lr"])

before_bn = state(swa)
update_bn([x[:4], x[4:]], swa)
out = {"torch": torch.__version__, "initial": initial, "x": enc(x), "y": enc(y), "lrs": lrs,
       "model": state(model), "swa": before_bn, "swaAfterUpdateBN": state(swa), "ema": state(ema),
       "emaBuffers": state(ema_buffers)}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "optim", "averaging.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
