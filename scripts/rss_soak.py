#!/usr/bin/env python3
"""Long-run memory check: does `gradus train` keep a steady resident set over many epochs?

Runs `gradus train --log-memory` on MNIST (MLP 784-256-128-10, SGD lr 0.05 momentum 0.9, batch 64,
one thread, 20 epochs by default), reads the resident memory (VmRSS) that the command prints at the end
of every epoch line (`... rss 123.4 MiB`), prints a table, and says whether the RSS after epochs
2..N stays within 5% (max/min ratio of those epochs, and the largest deviation from epoch 2).

Standard library only. Build the command first: `swift build -c release --product gradus`.

    python3 scripts/rss_soak.py                       # ../shared/data/mnist, 20 epochs
    python3 scripts/rss_soak.py --data /data/mnist --epochs 5 --markdown

Exit status: 0 when the RSS is steady, 1 when it grows beyond the tolerance, 2 on a failed run.
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+) .*\brss ([0-9.]+) MiB\s*$")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "mnist")),
                    help="MNIST folder (default: ../shared/data/mnist from the repository)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "gradus"),
                    help="the gradus executable (default: .build/release/gradus)")
    ap.add_argument("--tolerance", type=float, default=0.05, help="allowed max/min - 1 over epochs 2..N (default 0.05)")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = ap.parse_args()

    if not os.access(args.binary, os.X_OK):
        print(f"rss_soak: {args.binary} is not an executable; build it with `swift build -c release --product gradus`",
              file=sys.stderr)
        return 2
    if args.epochs < 2:
        print("rss_soak: --epochs must be at least 2", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="gradus-rss-soak-") as out:
        cmd = [args.binary, "train", "--data", args.data, "--format", "mnist", "--model", "mlp", "--hidden", "256,128",
               "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--batch-size", "64",
               "--epochs", str(args.epochs), "--threads", str(args.threads), "--log-memory", "--out", out]
        print("$ " + " ".join(cmd), flush=True)
        start = time.time()
        rows = []
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
        for line in proc.stdout:
            line = line.rstrip("\n")
            print(line, flush=True)
            m = EPOCH_LINE.match(line)
            if m:
                rows.append((int(m.group(1)), float(m.group(3)), time.time() - start))
        status = proc.wait()
        seconds = time.time() - start
    if status != 0 or len(rows) != args.epochs:
        print(f"rss_soak: gradus train exited with status {status} after {len(rows)} epoch lines", file=sys.stderr)
        return 2

    base = rows[1][1]                      # epoch 2: after the first epoch's one-time allocations
    steady = [r[1] for r in rows[1:]]
    ratio = max(steady) / min(steady)
    worst = max(abs(v - base) / base for v in steady)
    ok = ratio - 1 <= args.tolerance

    print()
    print(f"{'epoch':>5}  {'RSS MiB':>9}  {'vs epoch 2':>10}  {'elapsed s':>9}")
    for epoch, rss, t in rows:
        print(f"{epoch:>5}  {rss:>9.1f}  {100 * (rss - base) / base:>+9.2f}%  {t:>9.1f}")
    verdict = "STEADY" if ok else "GROWING"
    print(f"\nRSS over epochs 2..{args.epochs}: min {min(steady):.1f} MiB, max {max(steady):.1f} MiB, "
          f"max/min {ratio:.4f}, largest deviation from epoch 2 {100 * worst:.2f}%")
    print(f"verdict: {verdict} (tolerance {100 * args.tolerance:.0f}%), run took {seconds:.1f} s, "
          f"{datetime.datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores")

    if args.markdown:
        print("\n| epoch | RSS (MiB) | vs epoch 2 |\n|---:|---:|---:|")
        for epoch, rss, _ in rows:
            print(f"| {epoch} | {rss:.1f} | {100 * (rss - base) / base:+.2f}% |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
