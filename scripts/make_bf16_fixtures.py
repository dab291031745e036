#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensor/bf16_rounding.json: Float32 values and the bits of PyTorch's bfloat16
conversion of each (torch.Tensor.bfloat16, round to nearest even), with the edges random values miss:
exact ties on both sides of even, the largest values that round to infinity or stay finite, subnormals,
signed zeros, infinities and NaN.

    /tmp/torchenv/bin/python scripts/make_bf16_fixtures.py
"""
import json, os, struct
import torch

def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]

values_bits = [
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000,      # ±0, ±1
    0x3f808000, 0x3f818000, 0x3f80c000, 0x3f807fff, 0x3f808001,   # ties to even (down, up), above/below a tie
    0x7f7fffff, 0xff7fffff, 0x7f7f7fff, 0x7f7f8000,      # largest float (rounds to inf), just below, tie at the top
    0x00000001, 0x80000001, 0x00008000, 0x00018000, 0x007fffff, 0x00800000,   # subnormals, smallest normal
    0x7f800000, 0xff800000,                               # ±inf
    0x3eaaaaab, 0x40490fdb, 0xc2f6e979, 0x4b000001, 0x33d6bf95,   # 1/3, pi, -123.456, 2^23+1, 1e-7
]
gen = torch.Generator().manual_seed(0)
random = (torch.randn(64, generator=gen) * torch.logspace(-30, 30, 64)).tolist()
values = [f32(b) for b in values_bits] + random
x = torch.tensor(values, dtype=torch.float32)
bits = x.bfloat16().view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).tolist()
inputs = [struct.unpack("<I", struct.pack("<f", v))[0] for v in x.tolist()]
# NaN: PyTorch quiets it and keeps the sign; checked separately (payloads are not portable).
root = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "tensor")
with open(os.path.join(root, "bf16_rounding.json"), "w") as f:
    json.dump({"torch": torch.__version__, "input_bits": inputs, "bf16_bits": bits}, f)
print(f"wrote {len(inputs)} values")
