#!/usr/bin/env python3
"""Writes Tests/Fixtures/training/linreg.json: PyTorch's run of the seed example (y = 2x + 1, nn.Linear(1, 1),
MSELoss, SGD lr 0.01, 1000 steps): the data, the initial weights, the loss at some steps and the final weights.

    /tmp/torchenv/bin/python scripts/make_training_fixtures.py
"""
import json, os
import torch

torch.manual_seed(0)
x = torch.randn(100, 1)
y = 2 * x + 1
model = torch.nn.Linear(1, 1)
w0, b0 = model.weight.detach().clone(), model.bias.detach().clone()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
crit = torch.nn.MSELoss()
losses = {}
for step in range(1, 1001):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    if step in (1, 10, 100, 1000):
        losses[str(step)] = loss.item()

enc = lambda t: {"shape": list(t.shape), "dtype": "float32", "data": t.reshape(-1).tolist()}
out = {"x": enc(x), "weight0": enc(w0), "bias0": enc(b0), "losses": losses,
       "weight": model.weight.item(), "bias": model.bias.item()}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "training", "linreg.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
json.dump(out, open(path, "w"))
print("wrote", os.path.normpath(path), "final", out["weight"], out["bias"])
