#!/usr/bin/env bash
# Data-parallel throughput, Gradus (gradus-bench under mpirun) beside PyTorch DDP (gloo), alternating,
# ROUNDS rounds, world sizes 1 and 2, one thread per process; prints every measurement, then medians
# and ratios. Run on a quiet machine:
#   scripts/compare_ddp.sh [ROUNDS] [TORCH_PYTHON]
set -euo pipefail
rounds=${1:-3}
py=${2:-/tmp/torchenv/bin/python}
here=$(cd "$(dirname "$0")/.." && pwd)
bench="$here/.build/release/gradus-bench"
[ -x "$bench" ] || (cd "$here" && swift build -c release --product gradus-bench)
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
out=$(mktemp)
grep -m1 "model name" /proc/cpuinfo | sed 's/.*: /# CPU: /'
for r in $(seq 1 "$rounds"); do
  for w in 1 2; do
    "${mpi[@]}" -np $w "$bench" --threads 1 ddp_mlp_sgd_b64 ddp_lenet_sgd_b64 | sed "s/^/gradus /" | tee -a "$out"
    "$py" "$here/../shared/bench/pytorch_ddp.py" --world-size $w | sed "s/^/pytorch /" | tee -a "$out"
    "$py" "$here/scripts/pytorch_ddp_workloads.py" --world-size $w --model lenet | sed "s/^/pytorch /" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics, collections
v = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) >= 5 and not p[1].startswith("#"):
        v[(p[1], p[4], p[0])].append(float(p[2]))
print("\nworkload world  gradus(samples/s)  pytorch(samples/s)  ratio")
for (name, world, side) in sorted(v):
    if side != "gradus": continue
    g = statistics.median(v[(name, world, "gradus")]); t = statistics.median(v.get((name, world, "pytorch"), [float("nan")]))
    print(f"{name} {world}  {g:.0f}  {t:.0f}  {g / t:.2f}x")
for name in sorted({k[0] for k in v}):
    for side in ("gradus", "pytorch"):
        a, b = v.get((name, "world=1", side)), v.get((name, "world=2", side))
        if a and b: print(f"{side} {name}: world 2 / world 1 = {statistics.median(b) / statistics.median(a):.2f}x")
PY
rm -f "$out"
