#!/usr/bin/env python3
"""Reference values for Gradus's probability distributions (torch.distributions), computed by PyTorch in
Float64, written to Tests/Fixtures/distributions/distributions.json.

Each case: the kind and parameters, a value, and what PyTorch gives for log_prob, entropy, mean, variance
(cdf and icdf where defined), and the gradients of log_prob(value).sum() + entropy().sum() with respect
to every parameter. KL cases: both distributions, kl_divergence(p, q) and its gradients with respect to
the parameters of both. Edges: values at the support's bounds (Uniform's high has density 0), classes
and outcomes of probability 0 (infinite divergences), saturated logits, broadcast values.

Run: /tmp/torchenv/bin/python scripts/make_distribution_fixtures.py
"""
import json
import os
import sys

import torch
import torch.distributions as D

sys.path.insert(0, os.path.dirname(__file__))
from nonfinite_json import encode  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "distributions")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
f64 = torch.float64


def t(values):
    return torch.tensor(values, dtype=f64)


def make(kind, params):
    leaves = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in params.items()}
    ctor = {"normal": lambda p: D.Normal(p["loc"], p["scale"]),
            "uniform": lambda p: D.Uniform(p["low"], p["high"]),
            "bernoulli_probs": lambda p: D.Bernoulli(probs=p["probs"]),
            "bernoulli_logits": lambda p: D.Bernoulli(logits=p["logits"]),
            "categorical_probs": lambda p: D.Categorical(probs=p["probs"]),
            "categorical_logits": lambda p: D.Categorical(logits=p["logits"]),
            "independent_normal": lambda p: D.Independent(D.Normal(p["loc"], p["scale"]), 1)}[kind]
    return ctor(leaves), leaves


def case(name, kind, params, value, icdf=None):
    d, leaves = make(kind, params)
    lp = d.log_prob(value)
    ent = d.entropy()
    total = lp.sum() + ent.sum()
    finite = torch.isfinite(total)
    grads = {}
    if finite:
        gs = torch.autograd.grad(total, list(leaves.values()), allow_unused=True)
        grads = {k: encode(g if g is not None else torch.zeros_like(leaves[k])) for k, g in zip(leaves, gs)}
    doc = {"name": name, "kind": kind, "params": {k: encode(v) for k, v in params.items()}, "value": encode(value),
           "logProb": encode(lp), "entropy": encode(ent), "grads": grads,
           "batchShape": list(d.batch_shape), "eventShape": list(d.event_shape)}
    if kind not in ("categorical_probs", "categorical_logits"):
        doc["mean"] = encode(d.mean)
        doc["variance"] = encode(d.variance)
    if kind in ("normal", "uniform"):
        doc["cdf"] = encode(d.cdf(value))
        if icdf is not None:
            doc["icdf"] = {"input": encode(icdf), "output": encode(d.icdf(icdf))}
    cases.append(doc)


def kl_case(name, p_kind, p_params, q_kind, q_params):
    p, p_leaves = make(p_kind, p_params)
    q, q_leaves = make(q_kind, q_params)
    kl = D.kl_divergence(p, q)
    grads = {}
    if torch.isfinite(kl).all():
        leaves = {**{"p." + k: v for k, v in p_leaves.items()}, **{"q." + k: v for k, v in q_leaves.items()}}
        gs = torch.autograd.grad(kl.sum(), list(leaves.values()), allow_unused=True)
        grads = {k: encode(g if g is not None else torch.zeros_like(leaves[k])) for k, g in zip(leaves, gs)}
    kl_cases.append({"name": name, "p": {"kind": p_kind, "params": {k: encode(v) for k, v in p_params.items()}},
                     "q": {"kind": q_kind, "params": {k: encode(v) for k, v in q_params.items()}},
                     "kl": encode(kl), "grads": grads})


cases, kl_cases = [], []
r = lambda *s: torch.randn(*s, dtype=f64)  # noqa: E731
case("normal", "normal", {"loc": r(3), "scale": torch.rand(3, dtype=f64) + 0.2}, r(4, 3), icdf=t([0.0, 0.25, 0.975]))
case("normal_broadcast", "normal", {"loc": r(2, 1), "scale": t([0.5, 2.0, 1e-3])}, r(2, 3))
case("normal_huge_and_tiny", "normal", {"loc": t([1e6, -1e-8]), "scale": t([1e3, 1e-6])}, t([1e6 + 10, 0.0]))
case("uniform", "uniform", {"low": t([-1.0, 0.0, 2.0]), "high": t([1.0, 0.5, 2.5])}, t([0.3, 0.0, 2.5]),
     icdf=t([0.5, 0.0, 1.0]))
case("uniform_broadcast", "uniform", {"low": t([0.0]), "high": t([[1.0], [4.0]])}, t([[0.5], [3.9]]))
case("bernoulli_probs", "bernoulli_probs", {"probs": t([0.2, 0.5, 0.9, 0.0, 1.0])}, t([1.0, 0.0, 1.0, 0.0, 1.0]))
case("bernoulli_logits", "bernoulli_logits", {"logits": t([-3.0, 0.0, 2.5, 40.0, -40.0])}, t([0.0, 1.0, 1.0, 1.0, 0.0]))
case("bernoulli_broadcast_value", "bernoulli_logits", {"logits": r(3)}, t([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
case("categorical_probs", "categorical_probs", {"probs": t([[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]])}, torch.tensor([2, 0]))
case("categorical_zero_class", "categorical_probs", {"probs": t([[0.0, 0.4, 0.6]])}, torch.tensor([[1], [2]]))
case("categorical_logits", "categorical_logits", {"logits": r(2, 4) * 3}, torch.tensor([[3, 0], [1, 1], [0, 2]]))
case("categorical_logits_neg_inf", "categorical_logits", {"logits": t([[0.0, float("-inf"), 1.0]])}, torch.tensor([2]))
case("independent_normal", "independent_normal", {"loc": r(2, 3), "scale": torch.rand(2, 3, dtype=f64) + 0.5}, r(5, 2, 3))

kl_case("normal", "normal", {"loc": r(3), "scale": torch.rand(3, dtype=f64) + 0.2},
        "normal", {"loc": r(3), "scale": torch.rand(3, dtype=f64) + 0.2})
kl_case("bernoulli", "bernoulli_probs", {"probs": t([0.1, 0.5, 0.8])}, "bernoulli_logits", {"logits": t([0.3, -2.0, 1.0])})
kl_case("bernoulli_infinite", "bernoulli_probs", {"probs": t([0.3, 0.0, 1.0, 0.5])},
        "bernoulli_probs", {"probs": t([0.0, 0.0, 1.0, 1.0])})
kl_case("categorical", "categorical_logits", {"logits": r(2, 3)}, "categorical_probs", {"probs": t([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])})
kl_case("categorical_infinite", "categorical_probs", {"probs": t([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])},
        "categorical_probs", {"probs": t([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])})
kl_case("uniform", "uniform", {"low": t([0.0, 0.0]), "high": t([1.0, 2.0])}, "uniform", {"low": t([-1.0, 0.5]), "high": t([2.0, 3.0])})
kl_case("independent_normal", "independent_normal", {"loc": r(2, 4), "scale": torch.rand(2, 4, dtype=f64) + 0.5},
        "independent_normal", {"loc": r(2, 4), "scale": torch.rand(2, 4, dtype=f64) + 0.5})

with open(os.path.join(OUT, "distributions.json"), "w") as f:
    json.dump({"cases": cases, "kl": kl_cases}, f)
print("wrote", len(cases), "cases and", len(kl_cases), "divergences")
