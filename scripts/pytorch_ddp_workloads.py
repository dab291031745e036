#!/usr/bin/env python3
"""PyTorch DistributedDataParallel (gloo, CPU) side of Gradus's data-parallel benchmarks.

The MLP workload is ../shared/bench/pytorch_ddp.py's, unchanged; LeNet-5 is the compute-heavier
workload of our own, with the same split: a global batch of 64 over N processes of one thread each, SGD
(lr 0.05, momentum 0.9), 5 warm-up steps, then the best of 3 rounds of `steps` steps between barriers.
Prints the line format of gradus-bench:

    ddp_lenet_sgd_b64 VALUE samples/s world=N

    /tmp/torchenv/bin/python scripts/pytorch_ddp_workloads.py --world-size 2 --model lenet
"""
import argparse, os, time
import torch, torch.distributed as dist, torch.multiprocessing as mp, torch.nn as nn


def build(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)), (784,)
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)), (1, 28, 28)


def worker(rank, world, port, steps, name, q):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model, shape = build(name)
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    per = 64 // world
    g = torch.Generator().manual_seed(rank)
    x, y = torch.rand(per, *shape, generator=g), torch.randint(0, 10, (per,), generator=g)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(x), y).backward()
        opt.step()

    for _ in range(5): step()
    best = float("inf")
    for _ in range(3):
        dist.barrier(); t = time.perf_counter()
        for _ in range(steps): step()
        dist.barrier(); best = min(best, (time.perf_counter() - t) / steps)
    if rank == 0: q.put(64 / best)
    dist.destroy_process_group()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--world-size", type=int, default=2)
    p.add_argument("--model", choices=["mlp", "lenet"], default="lenet")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--port", type=int, default=29518)
    a = p.parse_args()
    steps = a.steps or (100 if a.model == "mlp" else 30)
    ctx = mp.get_context("spawn"); q = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, a.world_size, a.port, steps, a.model, q)) for r in range(a.world_size)]
    for pr in procs: pr.start()
    v = q.get()
    for pr in procs: pr.join()
    print(f"ddp_{a.model}_sgd_b64 {v:.1f} samples/s world={a.world_size}", flush=True)
