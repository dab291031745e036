#!/usr/bin/env python3
"""Writes Tests/Fixtures/autograd/hvp.json: a Hessian-vector product of a small MLP's loss, from PyTorch.

MLP 3-5-2 with tanh, mean squared error; the HVP is d/dθ (∇θ L · v) for a fixed direction v.

    /tmp/torchenv/bin/python scripts/make_autograd_fixtures.py
"""
import json, os
import torch

g = torch.Generator().manual_seed(99)
def rn(*s): return torch.randn(*s, generator=g, dtype=torch.float64)

params = {"w1": rn(5, 3) * 0.7, "b1": rn(5) * 0.1, "w2": rn(2, 5) * 0.7, "b2": rn(2) * 0.1}
x, y = rn(6, 3), rn(6, 2)
v = {k: rn(*t.shape) for k, t in params.items()}

p = {k: t.clone().requires_grad_() for k, t in params.items()}
names = ["w1", "b1", "w2", "b2"]
def loss_fn():
    h = torch.tanh(x @ p["w1"].T + p["b1"])
    return ((h @ p["w2"].T + p["b2"] - y) ** 2).mean()
loss = loss_fn()
grads = torch.autograd.grad(loss, [p[k] for k in names], create_graph=True)
dot = sum((gr * v[k]).sum() for gr, k in zip(grads, names))
hvp = torch.autograd.grad(dot, [p[k] for k in names])

enc = lambda t: {"shape": list(t.shape), "dtype": "float64", "data": t.detach().reshape(-1).tolist()}
out = {"params": {k: enc(params[k]) for k in names}, "x": enc(x), "y": enc(y),
       "v": {k: enc(v[k]) for k in names}, "loss": loss.item(),
       "grad": {k: enc(gr) for k, gr in zip(names, grads)}, "hvp": {k: enc(h) for k, h in zip(names, hvp)}}
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "autograd", "hvp.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
json.dump(out, open(path, "w"))
print("wrote", os.path.normpath(path))
