#!/usr/bin/env python3
"""Predicted scaling efficiency of Gradus's data-parallel training (docs/distributed.md, "Cost model").

A ring all-reduce of n bytes over p processes costs
    T(p, n) = 2(p-1)·α + 2(p-1)/p · n/β + (p-1)/p · n/γ
(α: latency per message step, β: link bandwidth, γ: the speed of summing in memory). With weak scaling
(each process keeps its batch), a step costs C (compute) + the part of T that backward does not hide:
    efficiency(p) = C / (C + max(0, T(p, n) - h·B))
where B is the backward time and h the share of it that can overlap communication (0 when the
gradients fit one bucket, as for the small benchmark models). Standard library only.

    python3 scripts/ddp_cost_model.py --compute-us 1700 --backward-us 1100 --grad-bytes 940000
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("--compute-us", type=float, required=True, help="one process's step time at its batch (µs)")
p.add_argument("--backward-us", type=float, default=0, help="backward time that communication may overlap (µs)")
p.add_argument("--overlap", type=float, default=0, help="share of backward that hides communication (0..1)")
p.add_argument("--grad-bytes", type=float, required=True)
p.add_argument("--sum-gbps", type=float, default=10, help="GB/s at which the reduction sums in memory")
p.add_argument("--name", default="model")
a = p.parse_args()

networks = [("10 Gb/s TCP", 25e-6, 10e9 / 8), ("100 Gb/s RDMA", 3e-6, 100e9 / 8)]
print(f"{a.name}: {a.grad_bytes / 1e6:.2f} MB of gradients, step {a.compute_us:.0f} µs per process")
print(f"{'network':16} {'p':>4} {'all-reduce µs':>14} {'efficiency':>11}")
for net, alpha, beta in networks:
    for procs in (2, 8, 64, 512):
        t = 2 * (procs - 1) * alpha + 2 * (procs - 1) / procs * a.grad_bytes / beta \
            + (procs - 1) / procs * a.grad_bytes / (a.sum_gbps * 1e9)
        exposed = max(0.0, t - a.overlap * a.backward_us * 1e-6)
        eff = a.compute_us * 1e-6 / (a.compute_us * 1e-6 + exposed)
        print(f"{net:16} {procs:>4} {t * 1e6:>14.0f} {eff * 100:>10.0f}%")
