#!/usr/bin/env python3
"""Optuna + PyTorch reference for `gradus tune` (docs/tuning.md, issue 16).

Optuna's TPE sampler and median pruner drive the PyTorch equivalent of the model `gradus tune` trains,
over the same search space, trial budget and epochs per trial, on the same data split exactly:

* data: the embedded digits (Sources/Gradus/Data/Resources/digits-*-ubyte.gz, IDX, pixels / 16,
  1,437 training / 360 test images split as Gradus splits them), or MNIST from --mnist FOLDER
  (the four IDX files, .gz or not; pixels / 255; 60,000 / 10,000);
* the validation part: --validation-fraction (default 0.2) of the training part, carved with Gradus's
  own seeded permutation (xoshiro256** seeded by SplitMix64, Swift's shuffle and Lemire's bounded
  integers are reimplemented below), so trials are scored on the same samples as Gradus's trials;
* features standardized with the training part's mean and (population) deviation for the digits, as
  `gradus train` does; MNIST pixels are used as they are (/ 255), as `gradus train` does;
* the model: Linear(d, hidden), ReLU, Linear(hidden, 10); Adam (PyTorch defaults but the learning
  rate), cosine annealing stepped per epoch over the trial's epochs, cross-entropy, shuffled batches;
* the search space (gradus tune's default): lr log-uniform in [1e-4, 1e-1], hidden in {64, 128, 256},
  batch size in {16, 32, 64} (categorical, as Gradus's `choice`);
* TPESampler(seed) with Optuna's defaults (10 random start-up trials, 24 candidates; since Optuna 5.0
  multivariate, as Gradus's TPESampler since then) and
  MedianPruner(n_startup_trials=5, n_warmup_steps=2): epochs are reported as steps 1, 2, ..., so
  pruning may start at epoch 2, as Gradus's MedianPruner(startupTrials: 5, warmupEpochs: 1);
* a trial's value is its last epoch's validation accuracy (as Gradus's trial score);
* after the study, the best configuration is retrained on the whole training part for its epochs
  and evaluated once on the test set.

For each --seeds value it prints the best validation accuracy, the retrained best's test accuracy,
and the wall time of the study (the retraining excluded, and also with it), then the spread over the
seeds; --json also writes every trial (values, state, per-epoch scores), to compare trial by trial.
The training seed, the split seed and the sampler seed are all the study's seed, as
`gradus tune --seed S` uses them.

Usage:
    /tmp/torchenv/bin/pip install optuna
    /tmp/torchenv/bin/python scripts/optuna_reference.py --trials 20 --epochs 5
    /tmp/torchenv/bin/python scripts/optuna_reference.py --trials 20 --epochs 5 --mnist ../shared/data/mnist --threads 2

The Gradus side of the comparison:
    for s in 0 1 2; do gradus tune --trials 20 --epochs 5 --seed $s --out runs/tune-digits-$s; done
    for s in 0 1 2; do gradus tune --data ../shared/data/mnist --trials 20 --epochs 5 --seed $s --out runs/tune-mnist-$s; done

--check-split prints the first indices of Gradus's split for seed 0 (compare with the Swift values in
docs/tuning.md) and exits.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESOURCES = os.path.join(ROOT, "Sources", "Gradus", "Data", "Resources")
MASK = (1 << 64) - 1


# --- Gradus's seeded permutation -------------------------------------------------------------------

def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class SeededGenerator:
    """Gradus's SeededGenerator: xoshiro256** seeded through SplitMix64."""

    def __init__(self, seed):
        s = seed & MASK
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B97F4A7C15) & MASK
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_below(self, bound):
        """Swift's RandomNumberGenerator.next(upperBound:): Lemire's nearly divisionless method."""
        m = self.next() * bound
        if (m & MASK) < bound:
            t = ((1 << 64) - bound) % bound
            while (m & MASK) < t:
                m = self.next() * bound
        return m >> 64


def randperm(n, seed):
    """Gradus's Tensor.randperm: Swift's MutableCollection.shuffle(using:) of 0..<n."""
    g = SeededGenerator(seed)
    a = list(range(n))
    amount, i = n, 0
    while amount > 1:
        r = g.next_below(amount)
        amount -= 1
        a[i], a[i + r] = a[i + r], a[i]
        i += 1
    return np.array(a, dtype=np.int64)


def split_indices(n, n_first, seed):
    order = randperm(n, seed)
    return order[:n_first], order[n_first:]


def validation_split(n, fraction, split_seed):
    """DataSpec.load's validation part: round(n * fraction) samples (at least 1), seed split_seed + 0x5EED."""
    n_val = max(1, int(math.floor(n * fraction + 0.5)))
    n_train = int(math.floor(float(n) * ((n - n_val) / n)))
    return split_indices(n, n_train, (split_seed + 0x5EED) & MASK)


# --- data -----------------------------------------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(folder, name):
    for candidate in (os.path.join(folder, name + ".gz"), os.path.join(folder, name)):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"{name}(.gz) not found in {folder}")


