"""Reference trajectories for Gradus optimizers, learning-rate schedules and gradient clipping,
computed by PyTorch. Writes Tests/Fixtures/optim/{optimizers,schedules,clipping}.json.

Optimizers: two parameters (shapes [3] and [2, 2]); at step k the gradient of element j of a
parameter is a_j·(θ_j − c_j) + 0.1·cos(0.7·k + j), computed in float64 and cast to the parameter's
dtype. The parameters after each of 20 steps are recorded.

Schedules: learning rates of SGD with two groups under each schedule ("cases" of schedules.json), and
OneCycleLR cycling SGD's momentum and Adam's beta1 with the parameters after each step
("momentumCycles").

Run: /tmp/torchenv/bin/python scripts/make_optim_fixtures.py

The committed optimizers.json keeps its first 29 cases as first recorded: a rerun on another machine
(same PyTorch, other vector kernels) moves three of them by one ulp, so the NAdam and RAdam cases were
appended to the committed ones rather than rewriting the file.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "optim")

TORCH_NAMES = {"weightDecay": "weight_decay", "lrDecay": "lr_decay",
               "initialAccumulatorValue": "initial_accumulator_value", "momentumDecay": "momentum_decay",
               "decoupledWeightDecay": "decoupled_weight_decay"}
BOOLS = {"nesterov", "maximize", "amsgrad", "centered", "decoupledWeightDecay"}


def torch_options(opts):
    out = {}
    for k, v in opts.items():
        if k in ("beta1", "beta2"):
            b = out.get("betas", [0.9, 0.999])
            b[0 if k == "beta1" else 1] = v
            out["betas"] = b
        elif k in BOOLS:
            out[TORCH_NAMES.get(k, k)] = bool(v)
        else:
            out[TORCH_NAMES.get(k, k)] = v
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    if "etaMinus" in out or "etaPlus" in out:
        out["etas"] = (out.pop("etaMinus", 0.5), out.pop("etaPlus", 1.2))
    if "stepSizeMin" in out or "stepSizeMax" in out:
        out["step_sizes"] = (out.pop("stepSizeMin", 1e-6), out.pop("stepSizeMax", 50.0))
    return out


CLASSES = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
           "Adagrad": torch.optim.Adagrad, "RMSprop": torch.optim.RMSprop,
           "Adadelta": torch.optim.Adadelta, "Adamax": torch.optim.Adamax, "NAdam": torch.optim.NAdam,
           "RAdam": torch.optim.RAdam, "Rprop": torch.optim.Rprop, "ASGD": torch.optim.ASGD}

init = [torch.randn(3, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64)]
scale = [torch.rand(3, dtype=torch.float64) + 0.5, torch.rand(2, 2, dtype=torch.float64) + 0.5]
center = [torch.randn(3, dtype=torch.float64), torch.randn(2, 2, dtype=torch.float64)]


def flat(x):
    return [float(v) for v in x.detach().reshape(-1).tolist()]


def gradient(p, a, c, k):
    j = torch.arange(p.numel(), dtype=torch.float64).reshape(p.shape)
    g = a * (p.detach().double() - c) + 0.1 * torch.cos(0.7 * k + j)
    return g.to(p.dtype)


def trajectory(name, defaults, groups=None, dtype="float64", steps=20):
    dt = getattr(torch, dtype)
    params = [p.clone().to(dt).requires_grad_(True) for p in init]
    if groups is None:
        opt = CLASSES[name](params, **torch_options(defaults))
    else:
        opt = CLASSES[name]([{"params": [params[i] for i in g["params"]], **torch_options(g["options"])}
                             for g in groups], **torch_options(defaults))
    traj = []
    for k in range(steps):
        opt.zero_grad()
        for p, a, c in zip(params, scale, center):
            p.grad = gradient(p, a, c, k)
        opt.step()
        traj.append([flat(p) for p in params])
    return {"optimizer": name, "options": defaults, "groups": groups, "dtype": dtype, "trajectory": traj}


configs = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": 1}), ("SGD", {"lr": 0.05, "maximize": 1, "momentum": 0.5}),
    ("Adam", {"lr": 0.05}), ("Adam", {"lr": 0.05, "amsgrad": 1}),
    ("Adam", {"lr": 0.05, "weightDecay": 0.1, "beta1": 0.8, "beta2": 0.99}), ("Adam", {"lr": 0.05, "maximize": 1}),
    ("Adam", {"lr": 0.05, "beta1": 0.3, "eps": 1e-3}),
    ("AdamW", {"lr": 0.05}), ("AdamW", {"lr": 0.05, "weightDecay": 0.1, "amsgrad": 1}),
    ("Adagrad", {"lr": 0.1}), ("Adagrad", {"lr": 0.1, "lrDecay": 0.01, "weightDecay": 0.1,
                                          "initialAccumulatorValue": 0.5}),
    ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": 1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": 1, "momentum": 0.5, "weightDecay": 0.1}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.95, "weightDecay": 0.1}),
    ("Adamax", {}), ("Adamax", {"lr": 0.05, "weightDecay": 0.1, "beta1": 0.8}),
]
cases = [trajectory(n, o) for n, o in configs]
# Parameter groups: the second parameter has its own options.
cases.append(trajectory("SGD", {"lr": 0.1, "momentum": 0.9},
                        groups=[{"params": [0], "options": {}},
                                {"params": [1], "options": {"lr": 0.05, "momentum": 0.5, "nesterov": 1}}]))
cases.append(trajectory("Adam", {"lr": 0.05},
                        groups=[{"params": [0], "options": {"amsgrad": 1}},
                                {"params": [1], "options": {"lr": 0.01, "weightDecay": 0.2}}]))
cases.append(trajectory("AdamW", {"lr": 0.05, "weightDecay": 0.05},
                        groups=[{"params": [1], "options": {"weightDecay": 0}}, {"params": [0], "options": {}}]))
cases.append(trajectory("RMSprop", {"lr": 0.01},
                        groups=[{"params": [0], "options": {"centered": 1}},
                                {"params": [1], "options": {"momentum": 0.9, "alpha": 0.95}}]))
# Float32 trajectories, compared within float32 tolerance.
cases.append(trajectory("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": 1}, dtype="float32"))
cases.append(trajectory("Adam", {"lr": 0.05}, dtype="float32"))
cases.append(trajectory("AdamW", {"lr": 0.05, "amsgrad": 1}, dtype="float32"))
# NAdam (its mu product is a float32 state tensor in PyTorch) and RAdam (both sides of the rectification
# threshold within 20 steps), with L2 or decoupled weight decay.
cases += [trajectory(n, o) for n, o in [
    ("NAdam", {}), ("NAdam", {"lr": 0.05, "weightDecay": 0.1, "momentumDecay": 0.01}),
    ("NAdam", {"lr": 0.05, "weightDecay": 0.1, "decoupledWeightDecay": 1, "maximize": 1, "beta1": 0.8}),
    ("RAdam", {"lr": 0.05}), ("RAdam", {"lr": 0.05, "weightDecay": 0.1, "beta2": 0.9}),
    ("RAdam", {"lr": 0.05, "weightDecay": 0.1, "decoupledWeightDecay": 1, "maximize": 1}),
]]
cases.append(trajectory("NAdam", {"lr": 0.05}, dtype="float32"))
cases.append(trajectory("RAdam", {"lr": 0.05}, dtype="float32"))
# Rprop: growing and shrinking step sizes (the fixture's gradients change sign), bounds that bind, a
# parameter group of its own, float32.
cases += [trajectory(n, o) for n, o in [
    ("Rprop", {}), ("Rprop", {"lr": 0.1, "etaMinus": 0.3, "etaPlus": 1.5, "stepSizeMin": 0.01, "stepSizeMax": 0.2}),
    ("Rprop", {"lr": 0.05, "maximize": 1}),
]]
cases.append(trajectory("Rprop", {"lr": 0.02}, groups=[{"params": [0], "options": {}},
                                                    {"params": [1], "options": {"lr": 0.2, "etaPlus": 2.0}}]))
cases.append(trajectory("Rprop", {"lr": 0.05}, dtype="float32"))
# ASGD: the default (averaging not started: t0 = 1e6), a decay strong enough to show within 20 steps with
# averaging from step 5, weight decay and maximize, two groups, float32.
cases += [trajectory(n, o) for n, o in [
    ("ASGD", {"lr": 0.05}), ("ASGD", {"lr": 0.1, "lambd": 0.05, "alpha": 0.5, "t0": 5}),
    ("ASGD", {"lr": 0.05, "weightDecay": 0.1, "maximize": 1, "t0": 3}),
]]
cases.append(trajectory("ASGD", {"lr": 0.02, "t0": 4}, groups=[{"params": [0], "options": {}},
                                                           {"params": [1], "options": {"lr": 0.1, "lambd": 0.01}}]))
cases.append(trajectory("ASGD", {"lr": 0.05, "t0": 2}, dtype="float32"))

with open(os.path.join(OUT, "optimizers.json"), "w") as f:
    json.dump({"torch": torch.__version__, "initial": [flat(p) for p in init],
               "shapes": [list(p.shape) for p in init], "scale": [flat(a) for a in scale],
               "center": [flat(c) for c in center], "cases": cases}, f)


# Schedules: SGD with two groups (lr 0.1 and 0.05); learning rates after construction and after each
# of 20 steps.
def schedule(name, make, options, metrics=None, steps=20):
    p1 = torch.zeros(1, requires_grad=True)
    p2 = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.05}], lr=0.1)
    sched = make(opt)
    lrs = [[g["lr"] for g in opt.param_groups]]
    for k in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        lrs.append([g["lr"] for g in opt.param_groups])
    return {"schedule": name, "options": options, "metrics": metrics, "lrs": lrs}


S = torch.optim.lr_scheduler


def after_cosine(o, make, steps=4):
    """Four steps of CosineAnnealingLR(T_max=10), then the schedule `make` builds from the rates reached."""
    cosine = S.CosineAnnealingLR(o, T_max=10)
    for _ in range(steps):
        o.step()
        cosine.step()
    return make()


def built_before_cosine(o, make, steps=4):
    """PyTorch's SWA recipe: CosineAnnealingLR(T_max=10) and then SWALR built at the start; four steps of
    the cosine only, then SWALR takes over from the rate the cosine reached."""
    cosine = S.CosineAnnealingLR(o, T_max=10)
    swa = make()
    for _ in range(steps):
        o.step()
        cosine.step()
    return swa

plateau_metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.4,
                   0.4, 0.4, 0.4, 0.4]
rising = [0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.30001, 0.3, 0.3, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
schedules = [
    schedule("StepLR", lambda o: S.StepLR(o, step_size=3, gamma=0.5), {"stepSize": 3, "gamma": 0.5}),
    schedule("MultiStepLR", lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
             {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    schedule("ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.9), {"gamma": 0.9}),
    schedule("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
             {"tMax": 8, "etaMin": 0.001}),
    schedule("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=20), {"tMax": 20, "etaMin": 0}),
    schedule("LinearLR", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=6),
             {"startFactor": 0.25, "endFactor": 1.0, "totalIters": 6}),
    schedule("LinearLR", lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10),
             {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 10}),
    schedule("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=25, cycle_momentum=False),
             {"maxLR": [1.0, 0.5], "totalSteps": 25}),
    schedule("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=0.8, total_steps=20, pct_start=0.25, div_factor=10,
                                                  final_div_factor=100, cycle_momentum=False),
             {"maxLR": [0.8, 0.8], "totalSteps": 20, "pctStart": 0.25, "divFactor": 10, "finalDivFactor": 100}),
    schedule("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=[0.6, 0.3], total_steps=20, three_phase=True,
                                                  anneal_strategy="linear", cycle_momentum=False),
             {"maxLR": [0.6, 0.3], "totalSteps": 20, "threePhase": 1, "annealStrategy": "linear"}),
    schedule("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=[0.6, 0.3], total_steps=22, three_phase=True,
                                                  cycle_momentum=False),
             {"maxLR": [0.6, 0.3], "totalSteps": 22, "threePhase": 1}),
    schedule("ReduceLROnPlateau", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2),
             {"mode": "min", "factor": 0.5, "patience": 2}, metrics=plateau_metrics),
    schedule("ReduceLROnPlateau",
             lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.01, cooldown=2,
                                           min_lr=[0.005, 0.004]),
             {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.01, "cooldown": 2,
              "minLR": [0.005, 0.004]}, metrics=rising),
    schedule("ReduceLROnPlateau",
             lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0.05, threshold_mode="abs"),
             {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.05, "thresholdMode": "abs"},
             metrics=plateau_metrics),
    schedule("ConstantLR", lambda o: S.ConstantLR(o, factor=0.5, total_iters=4), {"factor": 0.5, "totalIters": 4}),
    schedule("PolynomialLR", lambda o: S.PolynomialLR(o, total_iters=8, power=2.0), {"totalIters": 8, "power": 2}),
    schedule("LambdaLR", lambda o: S.LambdaLR(o, lr_lambda=lambda e: 0.9 ** e), {"lambda": "pow0.9"}),
    schedule("LambdaLR", lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.95 ** e]),
             {"lambda": "perGroup"}),
    schedule("MultiplicativeLR", lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.9 if e % 2 else 0.8),
             {"lambda": "alternate"}),
    schedule("CosineAnnealingWarmRestarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
             {"t0": 3, "tMult": 2, "etaMin": 0.001}),
    schedule("CosineAnnealingWarmRestarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4),
             {"t0": 4, "tMult": 1, "etaMin": 0}),
    schedule("SequentialLR", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                          S.CosineAnnealingLR(o, T_max=10)], milestones=[3]),
             {"sequence": "linear-cosine"}),
    schedule("SequentialLR", lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2),
                                                          S.ExponentialLR(o, gamma=0.9),
                                                          S.StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 6]),
             {"sequence": "constant-exponential-step"}),
    schedule("CyclicLR", lambda o: S.CyclicLR(o, base_lr=[0.01, 0.005], max_lr=[0.1, 0.05], step_size_up=4,
                                              cycle_momentum=False),
             {"baseLR": [0.01, 0.005], "maxLR": [0.1, 0.05], "stepSizeUp": 4, "mode": "triangular"}),
    schedule("CyclicLR", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5,
                                              mode="triangular2", cycle_momentum=False),
             {"baseLR": [0.01, 0.01], "maxLR": [0.1, 0.1], "stepSizeUp": 3, "stepSizeDown": 5, "mode": "triangular2"}),
    schedule("CyclicLR", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range",
                                              gamma=0.9, cycle_momentum=False),
             {"baseLR": [0.01, 0.01], "maxLR": [0.1, 0.1], "stepSizeUp": 2, "mode": "exp_range", "gamma": 0.9}),
    # SWALR: from the rates the optimizer has when it is built (also after another schedule moved them),
    # cosine or linear, per-group averaging rates, no anneal at all.
    schedule("SWALR", lambda o: torch.optim.swa_utils.SWALR(o, swa_lr=0.02, anneal_epochs=5),
             {"swaLR": [0.02, 0.02], "annealEpochs": 5, "annealStrategy": "cosine"}),
    schedule("SWALR", lambda o: torch.optim.swa_utils.SWALR(o, swa_lr=[0.01, 0.2], anneal_epochs=4, anneal_strategy="linear"),
             {"swaLR": [0.01, 0.2], "annealEpochs": 4, "annealStrategy": "linear"}),
    schedule("SWALR", lambda o: torch.optim.swa_utils.SWALR(o, swa_lr=0.03, anneal_epochs=0),
             {"swaLR": [0.03, 0.03], "annealEpochs": 0, "annealStrategy": "cosine"}),
    schedule("SWALR", lambda o: after_cosine(o, lambda: torch.optim.swa_utils.SWALR(o, swa_lr=0.04, anneal_epochs=3)),
             {"swaLR": [0.04, 0.04], "annealEpochs": 3, "annealStrategy": "cosine", "afterCosineSteps": 4}),
    schedule("SWALR", lambda o: built_before_cosine(o, lambda: torch.optim.swa_utils.SWALR(o, swa_lr=0.02, anneal_epochs=3)),
             {"swaLR": [0.02, 0.02], "annealEpochs": 3, "annealStrategy": "cosine", "builtBeforeCosineSteps": 4}),
    # ChainedScheduler: PyTorch's example (a constant warm-up with an exponential decay), and a linear
    # warm-up with a step decay and a multi-step decay.
    schedule("ChainedScheduler", lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=2),
                                                                S.ExponentialLR(o, gamma=0.9)]),
             {"chain": "constant-exponential"}),
    schedule("ChainedScheduler", lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.25, total_iters=4),
                                                                S.StepLR(o, step_size=3, gamma=0.5),
                                                                S.MultiStepLR(o, milestones=[5, 12], gamma=0.7)]),
             {"chain": "linear-step-multistep"}),
]


# CyclicLR cycling SGD's momentum (PyTorch's default): the group's rate and momentum after construction
# and after each of 12 steps.
def cyclic_momentum():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, base_momentum=0.7, max_momentum=0.95)
    lrs, momentums = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(12):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        momentums.append(opt.param_groups[0]["momentum"])
    return {"lrs": lrs, "momentums": momentums}


# OneCycleLR with momentum cycling (PyTorch's default cycle_momentum=True): the optimizer's momentum
# (SGD) or beta1 (Adam) moves opposite to the rate, from maxMomentum down to baseMomentum while the
# rate rises, then back up. One group holding both optimizer-test parameters (float64), with the
# optimizer tests' gradients (see `gradient`); "lrs" and "momentums" are the group's values after
# construction and after each step (so each has totalSteps + 1 entries), "trajectory" the parameters
# after each step. Kept apart from "cases", whose runs use a two-group SGD without momentum.
def cycled_momentum(name, optimizer_options, options, steps):
    params = [p.clone().requires_grad_(True) for p in init]
    opt = CLASSES[name](params, **torch_options(optimizer_options))
    sched = S.OneCycleLR(opt, max_lr=options["maxLR"][0], total_steps=options["totalSteps"],
                         cycle_momentum=True, base_momentum=options["baseMomentum"],
                         max_momentum=options["maxMomentum"])
    key = "betas" if "betas" in opt.defaults else "momentum"

    def momentum():
        m = opt.param_groups[0][key]
        return [float(m[0] if key == "betas" else m)]

    lrs, momentums, traj = [[opt.param_groups[0]["lr"]]], [momentum()], []
    for k in range(steps):
        opt.zero_grad()
        for p, a, c in zip(params, scale, center):
            p.grad = gradient(p, a, c, k)
        opt.step()
        sched.step()
        lrs.append([opt.param_groups[0]["lr"]])
        momentums.append(momentum())
        traj.append([flat(p) for p in params])
    return {"schedule": "OneCycleLR", "optimizer": name, "optimizerOptions": optimizer_options,
            "options": options, "dtype": "float64", "lrs": lrs, "momentums": momentums, "trajectory": traj}


cycle_options = {"maxLR": [0.1], "totalSteps": 10, "cycleMomentum": 1, "baseMomentum": 0.85, "maxMomentum": 0.95}
momentum_cycles = [
    cycled_momentum("SGD", {"lr": 0.1, "momentum": 0.9}, cycle_options, steps=10),
    cycled_momentum("Adam", {"lr": 0.1}, cycle_options, steps=10),
]

with open(os.path.join(OUT, "schedules.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": schedules, "momentumCycles": momentum_cycles,
               "cyclicMomentum": cyclic_momentum()}, f)

# Gradient clipping.
g1 = torch.randn(3, 4)
g2 = torch.randn(5)
clip = []
# Every norm PyTorch accepts: p = 0 counts the parameters with a non-zero gradient (the norm of the
# per-parameter counts), negative p and -inf; the last cases have exact zeros in the gradients, where
# negative p gives a zero norm (nothing clipped) and p = 0 skips a parameter whose gradient is all zero.
g1z = g1.clone(); g1z[0, 1] = 0.0
g2z = torch.zeros(5)
for kind, arg in [("norm", (1.0, 2.0)), ("norm", (0.5, float("inf"))), ("norm", (2.0, 1.0)), ("norm", (100.0, 2.0)),
                  ("value", 0.3), ("norm", (1.0, 3.0)), ("norm", (1.0, 0.5)), ("norm", (0.5, 0.0)), ("norm", (0.1, -1.0)),
                  ("norm", (0.2, float("-inf"))), ("zeros", (0.5, 0.0)), ("zeros", (0.1, -2.0)), ("zeros", (1.0, float("-inf")))]:
    a = torch.zeros(3, 4, requires_grad=True)
    b = torch.zeros(5, requires_grad=True)
    grads = (g1z, g2z) if kind == "zeros" else (g1, g2)
    kind = "norm" if kind == "zeros" else kind
    a.grad = grads[0].clone()
    b.grad = grads[1].clone()
    case = {"kind": kind, "grads": [flat(grads[0]), flat(grads[1])]}
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=arg[0], norm_type=arg[1])
        case.update({"maxNorm": arg[0], "normType": str(arg[1]), "total": float(total)})
    else:
        torch.nn.utils.clip_grad_value_([a, b], clip_value=arg)
        case["clipValue"] = arg
    case["clipped"] = [flat(a.grad), flat(b.grad)]
    clip.append(case)
with open(os.path.join(OUT, "clipping.json"), "w") as f:
    json.dump({"torch": torch.__version__, "shapes": [[3, 4], [5]], "cases": clip}, f)
print(len(cases), "optimizer cases,", len(schedules), "schedules,", len(momentum_cycles), "momentum cycles,",
      len(clip), "clipping cases")
