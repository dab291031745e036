#!/usr/bin/env python3
"""PyTorch's side of Gradus's tensor-level micro-benchmarks (the workloads of FoundationWorkloads.swift
that ../shared/bench/pytorch_ref.py does not have), printing the same `NAME VALUE UNIT threads=N` lines.

    /tmp/torchenv/bin/python scripts/pytorch_micro.py --threads 1 [relu_16m axpb_16m small_op_fwd small_op_fwdbwd]
"""
import argparse, time, torch

def timeit(fn, warm=3, reps=10):
    for _ in range(warm): fn()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps): fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best

N = 16 * 1024 * 1024

def relu():
    x = torch.randn(N)
    return 2 * 4 * N / timeit(lambda: torch.relu(x)) / 1e9, "GB/s"

def axpb():
    x = torch.randn(N)
    return 2 * 4 * N / timeit(lambda: x * 1.5 + 0.5) / 1e9, "GB/s"

def small_fwd():
    x = torch.tensor([0.5], requires_grad=True)
    return timeit(lambda: x * x, reps=100000) * 1e6, "us/op"

def small_fwdbwd():
    x = torch.tensor([0.5], requires_grad=True)
    def f():
        (x * x).backward(); x.grad = None
    return timeit(f, reps=100000) * 1e6, "us/op"

W = {"relu_16m": relu, "axpb_16m": axpb, "small_op_fwd": small_fwd, "small_op_fwdbwd": small_fwdbwd}

if __name__ == "__main__":
    p = argparse.ArgumentParser(); p.add_argument("--threads", type=int, default=1); p.add_argument("only", nargs="*")
    a = p.parse_args(); torch.set_num_threads(a.threads)
    for name, fn in W.items():
        if a.only and name not in a.only: continue
        v, unit = fn(); print(f"{name} {v:.1f} {unit} threads={a.threads}", flush=True)