def load(mnist, split_seed):
    """The training and test parts as `gradus train` loads them: (x_train, y_train, x_test, y_test, standardize)."""
    if mnist:
        x_tr = read_idx(find(mnist, "train-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
        y_tr = read_idx(find(mnist, "train-labels-idx1-ubyte")).astype(np.int64)
        x_te = read_idx(find(mnist, "t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255
        y_te = read_idx(find(mnist, "t10k-labels-idx1-ubyte")).astype(np.int64)
        return x_tr, y_tr, x_te, y_te, False
    x = read_idx(os.path.join(RESOURCES, "digits-images-idx3-ubyte.gz")).reshape(-1, 64).astype(np.float32) / 16
    y = read_idx(os.path.join(RESOURCES, "digits-labels-idx1-ubyte.gz")).astype(np.int64)
    train, test = split_indices(len(y), 1437, split_seed)
    return x[train], y[train], x[test], y[test], True


def standardize(fit, *others):
    """Gradus's Standardizer: the mean and population deviation of `fit` (1 where it is 0)."""
    mean = fit.astype(np.float64).mean(axis=0)
    scale = fit.astype(np.float64).std(axis=0)
    scale[scale == 0] = 1
    return [((a - mean) / scale).astype(np.float32) for a in (fit,) + others]


# --- training -------------------------------------------------------------------------------------

def train(torch, x_tr, y_tr, x_ev, y_ev, lr, hidden, batch, epochs, seed, report=None):
    """Trains the MLP; returns the accuracy on (x_ev, y_ev) after the last epoch. `report(acc, epoch)`
    is called after every epoch (it may raise optuna.TrialPruned)."""
    nn = torch.nn
    torch.manual_seed(seed)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    xe, ye = torch.from_numpy(x_ev), torch.from_numpy(y_ev)
    model = nn.Sequential(nn.Linear(xt.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    generator = torch.Generator().manual_seed(seed)
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(yt), generator=generator)
        for start in range(0, len(yt), batch):
            idx = order[start:start + batch]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
        model.eval()
        with torch.no_grad():
            correct = 0
            for start in range(0, len(ye), 1024):
                correct += (model(xe[start:start + 1024]).argmax(1) == ye[start:start + 1024]).sum().item()
        accuracy = correct / len(ye)
        if report is not None:
            report(accuracy, epoch)
    return accuracy


def study(optuna, torch, args, seed):
    x_tr, y_tr, x_te, y_te, scale = load(args.mnist, seed)
    fit, val = validation_split(len(y_tr), args.validation_fraction, seed)
    x_fit, y_fit, x_val, y_val = x_tr[fit], y_tr[fit], x_tr[val], y_tr[val]
    if scale:
        x_fit, x_val = standardize(x_fit, x_val)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        hidden = int(trial.suggest_categorical("hidden", ["64", "128", "256"]))
        batch = int(trial.suggest_categorical("batch-size", ["16", "32", "64"]))

        def report(accuracy, epoch):
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        return train(torch, x_fit, y_fit, x_val, y_val, lr, hidden, batch, args.epochs, seed, report)

    s = optuna.create_study(direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=seed),
                            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2))
    began = time.perf_counter()
    s.optimize(objective, n_trials=args.trials)
    search = time.perf_counter() - began
    best = s.best_trial
    p = best.params
    # The test set, once: the best configuration retrained on the whole training part.
    x_all, x_test = (standardize(x_tr, x_te) if scale else (x_tr, x_te))
    test = train(torch, x_all, y_tr, x_test, y_te, p["lr"], int(p["hidden"]), int(p["batch-size"]), args.epochs, seed)
    total = time.perf_counter() - began
    states = [t.state.name for t in s.trials]
    trials = [{"number": t.number, "state": t.state.name, "params": t.params, "value": t.value,
               "scores": [t.intermediate_values[k] for k in sorted(t.intermediate_values)]} for t in s.trials]
    return {
        "seed": seed, "best_trial": best.number, "best_params": p, "best_validation_accuracy": best.value,
        "test_accuracy": test, "study_seconds": search, "total_seconds": total,
        "complete": states.count("COMPLETE"), "pruned": states.count("PRUNED"), "failed": states.count("FAIL"),
        "validation_samples": int(len(val)), "training_samples": int(len(fit)), "test_samples": int(len(y_te)),
        "trials": trials,
    }


def spread(values):
    v = np.array(values, dtype=np.float64)
    return f"mean {v.mean():.4f}, min {v.min():.4f}, max {v.max():.4f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--validation-fraction", type=float, default=0.2)
    ap.add_argument("--mnist", help="a folder with the four MNIST IDX files (default: the embedded digits)")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--check-split", action="store_true", help="print Gradus's split for seed 0 and exit")
    args = ap.parse_args()

    if args.check_split:
        train_idx, test_idx = split_indices(1797, 1437, 0)
        _, val = validation_split(1437, 0.2, 0)
        print("digits seed 0: train", train_idx[:8].tolist(), "test", test_idx[:5].tolist(), "validation", val[:6].tolist())
        return

    import optuna
    import torch
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = "mnist" if args.mnist else "digits"
    print(f"Optuna {optuna.__version__} + PyTorch {torch.__version__} ({torch.get_num_threads()} threads): {data}, "
          f"{args.trials} trials x {args.epochs} epochs, TPE + median pruner, validation {args.validation_fraction:g}")
    results = []
    for seed in args.seeds:
        r = study(optuna, torch, args, seed)
        results.append(r)
        p = r["best_params"]
        print(f"seed {seed}: best validation accuracy {100 * r['best_validation_accuracy']:.2f}% (trial {r['best_trial']}: "
              f"lr={p['lr']:.4g} hidden={p['hidden']} batch-size={p['batch-size']}), test accuracy {100 * r['test_accuracy']:.2f}%, "
              f"study {r['study_seconds']:.1f} s (with the retraining {r['total_seconds']:.1f} s), "
              f"{r['complete']} complete / {r['pruned']} pruned / {r['failed']} failed")
        sys.stdout.flush()
    print("best validation accuracy: " + spread([r["best_validation_accuracy"] for r in results]))
    print("test accuracy:            " + spread([r["test_accuracy"] for r in results]))
    print("study seconds:            " + spread([r["study_seconds"] for r in results]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"data": data, "trials": args.trials, "epochs": args.epochs, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
