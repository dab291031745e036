#!/usr/bin/env python3
"""Runs Gradus's benchmark and PyTorch's reference side by side, alternating, and prints medians and ratios.

For each workload and thread count, both sides run `--rounds` times, alternating (ours, theirs, ours, ...),
each run a fresh process measuring one workload, so that neither side gets a quieter machine. Printed:
the median of each side, the ratio (ours/PyTorch for throughput, PyTorch/ours for latency: above 1 means
Gradus wins), and the peak resident memory of each process.

    swift build -c release --product gradus-bench
    python3 scripts/compare_pytorch.py --torch-python /tmp/torchenv/bin/python --rounds 5 --threads 1,2

Only the standard library is used here; PyTorch runs in the interpreter given by --torch-python.
"""
import argparse, os, statistics, subprocess, sys, time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_REF = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "pytorch_ref.py"))
LOWER_IS_BETTER = {"us/step", "us/sample", "us/op", "us/call"}

def run(cmd):
    """Runs cmd, returns (parsed {name: (value, unit)}, peak RSS in MB)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"compare_pytorch: {' '.join(cmd)} failed with status {status}")
    results = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            results[parts[0]] = (float(parts[1]), parts[2])
    return results, usage.ru_maxrss / 1024.0

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch-python", default=sys.executable)
    ap.add_argument("--reference", default=DEFAULT_REF)
    ap.add_argument("--gradus", default=os.path.join(ROOT, ".build", "release", "gradus-bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("workloads", nargs="*", default=["linreg_step", "mlp_infer_b1", "mlp_sgd_b64", "mlp_adam_b64",
                                                     "lenet_sgd_b64", "sgemm_512", "sgemm_1024", "sgemm_2048"])
    a = ap.parse_args()
    if not os.path.exists(a.gradus):
        sys.exit(f"compare_pytorch: {a.gradus} not found; run: swift build -c release --product gradus-bench")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}  rounds={a.rounds}  (median of each side; ratio > 1: Gradus wins)")
    print(f"{'workload':<16} {'threads':>7} {'gradus':>12} {'pytorch':>12} {'unit':<10} {'ratio':>7} {'rss_gradus':>11} {'rss_torch':>10}")
    for threads in [int(t) for t in a.threads.split(",")]:
        for w in a.workloads:
            ours, theirs, rss_o, rss_t = [], [], [], []
            unit = ""
            for _ in range(a.rounds):
                r, m = run([a.gradus, "--threads", str(threads), w])
                ours.append(r[w][0]); unit = r[w][1]; rss_o.append(m)
                r, m = run([a.torch_python, a.reference, "--threads", str(threads), w])
                theirs.append(r[w][0]); rss_t.append(m)
            mo, mt = statistics.median(ours), statistics.median(theirs)
            ratio = mt / mo if unit in LOWER_IS_BETTER else mo / mt
            print(f"{w:<16} {threads:>7} {mo:>12.1f} {mt:>12.1f} {unit:<10} {ratio:>7.2f} {statistics.median(rss_o):>9.0f}MB {statistics.median(rss_t):>8.0f}MB", flush=True)

if __name__ == "__main__":
    main()
