"""Reference values for Gradus losses: value and input gradient of each loss for every reduction and
option, computed by PyTorch in float32 on fixed inputs. Writes Tests/Fixtures/losses/losses.json.

Run: /tmp/torchenv/bin/python scripts/make_loss_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "losses", "losses.json")


def t(x):
    return {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
            "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


cases = []


def add(name, loss, fn, inp, target, reduction, **opts):
    x = inp.clone().requires_grad_(True)
    out = fn(x, target)
    if reduction == "none":
        upstream = torch.rand(out.shape) + 0.5
        out.backward(upstream)
    else:
        upstream = None
        out.backward()
    case = {"name": name, "loss": loss, "reduction": reduction, "input": t(inp), "target": t(target),
            "value": t(out), "grad": t(x.grad)}
    if upstream is not None:
        case["upstream"] = t(upstream)
    for k, v in opts.items():
        case[k] = t(v) if isinstance(v, torch.Tensor) else v
    cases.append(case)


x = torch.randn(4, 3)
y = torch.randn(4, 3)
y[0, 0] = x[0, 0] + 0.3  # inside the quadratic zone of smooth L1 / Huber for small betas
for r in ["mean", "sum", "none"]:
    add(f"mse_{r}", "mse", lambda a, b: F.mse_loss(a, b, reduction=r), x, y, r)
    add(f"l1_{r}", "l1", lambda a, b: F.l1_loss(a, b, reduction=r), x, y, r)
    for beta in [1.0, 0.5, 0.0]:
        add(f"smoothl1_{beta}_{r}", "smoothl1", lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=beta), x, y, r, beta=beta)
    for delta in [1.0, 0.7]:
        add(f"huber_{delta}_{r}", "huber", lambda a, b: F.huber_loss(a, b, reduction=r, delta=delta), x, y, r, delta=delta)

    p = torch.rand(4, 3) * 0.9 + 0.05
    p[0, 0] = 1.0 - 1e-7  # near saturation; log(1 - x) is not clamped here but large
    q = torch.rand(4, 3)
    bw = torch.rand(3) + 0.5
    add(f"bce_{r}", "bce", lambda a, b: F.binary_cross_entropy(a, b, reduction=r), p, q, r)
    add(f"bce_weight_{r}", "bce", lambda a, b: F.binary_cross_entropy(a, b, weight=bw, reduction=r), p, q, r, weight=bw)

    logits = torch.randn(4, 3) * 3
    logits[1, 2] = 40.0   # large positive and negative logits test stability
    logits[2, 0] = -40.0
    pw = torch.tensor([2.0, 0.5, 3.0])
    add(f"bcelogits_{r}", "bcelogits", lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), logits, q, r)
    add(f"bcelogits_pos_{r}", "bcelogits",
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=bw, pos_weight=pw, reduction=r), logits, q, r,
        weight=bw, posWeight=pw)

    z = torch.randn(6, 5) * 2
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    cw = torch.rand(5) + 0.3
    add(f"ce_{r}", "ce", lambda a, b: F.cross_entropy(a, b, reduction=r), z, labels, r)
    add(f"ce_weight_{r}", "ce", lambda a, b: F.cross_entropy(a, b, weight=cw, reduction=r), z, labels, r, weight=cw)
    ignored = labels.clone()
    ignored[1] = -100
    ignored[4] = -100
    add(f"ce_ignore_{r}", "ce", lambda a, b: F.cross_entropy(a, b, reduction=r), z, ignored, r)
    ignored7 = labels.clone()
    ignored7[3] = 7
    add(f"ce_ignore7_weight_smooth_{r}", "ce",
        lambda a, b: F.cross_entropy(a, b, weight=cw, ignore_index=7, label_smoothing=0.2, reduction=r),
        z, ignored7, r, weight=cw, ignoreIndex=7, labelSmoothing=0.2)
    add(f"ce_smooth_{r}", "ce", lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1, reduction=r), z, labels, r,
        labelSmoothing=0.1)
    add(f"ce_weight_smooth_{r}", "ce",
        lambda a, b: F.cross_entropy(a, b, weight=cw, label_smoothing=0.3, reduction=r), z, labels, r,
        weight=cw, labelSmoothing=0.3)
    z4 = torch.randn(2, 3, 2, 2)
    l4 = torch.randint(0, 3, (2, 2, 2))
    add(f"ce_spatial_{r}", "ce", lambda a, b: F.cross_entropy(a, b, reduction=r), z4, l4, r)
    probs = torch.softmax(torch.randn(6, 5), dim=1)
    add(f"ce_probs_{r}", "ce", lambda a, b: F.cross_entropy(a, b, reduction=r), z, probs, r)
    add(f"ce_probs_weight_smooth_{r}", "ce",
        lambda a, b: F.cross_entropy(a, b, weight=cw, label_smoothing=0.2, reduction=r), z, probs, r,
        weight=cw, labelSmoothing=0.2)

    lp = torch.log_softmax(z, dim=1)
    add(f"nll_{r}", "nll", lambda a, b: F.nll_loss(a, b, reduction=r), lp, labels, r)
    add(f"nll_weight_ignore_{r}", "nll", lambda a, b: F.nll_loss(a, b, weight=cw, ignore_index=7, reduction=r),
        lp, ignored7, r, weight=cw, ignoreIndex=7)

    tp = probs.clone()
    tp[0, 1] = 0.0  # a zero target probability contributes 0
    for kr in [r] + (["batchmean"] if r == "mean" else []):
        add(f"kl_{kr}", "kl", lambda a, b: F.kl_div(a, b, reduction=kr), lp, tp, kr)
        add(f"kl_log_{kr}", "kl", lambda a, b: F.kl_div(a, b, reduction=kr, log_target=True), lp,
            torch.log_softmax(torch.randn(6, 5), dim=1), kr, logTarget=True)

    x1 = torch.randn(7)
    x2 = torch.randn(7)
    ym = torch.tensor([1.0, -1, 1, 1, -1, -1, 1])
    add(f"margin_{r}", "margin", lambda a, b: F.margin_ranking_loss(a, x2, b, margin=0.3, reduction=r), x1, ym, r,
        other=x2, margin=0.3)

# Losses added later, on a generator of their own (the cases above stay as they were recorded).
g2 = torch.Generator().manual_seed(2024)


def rn(*shape):
    return torch.randn(*shape, generator=g2)


rates = rn(4, 3)
counts = torch.tensor([[0.0, 2.0, 5.0], [1.0, 0.5, 3.0], [4.0, 0.0, 1.5], [2.5, 7.0, 0.0]])
pos_rates = torch.rand(4, 3, generator=g2) * 3 + 0.1
means, observed = rn(4, 3), rn(4, 3)
variances = torch.rand(4, 3, generator=g2) + 0.2
variances[0, 0] = 1e-9  # clamped to eps, the gradient passing through
sample_variances = torch.rand(4, generator=g2) + 0.2
signs = torch.tensor([[1.0, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])
distances = torch.rand(4, 3, generator=g2) * 2
distances[1, 1] = 0.999  # just inside the margin of 1
multilabel = torch.tensor([[1.0, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]])
class_weight = torch.rand(3, generator=g2) + 0.5
scores = rn(5, 4)
labels5 = torch.tensor([2, 0, 3, 3, 1])
lists = torch.tensor([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3], [-1, 2, 1, 0], [2, 2, -1, 0]])
for r in ["mean", "sum", "none"]:
    add(f"poisson_log_{r}", "poisson", lambda a, b: F.poisson_nll_loss(a, b, reduction=r), rates, counts, r, logInput=True)
    add(f"poisson_rate_full_{r}", "poisson", lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True, reduction=r),
        pos_rates, counts, r, logInput=False, full=True)
    add(f"gaussian_{r}", "gaussian", lambda a, b: F.gaussian_nll_loss(a, b, variances, reduction=r), means, observed, r,
        other=variances)
    add(f"gaussian_full_per_sample_{r}", "gaussian",
        lambda a, b: F.gaussian_nll_loss(a, b, sample_variances, full=True, reduction=r), means, observed, r,
        other=sample_variances, full=True)
    add(f"soft_margin_{r}", "soft_margin", lambda a, b: F.soft_margin_loss(a, b, reduction=r), rates, signs, r)
    add(f"multilabel_soft_margin_{r}", "multilabel_soft_margin",
        lambda a, b: F.multilabel_soft_margin_loss(a, b, weight=class_weight, reduction=r), rates, multilabel, r,
        weight=class_weight)
    add(f"hinge_embedding_{r}", "hinge_embedding", lambda a, b: F.hinge_embedding_loss(a, b, margin=1.0, reduction=r),
        distances, signs, r, margin=1.0)
    add(f"multi_margin_{r}", "multi_margin", lambda a, b: F.multi_margin_loss(a, b, reduction=r), scores, labels5, r,
        p=1, margin=1.0)
    add(f"multi_margin_p2_weight_{r}", "multi_margin",
        lambda a, b: F.multi_margin_loss(a, b, p=2, margin=0.5, weight=class_weight.repeat(2)[:4], reduction=r),
        scores, labels5, r, p=2, margin=0.5, weight=class_weight.repeat(2)[:4])
    add(f"multilabel_margin_{r}", "multilabel_margin", lambda a, b: F.multilabel_margin_loss(a, b, reduction=r),
        scores, lists, r)

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(len(cases), "cases written to", OUT)
