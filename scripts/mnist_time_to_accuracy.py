#!/usr/bin/env python3
"""MNIST time to accuracy: Gradus's `gradus train` beside ../shared/bench/pytorch_mnist.py, same recipe
(SGD lr 0.05, momentum 0.9, batch 64, no schedule; MLP 784-256-128-10 or LeNet-5), same thread count.

Prints, per epoch, each side's test accuracy and cumulative training seconds (data loading and
evaluation excluded on both sides), then the epoch and time at which each side first reached the
target accuracy, and the ratio of times (Gradus / PyTorch; below 1 means Gradus is faster).

    swift build -c release --product gradus
    python3 scripts/mnist_time_to_accuracy.py --torch-python /tmp/torchenv/bin/python --model mlp --target 98.0
"""
import argparse, csv, os, re, subprocess, sys, tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch-python", default=sys.executable)
    ap.add_argument("--data", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "mnist")))
    ap.add_argument("--model", choices=["mlp", "lenet"], default="mlp")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--target", type=float, default=None, help="accuracy in percent (default: 98.0 mlp, 99.0 lenet)")
    ap.add_argument("--gradus", default=os.path.join(ROOT, ".build", "release", "gradus"))
    a = ap.parse_args()
    target = a.target if a.target is not None else (98.0 if a.model == "mlp" else 99.0)

    out = tempfile.mkdtemp(prefix="gradus-mnist-")
    cmd = [a.gradus, "train", "--data", a.data, "--format", "mnist", "--model", a.model, "--optimizer", "sgd",
           "--lr", "0.05", "--momentum", "0.9", "--batch-size", "64", "--schedule", "none",
           "--epochs", str(a.epochs), "--threads", str(a.threads), "--seed", "0", "--out", out, "--quiet"]
    if a.model == "mlp":
        cmd += ["--hidden", "256,128"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    ours = []
    with open(os.path.join(out, "metrics.csv")) as f:
        total = 0.0
        for row in csv.DictReader(f):
            total += float(row["seconds"])
            ours.append((float(row["test_accuracy"]) * 100, total))

    ref = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "pytorch_mnist.py"))
    p = subprocess.run([a.torch_python, ref, a.data, a.model, str(a.epochs), "--threads", str(a.threads)],
                       check=True, capture_output=True, text=True)
    theirs = [(float(m.group(1)), float(m.group(2)))
              for m in re.finditer(r"test_acc ([\d.]+)% train_s ([\d.]+)", p.stdout)]

    print(f"# MNIST {a.model}, SGD lr 0.05 momentum 0.9 batch 64, threads={a.threads}, target {target}%")
    print(f"{'epoch':>5} {'gradus acc':>11} {'gradus s':>9} {'torch acc':>10} {'torch s':>8}")
    for i in range(max(len(ours), len(theirs))):
        o = ours[i] if i < len(ours) else (float('nan'), float('nan'))
        t = theirs[i] if i < len(theirs) else (float('nan'), float('nan'))
        print(f"{i + 1:>5} {o[0]:>10.2f}% {o[1]:>9.1f} {t[0]:>9.2f}% {t[1]:>8.1f}")
    def reach(rows):
        for i, (acc, s) in enumerate(rows):
            if acc >= target: return i + 1, s
        return None, None
    (oe, os_), (te, ts) = reach(ours), reach(theirs)
    print(f"gradus reached {target}%: " + (f"epoch {oe}, {os_:.1f} s" if oe else "not within the epochs"))
    print(f"pytorch reached {target}%: " + (f"epoch {te}, {ts:.1f} s" if te else "not within the epochs"))
    if oe and te:
        print(f"time ratio gradus/pytorch: {os_ / ts:.2f}")

if __name__ == "__main__":
    main()
